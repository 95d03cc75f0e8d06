"""Filing notices: one at a time (the fields the jurisdiction profile requires, with the
addresses of the content or without, by work or title), or many from a CSV file (the
bulk intake of ``notices/bulk.py``, as ``POST /api/notices/bulk``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.accounts.models import User
from safeharbor.errors import InvalidInput, SafeharborError
from safeharbor.notices import bulk
from safeharbor.portals.holder.common import attempt, holder, render
from safeharbor.portals.holder.words import field_kind
from safeharbor.profiles import Profile, available
from safeharbor.registry.models import WorkStatus
from safeharbor.web.page import CheckedForm, Page, PageDep, field_file, field_text

router = APIRouter(include_in_schema=False)

#: the bulk file's size limit, as the API's
BULK_LIMIT = 50 * 1024 * 1024
#: how many refused rows a filing's summary lists one by one
SHOWN_ERRORS = 20


def notice_fields(prof: Profile) -> list[dict[str, Any]]:
    """The fields of the notice form, in the profile's order: the required ones (the
    content's address has its own box), then the declarations, then what an agent adds."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for name in prof.notice.required + prof.notice.declarations:
        if name == "location" or name in seen:
            continue
        seen.add(name)
        kind = "declaration" if name in prof.notice.declarations else field_kind(name)
        out.append({"name": name, "kind": kind, "required": True, "agent": False})
    for name in prof.notice.agent_required:
        if name not in seen:
            seen.add(name)
            out.append({"name": name, "kind": field_kind(name), "required": False, "agent": True})
    return out


def _profile(page: Page, name: str | None) -> Profile:
    return page.svc.notices.profile(name or None)


def _defaults(user: User, fields: list[dict[str, Any]]) -> dict[str, str]:
    """What the form can fill in for the holder: their own name and address on file."""
    known = {
        "notifier_name": user.real_name or user.name,
        "notifier_contact": user.email or "",
        "notifier_email": user.email or "",
        "notifier_phone": user.phone or "",
        "signature": user.real_name or user.name,
    }
    return {f["name"]: known.get(f["name"], "") for f in fields}


def _works(page: Page, user: User) -> list[tuple[str, str]]:
    return [
        (str(w.id), f"{w.title} (#{w.id})")
        for w in page.svc.registry.list_works(user)
        if w.status == WorkStatus.APPROVED and w.holder_id == user.id
    ]


def _notice_form(
    page: Page,
    user: User,
    prof: Profile,
    values: dict[str, str],
    error: str | None = None,
) -> Response:
    fields = notice_fields(prof)
    return render(
        page,
        "holder/notice_new.html",
        status=422 if error else 200,
        prof=prof,
        profiles=available(page.svc.platform.settings.home / "profiles"),
        fields=fields,
        values=values,
        works=_works(page, user),
        error=error,
    )


@router.get("/holder/notices/new")
def new_notice(page: PageDep, profile: str | None = None, work_id: str | None = None) -> Response:
    user = holder(page)
    prof = _profile(page, profile)
    values = _defaults(user, notice_fields(prof))
    values.update(urls="", title="", work_id=work_id or "", agent="")
    return _notice_form(page, user, prof, values)


@router.post("/holder/notices")
def file_notice(page: PageDep, form: CheckedForm) -> Response:
    user = holder(page)
    prof = _profile(page, field_text(form, "profile", limit=32))
    fields = notice_fields(prof)
    names = [f["name"] for f in fields]
    values = {
        n: v
        for n in [*names, "urls", "title", "work_id", "agent"]
        if isinstance(v := form.get(n), str)
    }
    try:
        with attempt(page):
            typed = {n: field_text(form, n, limit=20_000) for n in names}
            declared = {f["name"] for f in fields if f["kind"] == "declaration"}
            typed = {n: ("yes" if n in declared and v else v) for n, v in typed.items()}
            if field_text(form, "agent", limit=10):
                typed["agent"] = "yes"
            urls = field_text(form, "urls", limit=200_000).split()
            work = field_text(form, "work_id", limit=20)
            if work and not work.isdigit():
                raise InvalidInput("choose one of your works")
            res = page.svc.notices.file(
                user,
                typed,
                urls=urls,
                work_id=int(work) if work else None,
                title=field_text(form, "title", limit=500) or None,
                profile=prof.name,
                channel="web",
                ip=page.ip,
            )
    except SafeharborError as exc:
        return _notice_form(page, user, prof, values, page._(exc.message))
    view = res.view()
    if view["missing"]:
        page.flash(
            page._("The notice is kept, but it cannot be acted on until you complete it."), "error"
        )
    elif view["located"]:
        page.flash(
            page._("Notice filed: %(n)s item(s) located and acted on.", n=len(view["located"])),
            "ok",
        )
    else:
        page.flash(page._("Notice filed: a reviewer will look for the content."), "info")
    return page.redirect(f"/holder/cases/{res.notice.id}")


# -- bulk ------------------------------------------------------------------------------------


def _bulk_form(page: Page, user: User, prof: Profile, error: str | None = None) -> Response:
    common = [f for f in notice_fields(prof) if f["kind"] != "declaration" and not f["agent"]]
    return render(
        page,
        "holder/notice_bulk.html",
        status=422 if error else 200,
        prof=prof,
        common=common,
        declarations=[f for f in notice_fields(prof) if f["kind"] == "declaration"],
        values=_defaults(user, common),
        error=error,
    )


@router.get("/holder/notices/bulk")
def bulk_form(page: PageDep, profile: str | None = None) -> Response:
    user = holder(page)
    return _bulk_form(page, user, _profile(page, profile))


@router.post("/holder/notices/bulk")
def bulk_file(page: PageDep, form: CheckedForm) -> Response:
    """Each row is one notice, filed in its own savepoint and unit (``bulk.file_rows``);
    the holder then sees the batch's notices, with the refused rows listed by line."""
    user = holder(page)
    prof = _profile(page, field_text(form, "profile", limit=32))
    try:
        upload = field_file(form, "csv_file")
        if upload is None:
            raise InvalidInput("choose the CSV file")
        rows = bulk.read_rows(upload.file.read(BULK_LIMIT + 1)[:BULK_LIMIT])
        if not rows:
            raise InvalidInput("the CSV has no rows under its header")
        common = {
            f["name"]: v
            for f in notice_fields(prof)
            if (v := field_text(form, f["name"], limit=20_000))
        }
        for f in notice_fields(prof):
            if f["kind"] == "declaration" and f["name"] in common:
                common[f["name"]] = "yes"
    except SafeharborError as exc:
        return _bulk_form(page, user, prof, page._(exc.message))
    # file_rows commits in units of its own; ours is committed first so that, on SQLite,
    # a write of this request (the session's sliding expiry) cannot hold the database
    page.svc.session.commit()
    results = list(
        bulk.file_rows(
            page.svc.platform,
            user,
            rows,
            common=common,
            profile=prof.name,
            channel="csv",
            ip=page.ip,
        )
    )
    filed = [r for r in results if "notice_id" in r]
    refused = [r for r in results if "error" in r]
    page.flash(
        page._(
            "%(rows)s rows read: %(filed)s notices filed, %(refused)s rows refused.",
            rows=len(results),
            filed=len(filed),
            refused=len(refused),
        ),
        "error" if refused else "ok",
    )
    for r in refused[:SHOWN_ERRORS]:
        page.flash(
            page._("Line %(line)s: %(error)s", line=r["line"], error=page._(r["error"])), "error"
        )
    batch = filed[0]["batch"] if filed else None
    return page.redirect(f"/holder/cases?batch={batch}" if batch else "/holder/notices/bulk")
