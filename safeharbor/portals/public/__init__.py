"""The public portal."""
