"""What the uploader portal's pages share: whose data is shown, and the read-only queries
the domain services have no method for yet (an uploader's own uploads, the notices against
them). They only read, filtered to the signed-in user: every action goes through the
services, as the API's routes do."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

from fastapi import UploadFile as ApiUpload
from sqlalchemy import select
from starlette.datastructures import UploadFile

from safeharbor.accounts.models import User
from safeharbor.accounts.permissions import Perm
from safeharbor.api import saved_upload
from safeharbor.errors import Forbidden
from safeharbor.notices.models import Notice, NoticeItem
from safeharbor.screening.models import Content, HoldResponse, Screening
from safeharbor.web.page import Page

#: the portal's sections, for the navigation on every page (path, English label)
SECTIONS = (
    ("/uploader", "My uploads"),
    ("/uploader/upload", "Upload"),
    ("/uploader/notices", "Notices against my content"),
    ("/uploader/strikes", "Strikes and standing"),
)


def saved_file(page: Page, upload: UploadFile) -> AbstractContextManager[Path]:
    """``api.saved_upload`` (size limit, temporary file) for a posted form's file: the form
    gives Starlette's ``UploadFile``; FastAPI's, the type ``saved_upload`` names, is a
    subclass that adds nothing ``saved_upload`` reads."""
    return saved_upload(cast(ApiUpload, upload), page.svc.platform)


def uploader(page: Page) -> User:
    """The signed-in user, if they may upload (uploaders, and holders who upload too)."""
    return page.require(Perm.UPLOAD)


def own_standing(page: Page) -> User:
    """The signed-in user for the strikes pages. An active account needs the upload
    permission as everywhere here; a suspended or terminated one may still see its own
    strikes and appeal them (the API's RestrictedCaller): the appeal is how a mistaken
    suspension ends."""
    user = page.signed_in()
    if user.status == "active":
        return page.require(Perm.UPLOAD)
    return user


def my_contents(page: Page, user: User) -> list[Content]:
    return list(
        page.svc.session.scalars(
            select(Content)
            .where(Content.uploader_id == user.id)
            .order_by(Content.created_at.desc(), Content.id.desc())
        )
    )


def my_content(page: Page, user: User, public_id: str) -> Content:
    """One of the user's uploads; someone else's is refused as the API refuses it."""
    content = page.svc.screening.get(public_id)
    if content.uploader_id != user.id:
        raise Forbidden("only the uploader and reviewers may see an upload's screening")
    return content


def last_screening(page: Page, content: Content) -> Screening | None:
    return page.svc.session.scalar(
        select(Screening)
        .where(Screening.content_id == content.id)
        .order_by(Screening.id.desc())
        .limit(1)
    )


def open_answer(page: Page, content: Content) -> HoldResponse | None:
    return page.svc.session.scalar(
        select(HoldResponse)
        .where(HoldResponse.content_id == content.id, HoldResponse.status == "open")
        .limit(1)
    )


def notices_against(page: Page, user: User) -> list[Notice]:
    """Notices that name at least one of the user's uploads, newest first."""
    ids = select(NoticeItem.notice_id).join(Content, Content.id == NoticeItem.content_id)
    ids = ids.where(Content.uploader_id == user.id)
    return list(
        page.svc.session.scalars(
            select(Notice).where(Notice.id.in_(ids)).order_by(Notice.id.desc())
        )
    )


def notice_for(page: Page, content: Content) -> Notice | None:
    """The notice the upload was taken down on (the latest one that acted on it)."""
    return page.svc.session.scalar(
        select(Notice)
        .join(NoticeItem, NoticeItem.notice_id == Notice.id)
        .where(NoticeItem.content_id == content.id, NoticeItem.acted_at.is_not(None))
        .order_by(Notice.id.desc())
        .limit(1)
    )


def my_items(page: Page, notice: Notice, user: User) -> list[tuple[NoticeItem, Content]]:
    """The notice's items that are the user's uploads; other people's stay hidden."""
    out = []
    for item in notice.items:
        if item.content_id is None:
            continue
        content = page.svc.session.get(Content, item.content_id)
        if content is not None and content.uploader_id == user.id:
            out.append((item, content))
    return out


def deciding_match(matches: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The match the decision rests on, as far as the stored screening shows it: a
    stay-down entry outranks a plain match (it is always blocked), then the best score."""
    if not matches:
        return None
    staydown = [m for m in matches if m.get("staydown_notice")]
    return (staydown or matches)[0]
