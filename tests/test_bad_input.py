"""Hostile and broken input: a clear error or a safe decision, no crash, nothing stored
changes."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from safeharbor.errors import InvalidInput
from safeharbor.platform import Platform
from tests.conftest import jpeg_bytes, photo, save


def snapshot(platform: Platform) -> tuple:
    from safeharbor.models import Content, Record, Work

    with platform.unit() as svc:
        counts = tuple(svc.session.query(m).count() for m in (Work, Content, Record))
    blobs = sorted(
        (p.name, p.stat().st_size) for p in platform.settings.blob_dir.rglob("*") if p.is_file()
    )
    return counts, blobs


@pytest.fixture
def stored(platform, people, tmp_path):  # noqa: ANN001, ANN201
    """Some works and an upload already stored, to check nothing changes."""
    with platform.unit() as svc:
        reg = svc.registry.register(
            svc.accounts.get(people["holder"].id), save(photo(31), tmp_path / "w.jpg")
        )
        svc.registry.review(reg.work.id, "approve", svc.accounts.get(people["reviewer"].id))
        svc.screening.upload(
            svc.accounts.get(people["uploader"].id), save(photo(32), tmp_path / "u.jpg")
        )
    return snapshot(platform)


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header declaring a huge picture, with a tiny compressed body."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * width
    idat = zlib.compress(row * 4, 9)  # only a few rows: the header is the lie
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def bad_files(tmp: Path) -> dict[str, Path]:
    good = jpeg_bytes(photo(33))
    files = {
        "truncated.jpg": good[: len(good) // 3],
        "corrupt.png": b"\x89PNG\r\n\x1a\n" + os.urandom(2000),
        "empty.jpg": b"",
        "bomb.png": bomb_png(20_000, 20_000),
    }
    out = {}
    for name, data in files.items():
        (tmp / name).write_bytes(data)
        out[name] = tmp / name
    return out


@pytest.mark.parametrize("name", ["truncated.jpg", "corrupt.png", "empty.jpg", "bomb.png"])
def test_unreadable_uploads_are_refused_and_nothing_changes(
    platform, people, stored, tmp_path, name
):
    path = bad_files(tmp_path)[name]
    with platform.unit() as svc, pytest.raises(InvalidInput) as exc:
        svc.screening.upload(svc.accounts.get(people["uploader"].id), path)
    message = str(exc.value)
    assert message and "\n" not in message
    with platform.unit() as svc, pytest.raises(InvalidInput):
        svc.registry.register(svc.accounts.get(people["holder"].id), path)
    assert snapshot(platform)[0] == stored[0]
    # Blobs of refused registrations may remain (content-addressed, unreferenced), but
    # nothing already stored is altered or removed.
    assert set(stored[1]) <= set(snapshot(platform)[1])


def test_a_text_file_named_jpeg_is_screened_as_what_it_is(platform, people, tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_text("this is not a picture at all\n")
    with platform.unit() as svc:
        content, res = svc.screening.upload(svc.accounts.get(people["uploader"].id), fake)
    assert content.modality == "text" and res.verdict.decision == "allow"
    assert any("name says .jpg" in n for n in res.notes)


def test_non_utf8_file_names(platform, people, tmp_path):
    raw = os.fsencode(str(tmp_path)) + b"/\xff\xfename-\xe9.jpg"
    with open(raw, "wb") as fh:
        fh.write(jpeg_bytes(photo(34)))
    path = Path(os.fsdecode(raw))
    with platform.unit() as svc:
        reg = svc.registry.register(svc.accounts.get(people["holder"].id), path)
        assert "\ufffd" in reg.work.title and reg.work.title.endswith("name-\ufffd")
        content, _ = svc.screening.upload(svc.accounts.get(people["uploader"].id), path)
        assert content.filename and "\ufffd" in content.filename


def test_holder_name_with_markup_is_refused(platform, people, tmp_path):
    with platform.unit() as svc, pytest.raises(InvalidInput, match="no markup"):
        svc.accounts.create_user("<script>alert(1)</script>", "holder")
    with platform.unit() as svc, pytest.raises(InvalidInput):
        svc.accounts.get_or_create('Studio"><img src=x>', "holder")


def test_cli_reports_bad_files_in_one_line(tmp_path):
    files = bad_files(tmp_path)
    env = {**os.environ, "SAFEHARBOR_HOME": str(tmp_path / "home")}
    run = subprocess.run(
        [sys.executable, "-m", "safeharbor.cli", "scan", str(files["bomb.png"]), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "error:" in run.stderr
    assert '"decision": "error"' in run.stdout
