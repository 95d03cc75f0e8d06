"""Tables of the blacklists domain."""

from __future__ import annotations
