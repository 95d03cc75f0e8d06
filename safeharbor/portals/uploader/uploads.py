"""My uploads, the terms, the upload form, the decision page and the answer to a hold:
the same service calls as ``POST /api/uploads``, ``POST /api/users/me/terms``,
``GET /api/contents/{id}`` and ``POST /api/contents/{id}/answer``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.errors import InvalidInput, SafeharborError
from safeharbor.naming import display_name
from safeharbor.portals.uploader import common
from safeharbor.screening.models import ContentState
from safeharbor.screening.service import UPLOAD_WARNING
from safeharbor.web.page import CheckedForm, PageDep, field_file, field_text

router = APIRouter(include_in_schema=False)

#: states in which the uploader can send a licence or proof (as the service allows)
ANSWERABLE = (ContentState.HELD.value, ContentState.BLOCKED.value)
ANSWER_KINDS = ("licence", "ownership")


@router.get("/uploader")
def my_uploads(page: PageDep) -> Response:
    user = page.signed_in()
    if user.status in ("suspended", "terminated"):
        # the account may not upload; what it can still do is see and appeal its strikes
        return page.redirect("/uploader/strikes")
    user = common.uploader(page)
    contents = common.my_contents(page, user)
    rows = []
    for c in contents:
        screening = common.last_screening(page, c)
        rows.append(
            {
                "content": c,
                "match": common.deciding_match(screening.matches if screening else []),
                "notice": common.notice_for(page, c)
                if c.state in ("removed", "disabled", "restored")
                else None,
                "answered": common.open_answer(page, c) is not None,
            }
        )
    return page.render(
        "uploader/index.html",
        rows=rows,
        terms_ok=user.terms_version == page.svc.platform.settings.terms_version,
        notices=len(common.notices_against(page, user)),
    )


@router.get("/uploader/upload")
def upload_form(page: PageDep) -> Response:
    user = common.uploader(page)
    return _upload_page(page, user.terms_version == page.svc.platform.settings.terms_version)


def _upload_page(
    page: PageDep, terms_ok: bool, *, title: str = "", error: str | None = None, status: int = 200
) -> Response:
    return page.render(
        "uploader/upload.html",
        status=status,
        terms_ok=terms_ok,
        warning=UPLOAD_WARNING,
        version=page.svc.platform.settings.terms_version,
        title=title,
        error=error,
        limit_mib=page.svc.platform.settings.max_upload_bytes // 2**20,
    )


@router.post("/uploader/terms")
def accept_terms(page: PageDep, form: CheckedForm) -> Response:
    user = common.uploader(page)
    if field_text(form, "accept") != "yes":
        return _upload_page(
            page,
            False,
            error=page._("Tick the box to accept the terms: you cannot upload without it."),
            status=422,
        )
    page.svc.accounts.accept_terms(user, page.svc.platform.settings.terms_version, page.ip)
    page.flash(page._("Thank you: the terms are accepted. You can upload now."), "ok")
    return page.redirect("/uploader/upload")


@router.post("/uploader/upload")
def upload(page: PageDep, form: CheckedForm) -> Response:
    user = common.uploader(page)
    terms_ok = user.terms_version == page.svc.platform.settings.terms_version
    # the service checks the title's length (clean_title); the form keeps what was typed
    title = field_text(form, "title", limit=100_000)
    file = field_file(form, "file")
    if not terms_ok:
        # the service refuses too; this says it in words the form can act on
        return _upload_page(page, False, error=page._("Accept the upload terms first."), status=403)
    try:
        if not title:
            raise InvalidInput("Give the upload a title.")
        if file is None:
            raise InvalidInput("Choose a file to upload.")
        with common.saved_file(page, file) as path:
            content, _res = page.svc.screening.upload(
                user,
                path,
                filename=display_name(file.filename or "upload"),
                title=title,
                ip=page.ip,
                client="web",
            )
    except SafeharborError as exc:
        return _upload_page(page, True, title=title, error=page._(exc.message), status=422)
    page.flash(page._("Your upload is received and screened."), "ok")
    return page.redirect(f"/uploader/uploads/{content.public_id}")


@router.get("/uploader/uploads/{public_id}")
def decision(public_id: str, page: PageDep) -> Response:
    user = common.uploader(page)
    content = common.my_content(page, user, public_id)
    screening = common.last_screening(page, content)
    matches = screening.matches if screening else []
    answered = common.open_answer(page, content) is not None
    return page.render(
        "uploader/decision.html",
        content=content,
        matches=matches,
        match=common.deciding_match(matches),
        notes=screening.notes if screening else [],
        notice=common.notice_for(page, content),
        responses=page.svc.screening.responses(content),
        answered=answered,
        answerable=content.state in ANSWERABLE and not answered,
        base_url=page.svc.platform.settings.base_url,
    )


@router.get("/uploader/uploads/{public_id}/answer")
def answer_form(public_id: str, page: PageDep) -> Response:
    user = common.uploader(page)
    content = common.my_content(page, user, public_id)
    if content.state not in ANSWERABLE or common.open_answer(page, content) is not None:
        # nothing to answer (published, taken down on a notice) or already answered
        page.flash(page._("This upload is not waiting for a licence or proof."), "info")
        return page.redirect(f"/uploader/uploads/{content.public_id}")
    return _answer_page(page, content, {})


def _answer_page(
    page: PageDep,
    content: object,
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    return page.render(
        "uploader/answer.html",
        status=status,
        content=content,
        kinds=ANSWER_KINDS,
        values=values,
        error=error,
    )


@router.post("/uploader/uploads/{public_id}/answer")
def answer(public_id: str, page: PageDep, form: CheckedForm) -> Response:
    user = common.uploader(page)
    content = common.my_content(page, user, public_id)
    values = {
        "kind": field_text(form, "kind", limit=20),
        "statement": field_text(form, "statement", limit=100_000),
    }
    document = field_file(form, "document")
    try:
        if document is None:
            page.svc.screening.answer_hold(
                content.public_id,
                user,
                kind=values["kind"],
                statement=values["statement"] or None,
                document=None,
                ip=page.ip,
            )
        else:
            with common.saved_file(page, document) as path:
                page.svc.screening.answer_hold(
                    content.public_id,
                    user,
                    kind=values["kind"],
                    statement=values["statement"] or None,
                    document=path,
                    document_name=document.filename,
                    ip=page.ip,
                )
    except SafeharborError as exc:
        return _answer_page(page, content, values, page._(exc.message), 422)
    page.flash(page._("Your answer is sent. A reviewer will decide and you will be told."), "ok")
    return page.redirect(f"/uploader/uploads/{content.public_id}")
