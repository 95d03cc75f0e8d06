"""Blacklists of infringing sites and apps (list, add, remove, import a CSV or JSON file)
and the partners hash lists are shared with (list, add with key and trust, change trust)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.accounts.permissions import Perm
from safeharbor.blacklists.files import MAX_FILE_BYTES
from safeharbor.blacklists.service import ImportResult
from safeharbor.errors import InvalidInput
from safeharbor.portals.admin.common import attempt
from safeharbor.sharing.models import Trust
from safeharbor.web.page import CheckedForm, Page, PageDep, field_file, field_text

router = APIRouter(include_in_schema=False)

KINDS = ("domain", "url", "app")

# -- blacklist ------------------------------------------------------------------------------


def _blacklist_page(
    page: Page,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
    source: str | None = None,
) -> Response:
    page.require(Perm.MANAGE_BLACKLIST)
    entries = page.svc.blacklists.entries(source=source or None)
    return page.render(
        "admin/blacklist.html",
        status=status,
        entries=entries,
        sources=sorted({e.source for e in page.svc.blacklists.entries()}),
        source=source or "",
        kinds=KINDS,
        values=values or {},
        error=error,
    )


@router.get("/admin/blacklist")
def blacklist_page(page: PageDep, source: str | None = None) -> Response:
    return _blacklist_page(page, source=source)


@router.post("/admin/blacklist")
def blacklist_add(page: PageDep, form: CheckedForm) -> Response:
    admin = page.require(Perm.MANAGE_BLACKLIST)
    values = {k: field_text(form, k, limit=2000) for k in ("pattern", "kind", "reason")}

    def add() -> object:
        if not values["pattern"]:
            raise InvalidInput("give the site, address or app to list")
        return page.svc.blacklists.add(
            admin,
            values["pattern"],
            reason=values["reason"],
            kind=values["kind"] or None,
            ip=page.ip,
        )

    _entry, error = attempt(page, add)
    if error is not None:
        return _blacklist_page(page, values, error, status=422)
    page.flash(page._("%(p)s is blacklisted.", p=values["pattern"]), "ok")
    return page.redirect("/admin/blacklist")


@router.post("/admin/blacklist/{entry_id}/remove")
def blacklist_remove(entry_id: int, page: PageDep, form: CheckedForm) -> Response:
    admin = page.require(Perm.MANAGE_BLACKLIST)
    entry = page.svc.blacklists.remove(admin, entry_id, ip=page.ip)
    page.flash(page._("%(p)s is no longer blacklisted.", p=entry.pattern), "ok")
    return page.redirect("/admin/blacklist")


@router.post("/admin/blacklist/import")
def blacklist_import(page: PageDep, form: CheckedForm) -> Response:
    admin = page.require(Perm.MANAGE_BLACKLIST)
    source = field_text(form, "source", limit=200)
    upload = field_file(form, "file")

    def run() -> ImportResult:
        if upload is None:
            raise InvalidInput("choose the file to import")
        data = upload.file.read(MAX_FILE_BYTES + 1)
        return page.svc.blacklists.import_bytes(
            data, upload.filename or "list", source, admin, ip=page.ip
        )

    result, error = attempt(page, run)
    if result is None:
        return _blacklist_page(page, {"source": source}, error, status=422)
    page.flash(
        page._(
            "Imported from %(s)s: %(a)s added, %(k)s listed already.",
            s=result.source,
            a=result.added,
            k=result.already_listed,
        ),
        "ok",
    )
    return page.redirect("/admin/blacklist")


# -- sharing partners -----------------------------------------------------------------------


def _partners_page(
    page: Page, values: dict[str, str] | None = None, error: str | None = None, status: int = 200
) -> Response:
    page.require(Perm.MANAGE_SHARING)
    return page.render(
        "admin/partners.html",
        status=status,
        partners=page.svc.sharing.partners(),
        trusts=[t.value for t in Trust],
        own_key=page.svc.ledger.public_key_pem(),
        values=values or {},
        error=error,
    )


@router.get("/admin/partners")
def partners_page(page: PageDep) -> Response:
    return _partners_page(page)


@router.post("/admin/partners")
def partner_add(page: PageDep, form: CheckedForm) -> Response:
    admin = page.require(Perm.MANAGE_SHARING)
    values = {
        "name": field_text(form, "name", limit=100),
        "public_key": field_text(form, "public_key", limit=5000),
        "trust": field_text(form, "trust", limit=20) or Trust.REVIEW.value,
    }
    _p, error = attempt(
        page,
        lambda: page.svc.sharing.add_partner(
            admin, values["name"], values["public_key"], values["trust"], ip=page.ip
        ),
    )
    if error is not None:
        return _partners_page(page, values, error, status=422)
    page.flash(page._("Partner %(n)s is added.", n=values["name"]), "ok")
    return page.redirect("/admin/partners")


@router.post("/admin/partners/trust")
def partner_trust(page: PageDep, form: CheckedForm) -> Response:
    admin = page.require(Perm.MANAGE_SHARING)
    name = field_text(form, "name", required=True, limit=100)
    trust = field_text(form, "trust", required=True, limit=20)
    p = page.svc.sharing.set_trust(admin, name, trust, ip=page.ip)
    page.flash(page._("%(n)s is now: %(t)s.", n=p.name, t=page._(p.trust)), "ok")
    return page.redirect("/admin/partners")
