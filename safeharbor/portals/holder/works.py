"""Works: register one with its reference file and proof of ownership, follow its review,
answer a request for more information, and manage its licences (the calls of
``registry/routes.py``, with its permission rules)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.accounts.models import User
from safeharbor.accounts.permissions import Perm, has
from safeharbor.config import WORK_TYPES
from safeharbor.errors import Forbidden, InvalidInput, SafeharborError
from safeharbor.portals.holder.common import attempt, form_values, holder, parse_day, render, saved
from safeharbor.portals.holder.evidence import download, entitlement
from safeharbor.registry.models import Licence, Work
from safeharbor.registry.service import ProofInput
from safeharbor.web.page import CheckedForm, Page, PageDep, field_file, field_files, field_text

router = APIRouter(include_in_schema=False)

WORK_FIELDS = ("title", "work_type", "certificate_number", "statement")
LICENCE_FIELDS = ("licensee", "starts_at", "ends_at", "terms")


def my_work(page: Page, user: User, work_id: int) -> Work:
    """The work, if the viewer may see its registration (its holder, or a reviewer)."""
    work = page.svc.registry.get(work_id)
    if work.holder_id != user.id and not has(user, Perm.REVIEW):
        raise Forbidden("only the holder and reviewers may see a work's registration")
    return work


@router.get("/holder/works")
def works(page: PageDep, status: str | None = None) -> Response:
    user = holder(page)
    return render(
        page, "holder/works.html", works=page.svc.registry.list_works(user, status or None)
    )


@router.get("/holder/works/new")
def new_work(page: PageDep) -> Response:
    holder(page)
    return _form(page, {n: "" for n in WORK_FIELDS})


def _form(page: Page, values: dict[str, str], error: str | None = None) -> Response:
    return render(
        page,
        "holder/work_new.html",
        status=422 if error else 200,
        values=values,
        error=error,
        work_types=WORK_TYPES,
    )


@router.post("/holder/works")
def register(page: PageDep, form: CheckedForm) -> Response:
    user = holder(page)
    values = form_values(form, WORK_FIELDS)
    try:
        with attempt(page):
            upload = field_file(form, "file")
            if upload is None:
                raise InvalidInput("choose the work's file")
            title = field_text(form, "title", limit=500) or None
            work_type = field_text(form, "work_type", limit=16) or None
            certificate = field_text(form, "certificate_number", limit=100) or None
            statement = field_text(form, "statement") or None
            with ExitStack() as stack:
                path = stack.enter_context(saved(upload, page))
                proofs = []
                for doc in field_files(form, "proofs"):
                    doc_path = stack.enter_context(saved(doc, page))
                    proofs.append(ProofInput("document", doc_path, filename=doc.filename))
                if certificate:
                    proofs.append(ProofInput("certificate", note=certificate))
                if statement:
                    proofs.append(ProofInput("statement", note=statement))
                reg = page.svc.registry.register(
                    user,
                    path,
                    title=title,
                    work_type=work_type,
                    certificate_number=certificate,
                    statement=statement,
                    proofs=proofs,
                    filename=upload.filename or "upload",
                    actor=user,
                    ip=page.ip,
                )
    except SafeharborError as exc:
        return _form(page, values, page._(exc.message))
    if reg.conflicts:
        page.flash(
            page._(
                "Work registered, but another rights holder claims the same content: "
                "a reviewer will decide who owns it."
            ),
            "info",
        )
    else:
        page.flash(page._("Work registered: it waits for a reviewer."), "ok")
    return page.redirect(f"/holder/works/{reg.work.id}")


def _licence_rows(page: Page, work: Work) -> list[dict[str, Any]]:
    rows = []
    now = page.now
    for lic in page.svc.registry.licences(work.id):
        who = page.svc.accounts.get(lic.licensee_id).name if lic.licensee_id else None
        rows.append({"licence": lic, "licensee": who, "state": _licence_state(lic, now)})
    return rows


def _licence_state(lic: Licence, now: Any) -> str:
    from safeharbor.clock import as_utc

    if lic.revoked_at is not None:
        return "revoked"
    if as_utc(lic.starts_at) > now:
        return "not yet in force"
    if lic.ends_at is not None and as_utc(lic.ends_at) <= now:
        return "expired"
    return "in force"


def _work_page(
    page: Page,
    user: User,
    work: Work,
    *,
    licence_values: dict[str, str] | None = None,
    licence_error: str | None = None,
    proof_error: str | None = None,
) -> Response:
    conflicts = [
        c for c in page.svc.registry.conflicts("open") if work.id in (c.work_id, c.other_work_id)
    ]
    notices = [n for n in page.svc.notices.list_notices(user) if n.work_id == work.id]
    return render(
        page,
        "holder/work.html",
        status=422 if (licence_error or proof_error) else 200,
        work=work,
        conflicts=conflicts,
        licences=_licence_rows(page, work),
        notices=notices,
        licence_values=licence_values or {n: "" for n in LICENCE_FIELDS},
        licence_error=licence_error,
        proof_error=proof_error,
        can_license=page.can(Perm.GRANT_LICENCE),
        entitled=entitlement(page, user, work_id=work.id),
    )


@router.get("/holder/works/{work_id}")
def work(work_id: int, page: PageDep) -> Response:
    user = holder(page)
    return _work_page(page, user, my_work(page, user, work_id))


@router.post("/holder/works/{work_id}/proofs")
def add_proof(work_id: int, page: PageDep, form: CheckedForm) -> Response:
    """Answer a reviewer's request for more information: a document, a note, or both."""
    user = holder(page)
    w = my_work(page, user, work_id)
    try:
        with attempt(page):
            note = field_text(form, "note") or None
            doc = field_file(form, "document")
            if doc is None and not note:
                raise InvalidInput("add a document or write an answer")
            if doc is None:
                page.svc.registry.add_proof(
                    work_id, ProofInput("statement", note=note), user, page.ip
                )
            else:
                with saved(doc, page) as path:
                    proof = ProofInput("document", path, note=note, filename=doc.filename)
                    page.svc.registry.add_proof(work_id, proof, user, page.ip)
    except SafeharborError as exc:
        return _work_page(page, user, w, proof_error=page._(exc.message))
    page.flash(page._("Your answer was added to the registration."), "ok")
    return page.redirect(f"/holder/works/{work_id}")


