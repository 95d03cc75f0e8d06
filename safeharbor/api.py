"""What every API route shares: the platform, a unit of work, and the caller.

A caller authenticates with an API key (``Authorization: Bearer KEY`` or ``X-API-Key``);
each route then asks ``accounts.permissions`` whether the caller may act.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.datastructures import UploadFile

from safeharbor.accounts.models import User
from safeharbor.errors import InvalidInput, Unauthorized
from safeharbor.platform import Platform, Services


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def get_services(platform: Annotated[Platform, Depends(get_platform)]) -> Iterator[Services]:
    with platform.unit() as svc:
        yield svc


# "function" scope: the transaction commits before the response is sent, so a client is
# never told 201 about something a failed commit rolled back.
Svc = Annotated[Services, Depends(get_services, scope="function")]


def _key(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def optional_user(
    svc: Svc,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> User | None:
    key = _key(authorization, x_api_key)
    return svc.accounts.authenticate(key) if key else None


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise Unauthorized("an API key is required (Authorization: Bearer KEY)")
    return user


def restricted_user(
    svc: Svc,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> User:
    """The caller, even if suspended or terminated: only for seeing and appealing one's
    own strikes."""
    key = _key(authorization, x_api_key)
    if key is None:
        raise Unauthorized("an API key is required (Authorization: Bearer KEY)")
    return svc.accounts.authenticate(key, restricted_ok=True)


Caller = Annotated[User, Depends(current_user)]
#: a caller whose account may be suspended or terminated (strikes and appeals only)
RestrictedCaller = Annotated[User, Depends(restricted_user)]
MaybeCaller = Annotated[User | None, Depends(optional_user)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


ClientIP = Annotated[str | None, Depends(client_ip)]


@contextmanager
def saved_upload(upload: UploadFile, platform: Platform) -> Iterator[Path]:
    """An uploaded form file as a path on disk (removed afterwards), size-limited (from
    an API route or a portal's form alike: FastAPI's UploadFile is Starlette's)."""
    limit = platform.settings.max_upload_bytes
    tmp_dir = platform.settings.home / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
    path = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise InvalidInput(f"file is larger than the {limit // 2**20} MiB limit")
                out.write(chunk)
        yield path
    finally:
        path.unlink(missing_ok=True)
