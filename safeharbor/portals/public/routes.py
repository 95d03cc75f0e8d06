"""Pages of the public portal (no account): the complaint channel (Reg 14, DSA 16: easy
to find, electronic) and the platform's designated contact for copyright matters.

A complaint is filed under the account of the sender's email address (made on first
use), exactly as a notice sent by email: ``accounts.for_contact_email`` then
``notices.file``, the calls the old hand-written page made, now from a template with a
CSRF-checked form.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.errors import SafeharborError
from safeharbor.portals.public.words import FIELD_LABELS
from safeharbor.profiles import Profile
from safeharbor.web.page import CheckedForm, Page, PageDep, field_text

router = APIRouter(include_in_schema=False)

#: fields typed as several lines
_LONG = {"location", "evidence", "explanation", "authorisation"}


def form_fields(prof: Profile) -> list[dict[str, Any]]:
    """The form's fields, in the order a sender thinks of them: where the content is,
    how to reach you, then what the profile asks for, declarations last (as checkboxes)."""
    asked = [f for f in prof.notice.required if f not in ("location", "notifier_email")]
    plain = [f for f in asked if f not in prof.notice.declarations]
    names = ["location", "title", "notifier_email", *plain]
    out = [
        {
            "name": n,
            "label": FIELD_LABELS.get(n, n.replace("_", " ")),
            "long": n in _LONG,
            "required": n in prof.notice.required or n == "notifier_email",
            "check": False,
            "agent": False,
        }
        for n in names
    ]
    # the location may be left out where the profile accepts a title instead
    if "title" in prof.notice.location_alternatives:
        out[0]["required"] = False
    out += [
        {"name": n, "label": FIELD_LABELS.get(n, n), "long": True, "required": False}
        | {"check": False, "agent": True}
        for n in prof.notice.agent_required
    ]
    out += [
        {"name": n, "label": FIELD_LABELS.get(n, n), "long": False, "required": True}
        | {"check": True, "agent": False}
        for n in prof.notice.declarations
    ]
    return out


def _form(
    page: Page, prof: Profile, values: dict[str, str], error: str | None, status: int = 200
) -> Response:
    return page.render(
        "public/complaints.html",
        status=status,
        prof=prof,
        fields=form_fields(prof),
        values=values,
        error=error,
        intake=page.svc.platform.settings.intake_address,
    )


@router.get("/complaints")
def complaint_page(page: PageDep, profile: str | None = None) -> Response:
    return _form(page, page.svc.notices.profile(profile), {}, None)


@router.post("/complaints")
def complaint_submit(page: PageDep, form: CheckedForm) -> Response:
    profile = field_text(form, "profile", limit=40) or None
    prof = page.svc.notices.profile(profile)
    fields = {
        k: v.strip()
        for k, v in form.items()
        if isinstance(v, str) and k not in ("csrf_token", "profile")
    }
    values = dict(fields)
    urls = fields.pop("location", "").split()
    title = fields.pop("title", "") or None
    try:
        # a savepoint: a sender account made for a notice that is then refused goes too
        with page.svc.session.begin_nested():
            sender = page.svc.accounts.for_contact_email(
                fields.get("notifier_email", ""), fields.get("notifier_name"), ip=page.ip
            )
            res = page.svc.notices.file(
                sender, fields, urls=urls, title=title, profile=prof.name, channel="web", ip=page.ip
            )
    except SafeharborError as exc:
        return _form(page, prof, values, page._(exc.message), status=exc.status)
    view = res.view()
    # The receipt is shown at once (201; 422 when incomplete), as the complaint page always
    # answered: an anonymous sender has no page to be sent back to, and the notice is kept
    # either way.
    return page.render(
        "public/received.html",
        status=422 if view["missing"] else 201,
        prof=prof,
        view=view,
        labels=FIELD_LABELS,
        intake=page.svc.platform.settings.intake_address,
    )


@router.get("/contact")
def contact(page: PageDep) -> Response:
    s = page.svc.platform.settings
    return page.render(
        "public/contact.html",
        contact={
            "name": s.contact_name,
            "email": s.contact_email,
            "phone": s.contact_phone,
            "address": s.contact_address,
        },
        intake=s.intake_address,
        prof=page.svc.notices.profile(),
    )