@router.post("/holder/works/{work_id}/licences")
def grant(work_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = page.require(Perm.GRANT_LICENCE)
    w = my_work(page, user, work_id)
    values = form_values(form, LICENCE_FIELDS)
    try:
        with attempt(page):
            name = field_text(form, "licensee", limit=64)
            licensee = page.svc.accounts.get(name) if name else None
            page.svc.registry.grant_licence(
                work_id,
                user,
                licensee=licensee,
                starts_at=parse_day(field_text(form, "starts_at", limit=20), page.tz, "starts at"),
                ends_at=parse_day(field_text(form, "ends_at", limit=20), page.tz, "ends at"),
                terms=field_text(form, "terms") or None,
                ip=page.ip,
            )
    except SafeharborError as exc:
        return _work_page(page, user, w, licence_values=values, licence_error=page._(exc.message))
    page.flash(page._("Licence granted."), "ok")
    return page.redirect(f"/holder/works/{work_id}#licences")


@router.post("/holder/licences/{licence_id}/revoke")
def revoke(licence_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = holder(page)
    lic = page.svc.registry.revoke_licence(licence_id, user, page.ip)
    page.flash(page._("Licence revoked."), "ok")
    return page.redirect(f"/holder/works/{lic.work_id}#licences")


@router.post("/holder/works/{work_id}/evidence")
def work_evidence(work_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = holder(page)
    my_work(page, user, work_id)
    return download(page, user, work_id=work_id)
