"""The uploader portal."""
