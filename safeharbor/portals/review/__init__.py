"""The review portal."""
