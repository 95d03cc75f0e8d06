"""The holder portal."""
