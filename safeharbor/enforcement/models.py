"""Tables of the enforcement domain."""

from __future__ import annotations
