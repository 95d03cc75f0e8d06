"""The authority portal."""
