"""My strikes, my account's standing, and an appeal: the same service calls as
``GET /api/strikes/me`` and ``POST /api/strikes/{id}/appeal``, which a suspended or
terminated account may still use (``RestrictedCaller``); here ``common.own_standing``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.errors import Forbidden, SafeharborError
from safeharbor.portals.uploader import common
from safeharbor.web.page import CheckedForm, Page, PageDep, field_text

router = APIRouter(include_in_schema=False)

_DATES = ("at", "expires")


def _dated(strike: dict[str, Any]) -> dict[str, Any]:
    """A strike of ``strikes_view`` with its moments as datetimes, for ``page.when``."""
    out = {**strike, **{k: datetime.fromisoformat(strike[k]) for k in _DATES}}
    if strike.get("removed"):
        out["removed"] = {
            **strike["removed"],
            "at": datetime.fromisoformat(strike["removed"]["at"]),
        }
    return out


@router.get("/uploader/strikes")
def strikes(page: PageDep) -> Response:
    user = common.own_standing(page)
    view = page.svc.enforcement.strikes_view(user, user)
    policy = page.svc.platform.settings.repeat_infringer
    ladder = [
        ("warning", policy.warning),
        ("restricted", policy.restricted),
        ("higher_duty", policy.higher_duty),
        ("suspended", policy.suspended),
        ("terminated", policy.terminated),
    ]
    until = view.get("suspended_until")
    return page.render(
        "uploader/strikes.html",
        view=view,
        active=[_dated(s) for s in view["strikes"]],
        lifted=[_dated(s) for s in view["lifted"]],
        ladder=ladder,
        policy=policy,
        suspended_until=datetime.fromisoformat(until) if until else None,
    )


def _strike(page: Page, strike_id: int) -> dict[str, Any]:
    """The user's own strike, as ``strikes_view`` shows it; anyone else's is refused."""
    user = common.own_standing(page)
    view = page.svc.enforcement.strikes_view(user, user)
    for s in view["strikes"] + view["lifted"]:
        if s["id"] == strike_id:
            return _dated(s)
    page.svc.enforcement.get(strike_id)  # an unknown id reads as "no strike N"
    raise Forbidden("only the user who has the strike may appeal it")


def _appeal_page(
    page: Page, strike: dict[str, Any], statement: str, error: str | None, status: int
) -> Response:
    return page.render(
        "uploader/appeal.html", status=status, strike=strike, statement=statement, error=error
    )


@router.get("/uploader/strikes/{strike_id}/appeal")
def appeal_form(strike_id: int, page: PageDep) -> Response:
    return _appeal_page(page, _strike(page, strike_id), "", None, 200)


@router.post("/uploader/strikes/{strike_id}/appeal")
def appeal(strike_id: int, page: PageDep, form: CheckedForm) -> Response:
    strike = _strike(page, strike_id)
    user = common.own_standing(page)
    # the service says how long a statement may be; the form keeps what was typed
    statement = field_text(form, "statement", limit=100_000)
    try:
        page.svc.enforcement.appeal(strike_id, user, statement, page.ip)
    except SafeharborError as exc:
        return _appeal_page(page, strike, statement, page._(exc.message), 422)
    page.flash(page._("Your appeal is sent. A reviewer will decide and you will be told."), "ok")
    return page.redirect("/uploader/strikes")
