"""The screening policy and the jurisdiction profile an administrator may change from the
console: read from and written to ``HOME/safeharbor.toml``, checked before anything is
written, applied to the running platform in place, and recorded in the ledger.

Only the keys the console edits (``profile``, ``thresholds``, ``policies``) are replaced;
every other key of the file is written back as it was read. The new file is written
beside the old one and moved over it, so a failure leaves the old file whole.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from safeharbor.accounts.models import User
from safeharbor.audit import service as audit
from safeharbor.config import (
    WORK_TYPES,
    MatchAction,
    Settings,
    Thresholds,
    WorkTypePolicy,
)
from safeharbor.errors import InvalidInput
from safeharbor.platform import Services

EDITED = ("profile", "thresholds", "policies")
ACTIONS: tuple[str, ...] = get_args(MatchAction)
PROFILES: tuple[str, ...] = get_args(Settings.model_fields["profile"].annotation)


def toml_path(settings: Settings) -> Path:
    return settings.home / "safeharbor.toml"


def read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def env_overrides() -> list[str]:
    """The edited keys an environment variable sets: they win over the file at the next
    start, so the console says so."""
    names = {k.upper() for k in os.environ if k.upper().startswith("SAFEHARBOR_")}
    return [
        key
        for key in EDITED
        if f"SAFEHARBOR_{key.upper()}" in names
        or any(n.startswith(f"SAFEHARBOR_{key.upper()}__") for n in names)
    ]


def _number(form: dict[str, str], name: str) -> float:
    raw = form.get(name, "").strip().replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"the {name} threshold must be a number between 0 and 1") from None
    if not 0.0 < value <= 1.0:
        raise InvalidInput(f"the {name} threshold must be above 0 and at most 1")
    return value


def parse(form: dict[str, str]) -> tuple[str, Thresholds, dict[str, WorkTypePolicy]]:
    """The posted values, checked: a clear message for the first bad one."""
    profile = form.get("profile", "")
    if profile not in PROFILES:
        raise InvalidInput(f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
    t = Thresholds(
        match=_number(form, "match"),
        priority=_number(form, "priority"),
        review=_number(form, "review"),
    )
    # the priority threshold is the weaker match enough for a priority work, and review
    # catches what falls below a match: both must sit under the match threshold
    if t.priority > t.match:
        raise InvalidInput("the priority threshold may not be above the match threshold")
    if t.review > t.match:
        raise InvalidInput("the review threshold may not be above the match threshold")
    policies: dict[str, WorkTypePolicy] = {}
    for wt in WORK_TYPES:
        on_match, on_exact = form.get(f"{wt}.on_match", ""), form.get(f"{wt}.on_exact", "")
        for value in (on_match, on_exact):
            if value not in ACTIONS:
                raise InvalidInput(f"{wt}: unknown action {value!r} (one of {', '.join(ACTIONS)})")
        policies[wt] = WorkTypePolicy.model_validate({"on_match": on_match, "on_exact": on_exact})
    return profile, t, policies


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):  # an inline table (inside a list)
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise InvalidInput(f"cannot write {type(v).__name__} to safeharbor.toml")


def _key(k: str) -> str:
    bare = k.replace("_", "").replace("-", "").isalnum() and k.isascii()
    return k if bare else _value(k)


def dumps(data: dict[str, Any], prefix: str = "") -> str:
    """TOML for the shapes ``safeharbor.toml`` holds: keys, then tables (nested)."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            name = f"{prefix}.{_key(k)}" if prefix else _key(k)
            body = dumps(v, name)
            lines += ["", f"[{name}]", body] if body else ["", f"[{name}]"]
    return "\n".join(line for line in lines).strip("\n")


def save(
    svc: Services,
    actor: User,
    profile: str,
    thresholds: Thresholds,
    policies: dict[str, WorkTypePolicy],
    ip: str | None,
) -> dict[str, Any]:
    """Write the new values, apply them, record the change; returns what changed."""
    settings = svc.platform.settings
    path = toml_path(settings)
    try:
        old = read_file(path)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"the settings file cannot be read ({exc}): nothing changed") from exc
    new = dict(old)
    new["profile"] = profile
    new["thresholds"] = thresholds.model_dump()
    new["policies"] = {wt: p.model_dump() for wt, p in policies.items()}
    text = dumps(new) + "\n"
    # the whole file must still make valid settings, and read back as written
    try:
        if tomllib.loads(text) != new:
            raise InvalidInput("the settings could not be written faithfully: nothing changed")
        Settings(**{**tomllib.loads(text), "home": settings.home})
    except (ValidationError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"the settings file would not be valid: {exc}") from exc
    before = {
        "profile": settings.profile,
        "thresholds": settings.thresholds.model_dump(),
        "policies": {wt: settings.policy_for(wt).model_dump() for wt in WORK_TYPES},
    }
    after = {"profile": profile, "thresholds": new["thresholds"], "policies": new["policies"]}
    changed = {k: {"from": before[k], "to": after[k]} for k in EDITED if before[k] != after[k]}
    # recorded first: a file that cannot be written rolls the record back with it
    audit.append(
        svc.session,
        at=svc.platform.clock.now(),
        action="settings.change",
        subject_type="settings",
        subject_id="safeharbor.toml",
        actor_id=actor.id,
        actor_ip=ip,
        payload={"file": str(path.name), "changed": changed},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    # in place: the services read these from the platform's settings on every request
    settings.profile = profile  # type: ignore[assignment]
    settings.thresholds = thresholds
    settings.policies = policies
    return changed
