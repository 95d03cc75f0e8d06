"""The console's overview, the screening policy and jurisdiction profile (the settings
file), and the priority lists (authority protection lists, release windows)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.accounts.permissions import Perm
from safeharbor.config import WORK_TYPES
from safeharbor.errors import InvalidInput
from safeharbor.portals.admin import settings_file
from safeharbor.portals.admin.common import attempt, local_time
from safeharbor.web.page import CheckedForm, Page, PageDep, field_text

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def overview(page: PageDep) -> Response:
    page.require(Perm.MANAGE_USERS)
    s = page.svc.platform.settings
    counts = {
        "blacklist": len(page.svc.blacklists.entries()),
        "partners": len(page.svc.sharing.partners()),
        "priority": len(page.svc.registry.priority_entries()),
    }
    return page.render("admin/index.html", settings=s, counts=counts)


# -- policies, thresholds and the profile ---------------------------------------------------


def _settings_page(
    page: Page, values: dict[str, Any] | None = None, error: str | None = None, status: int = 200
) -> Response:
    s = page.svc.platform.settings
    current: dict[str, Any] = {
        "profile": s.profile,
        "match": s.thresholds.match,
        "priority": s.thresholds.priority,
        "review": s.thresholds.review,
        **{f"{wt}.on_match": s.policy_for(wt).on_match for wt in WORK_TYPES},
        **{f"{wt}.on_exact": s.policy_for(wt).on_exact for wt in WORK_TYPES},
    }
    prof = page.svc.notices.profile()
    return page.render(
        "admin/settings.html",
        status=status,
        values={**current, **(values or {})},
        work_types=WORK_TYPES,
        actions=settings_file.ACTIONS,
        profiles=settings_file.PROFILES,
        prof=prof,
        file=settings_file.toml_path(s),
        overridden=settings_file.env_overrides(),
        error=error,
    )


@router.get("/admin/settings")
def settings_page(page: PageDep) -> Response:
    page.require(Perm.MANAGE_USERS)
    return _settings_page(page)


@router.post("/admin/settings")
def settings_save(page: PageDep, form: CheckedForm) -> Response:
    admin = page.require(Perm.MANAGE_USERS)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}

    def save() -> dict[str, Any]:
        profile, thresholds, policies = settings_file.parse(values)
        return settings_file.save(page.svc, admin, profile, thresholds, policies, page.ip)

    changed, error = attempt(page, save)
    if error is not None:
        return _settings_page(page, values, error, status=422)
    if changed:
        page.flash(page._("The settings are saved and in force."), "ok")
    else:
        page.flash(page._("Nothing changed."), "info")
    return page.redirect("/admin/settings")


# -- priority lists -------------------------------------------------------------------------


def _priority_page(
    page: Page, values: dict[str, str] | None = None, error: str | None = None, status: int = 200
) -> Response:
    user = page.require(Perm.MANAGE_PRIORITY)
    works = {w.id: w for w in page.svc.registry.list_works(user, None)}
    entries = page.svc.registry.priority_entries()
    return page.render(
        "admin/priority.html",
        status=status,
        entries=entries,
        works=works,
        approved=[w for w in works.values() if w.status == "approved"],
        active={e.id for e in page.svc.registry.priority_entries(page.now)},
        values=values or {},
        error=error,
    )


@router.get("/admin/priority")
def priority_page(page: PageDep) -> Response:
    return _priority_page(page)


@router.post("/admin/priority")
def priority_add(page: PageDep, form: CheckedForm) -> Response:
    admin = page.require(Perm.MANAGE_PRIORITY)
    names = ("work_id", "list", "starts_at", "ends_at", "source", "note")
    values = {k: field_text(form, k, limit=2000) for k in names}

    def add() -> object:
        if not values["work_id"].isdigit():
            raise InvalidInput("choose the work")
        return page.svc.registry.add_priority(
            int(values["work_id"]),
            values["list"],
            admin,
            starts_at=local_time(page, values["starts_at"], "start"),
            ends_at=local_time(page, values["ends_at"], "end"),
            source=values["source"] or None,
            note=values["note"] or None,
            ip=page.ip,
        )

    _entry, error = attempt(page, add)
    if error is not None:
        return _priority_page(page, values, error, status=422)
    page.flash(page._("The work is on the priority list."), "ok")
    return page.redirect("/admin/priority")


@router.post("/admin/priority/{entry_id}/remove")
def priority_remove(entry_id: int, page: PageDep, form: CheckedForm) -> Response:
    admin = page.require(Perm.MANAGE_PRIORITY)
    page.svc.registry.remove_priority(entry_id, admin, page.ip)
    page.flash(page._("The entry is removed from the priority list."), "ok")
    return page.redirect("/admin/priority")
