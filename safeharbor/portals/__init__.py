"""The web portals, one folder per kind of person: each holds its page routes and its
templates (``templates/<portal>/``) and calls the domain services, never deciding anything
itself. The shared machinery (sessions, CSRF, layout, translations) is in ``safeharbor.web``.

- ``public``: the complaint channel and the platform's designated contact (no account)
- ``holder``: rights holders: works, licences, notices, cases, disclosure, evidence
- ``uploader``: uploads and their decisions, holds, counter-notices, strikes
- ``review``: the copyright team's queues, sorted by deadline
- ``admin``: policies, priority lists, blacklists, partners, users, the compliance dashboard
- ``authority``: reports, investigation requests, evidence packages, published tree heads
"""

from __future__ import annotations

from importlib import import_module

from fastapi import APIRouter

PORTALS = ("public", "holder", "uploader", "review", "admin", "authority")


def routers() -> list[APIRouter]:
    return [import_module(f"safeharbor.portals.{name}.routes").router for name in PORTALS]
