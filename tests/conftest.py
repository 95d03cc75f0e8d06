"""Shared fixtures: a platform on a fresh data folder over SQLite and (where
``SAFEHARBOR_TEST_POSTGRES_URL`` is set, as in CI) a real PostgreSQL; API clients; and
picture makers."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy import create_engine, text

from safeharbor.accounts.models import User
from safeharbor.app import create_app
from safeharbor.clock import FrozenClock
from safeharbor.config import load_settings
from safeharbor.platform import Platform

PG_URL = os.environ.get("SAFEHARBOR_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test gets an empty database: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if not PG_URL:
        pytest.skip("SAFEHARBOR_TEST_POSTGRES_URL not set (CI sets it)")
    name = "sh_test_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def platform(tmp_path: Path, db_url: str, clock: FrozenClock) -> Iterator[Platform]:
    home = tmp_path / "home"
    settings = load_settings(home, database_url=db_url)
    p = Platform(settings, clock)
    p.migrate()
    yield p
    p.close()


def make_user(platform: Platform, name: str, role: str, **kw: Any) -> User:
    with platform.unit() as svc:
        return svc.accounts.create_user(name, role, **kw)


def make_key(platform: Platform, name: str) -> str:
    with platform.unit() as svc:
        return svc.accounts.create_api_key(svc.accounts.get(name))


@pytest.fixture
def people(platform: Platform) -> dict[str, User]:
    """One account per role, the uploader having accepted the upload terms."""
    users = {
        "admin": make_user(platform, "root", "admin"),
        "holder": make_user(platform, "studio", "holder", email="legal@studio.example"),
        "holder2": make_user(platform, "rival", "holder"),
        "uploader": make_user(
            platform,
            "alice",
            "uploader",
            email="alice@example.com",
            phone="+86 138 0000 0000",
            real_name="Alice Zhang",
            ip="203.0.113.7",
        ),
        "uploader2": make_user(platform, "bob", "uploader"),
        "reviewer": make_user(platform, "rita", "reviewer"),
        "authority": make_user(platform, "ncac", "authority"),
    }
    with platform.unit() as svc:
        for key in ("uploader", "uploader2", "holder"):
            u = svc.accounts.get(users[key].id)
            svc.accounts.accept_terms(u, platform.settings.terms_version, "203.0.113.7")
            users[key] = u
    return users


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


def auth(platform: Platform, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(platform, name)}"}


# -- pictures ------------------------------------------------------------------------------


def photo(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photograph-like picture: smooth colour fields with shapes and fine texture, so
    that different seeds give unrelated pictures (as real photos are)."""
    rng = np.random.default_rng(seed)
    w, h = size
    low = rng.random((6, 8, 3))
    field = np.asarray(
        Image.fromarray((low * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    ).astype(np.float32)
    field += rng.normal(0, 6, (h, w, 3))
    img = Image.fromarray(np.clip(field, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        x1, y1 = x0 + int(rng.integers(30, w // 2)), y0 + int(rng.integers(30, h // 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        else:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
    return img


def save(img: Image.Image, path: Path, fmt: str = "JPEG", **kw: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, fmt, **kw)
    return path


def jpeg_bytes(img: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()
