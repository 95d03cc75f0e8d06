"""Jurisdiction profiles as data: one TOML file per profile beside this module.

A profile lists the fields a notice and a counter-notice must carry, the clocks, and who is
told what. Adding a jurisdiction means adding a file here (or under
``$SAFEHARBOR_HOME/profiles/``), choosing one of the restoration rules the notice service
implements (``RESTORATION_RULES``); no code path names a profile.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field

from safeharbor.errors import InvalidInput, NotFound

#: how content comes back after a counter-notice; each is a rule in notices/restoration.py
RESTORATION_RULES = ("civil_code", "regulation", "business_days", "human_review")

_HERE = Path(__file__).parent


class NoticeRules(BaseModel):
    required: list[str]
    #: fields that can stand in for ``location`` when they pin the content down
    location_alternatives: list[str] = Field(default_factory=list)
    #: extra fields a notice sent by an agent must carry
    agent_required: list[str] = Field(default_factory=list)
    #: declarations the notifier must make (true/yes)
    declarations: list[str] = Field(default_factory=list)
    #: a notice with only these is deficient but must be followed up (US 512(c)(3)(B))
    cure_fields: list[str] = Field(default_factory=list)


class CounterRules(BaseModel):
    required: list[str]


class Clocks(BaseModel):
    act_hours: float = 24
    restoration: str
    restoration_modes: list[str]
    reasonable_period_days: int = 15
    reasonable_period_max_working_days: int = 20
    restore_min_business_days: int = 10
    restore_max_business_days: int = 14
    complaint_window_days: int = 183
    review_hours: float = 72
    reminder_before_hours: float = 4


class Forwarding(BaseModel):
    notice_to_uploader: bool = True
    notifier_identity_to_uploader: bool = True
    counter_to_notifier: bool = True


class DisclosureRules(BaseModel):
    """Who may learn an uploader's identity, and on what ground (shared/LEGAL.md, Records)."""

    #: a rights holder's request must cite a legal instrument (US: a 512(h) subpoena)
    holder_basis_required: bool = False
    #: what that instrument is, shown to the requester
    holder_basis: str = "a valid notice of yours about the uploader's content"
    #: the authority's ground, shown in the request form
    authority_basis: str = "an order or request of a competent authority"
    #: how long a granted request stays readable
    grant_days: int = 30


class Profile(BaseModel):
    name: str
    title: str
    language: str = "en"
    notice: NoticeRules
    counter: CounterRules
    clocks: Clocks
    forwarding: Forwarding = Field(default_factory=Forwarding)
    disclosure: DisclosureRules = Field(default_factory=DisclosureRules)

    def check(self) -> Profile:
        for mode in [self.clocks.restoration, *self.clocks.restoration_modes]:
            if mode not in RESTORATION_RULES:
                raise InvalidInput(
                    f"profile {self.name}: unknown restoration rule {mode!r} "
                    f"(one of {', '.join(RESTORATION_RULES)})"
                )
        return self


def _dirs(extra: Path | None) -> list[Path]:
    return [d for d in (extra, _HERE) if d is not None and d.is_dir()]


def available(extra: Path | None = None) -> list[str]:
    return sorted({p.stem for d in _dirs(extra) for p in d.glob("*.toml")})


@cache
def _load_file(path: Path) -> Profile:
    with path.open("rb") as fh:
        return Profile.model_validate(tomllib.load(fh)).check()


def load(name: str, extra: Path | None = None) -> Profile:
    """The profile ``name``; a deployment's own folder (``extra``) wins over the built-ins."""
    if not name.isidentifier():
        raise InvalidInput(f"invalid profile name {name!r}")
    for d in _dirs(extra):
        path = d / f"{name}.toml"
        if path.is_file():
            return _load_file(path)
    raise NotFound(f"no profile {name!r}: one of {', '.join(available(extra))}")
