"""safeharbor: copyright protection for online platforms."""

__version__ = "0.1.0"
