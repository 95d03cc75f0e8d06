"""Is a notice (or counter-notice) complete under its profile? Pure functions: the profile
says which fields are required; here we only check them.

Field values are plain text. Markup in them is kept as typed and escaped wherever it is
shown; it never makes a notice invalid (a rights holder may paste a title with "<" in it).
"""

from __future__ import annotations

import re
from typing import Any

from safeharbor.profiles import Profile

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_TRUE = {"true", "yes", "y", "1", "on", "是", "同意", "x"}
MAX_FIELD = 20_000
#: fields that carry a contact address
_EMAIL_FIELDS = {"notifier_email"}
#: fields whose value is an address or an id on the platform
LOCATION_FIELDS = ("location",)


def is_true(value: Any) -> bool:
    return str(value).strip().lower() in _TRUE


def clean_fields(raw: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Strip, drop empties, and list the problems that make a value unusable."""
    fields: dict[str, str] = {}
    problems: list[str] = []
    for key, value in raw.items():
        key = str(key).strip().lower()
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,63}", key):
            problems.append(f"unknown field name {key[:40]!r}")
            continue
        if value is None:
            continue
        text = value if isinstance(value, str) else str(value)
        text = text.strip()
        if not text:
            continue
        if len(text) > MAX_FIELD:
            problems.append(f"{key} is longer than {MAX_FIELD} characters")
            continue
        if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
            problems.append(f"{key} contains control characters")
            continue
        fields[key] = text
    for key in _EMAIL_FIELDS & fields.keys():
        if not _EMAIL.match(fields[key]):
            problems.append(f"{key} is not an email address")
    return fields, problems


def missing_notice_fields(
    profile: Profile,
    fields: dict[str, str],
    *,
    has_location: bool,
    located_without_address: bool,
    by_agent: bool,
) -> list[str]:
    """The required fields the notice lacks, in the profile's order.

    ``location`` counts as present when the notice gives addresses, or (where the profile
    allows it) when its other details located the content precisely.
    """
    missing: list[str] = []
    rules = profile.notice
    for name in rules.required:
        if name == "location":
            if has_location:
                continue
            if located_without_address and rules.location_alternatives:
                continue
            missing.append(name)
        elif name in rules.declarations:
            if not is_true(fields.get(name, "")):
                missing.append(name)
        elif name not in fields:
            missing.append(name)
    for name in rules.declarations:
        if name not in rules.required and not is_true(fields.get(name, "")):
            missing.append(name)
    if by_agent:
        missing += [n for n in rules.agent_required if n not in fields]
    return missing


def missing_counter_fields(profile: Profile, fields: dict[str, str]) -> list[str]:
    declarations = {"good_faith", "consent_jurisdiction"}
    out = []
    for name in profile.counter.required:
        if name in declarations:
            if not is_true(fields.get(name, "")):
                out.append(name)
        elif name not in fields:
            out.append(name)
    return out
