"""The command-line contract other tools drive: run as a user would, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import ImageOps

from tests.conftest import photo, save


def sh(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAFEHARBOR_HOME": str(home)}
    run = subprocess.run(
        [sys.executable, "-m", "safeharbor.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    if ok:
        assert run.returncode == 0, run.stderr
    return run


def lines(run: subprocess.CompletedProcess[str]) -> list[dict]:
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def test_cli_contract_end_to_end(tmp_path):
    home = tmp_path / "home"
    refs = tmp_path / "refs"
    for i in range(3):
        save(photo(40 + i), refs / f"still_{i}.jpg")
    # works add: a folder at once, approved, one JSON object per work
    works = lines(
        sh(home, "works", "add", str(refs), "--holder", "Studio A", "--approve", "--json")
    )
    assert [w["title"] for w in works] == ["still_0", "still_1", "still_2"]
    assert all(w["status"] == "approved" and isinstance(w["id"], int) for w in works)
    titled = lines(
        sh(
            home,
            "--home",
            str(home),
            "works",
            "add",
            str(refs / "still_0.jpg"),
            "--holder",
            "Studio B",
            "--title",
            "Other claim",
            "--json",
        )
    )
    assert titled[0]["title"] == "Other claim" and titled[0]["conflicts_with"] == [works[0]["id"]]

    # scan: the JSON-lines contract, nothing stored
    q = save(ImageOps.mirror(photo(41)).resize((300, 225)), tmp_path / "q" / "copy.jpg", quality=50)
    clean = save(photo(99), tmp_path / "q" / "clean.jpg")
    rows = lines(sh(home, "scan", str(tmp_path / "q"), "--json"))
    by_name = {Path(r["path"]).name: r for r in rows}
    assert set(by_name) == {"copy.jpg", "clean.jpg"}
    for r in rows:
        assert {"path", "sha256", "modality", "decision", "matches", "elapsed_ms"} <= set(r)
    hit = by_name["copy.jpg"]
    assert hit["decision"] == "hold" and hit["modality"] == "image"
    m = hit["matches"][0]
    assert m["work_id"] == works[1]["id"] and m["title"] == "still_1"
    assert 0.8 <= m["score"] <= 1 and m["signal"] == "image"
    assert m["query_span"] is None and m["reference_span"] is None
    assert by_name["clean.jpg"]["decision"] == "allow" and by_name["clean.jpg"]["matches"] == []

    # users add + upload + content show
    user = lines(
        sh(
            home,
            "users",
            "add",
            "alice",
            "--role",
            "uploader",
            "--email",
            "alice@example.com",
            "--real-name",
            "Alice",
            "--json",
        )
    )[0]
    assert user["name"] == "alice" and user["role"] == "uploader"
    up = lines(sh(home, "upload", str(q), "--user", "alice", "--ip", "203.0.113.9", "--json"))[0]
    assert {"content_id", "url", "sha256", "modality", "decision", "matches"} <= set(up)
    assert up["decision"] == "hold" and up["url"].endswith("/c/" + up["content_id"])
    shown = lines(sh(home, "content", "show", up["content_id"], "--json"))[0]
    assert shown["state"] == "held"
    assert [h["action"] for h in shown["history"]] == ["screening.decision"]
    assert shown["history"][0]["actor"]["ip"] == "203.0.113.9"
    ok = lines(sh(home, "upload", str(clean), "--user", "alice", "--json"))[0]
    assert ok["decision"] == "allow"
    assert lines(sh(home, "content", "show", ok["content_id"], "--json"))[0]["state"] == "available"


def test_cli_failures_are_one_line_and_non_zero(tmp_path):
    home = tmp_path / "home"
    for args in (
        ("users", "add", "x", "--role", "pirate"),
        ("upload", str(tmp_path / "missing.jpg"), "--user", "nobody"),
        ("content", "show", "nope"),
        ("works", "add", str(tmp_path / "missing"), "--holder", "h"),
    ):
        run = sh(home, *args, ok=False)
        assert run.returncode != 0, args
        assert run.stderr.strip().count("\n") == 0 and run.stderr.startswith("error:"), run.stderr
        assert run.stdout == ""


def test_titles_with_markup_print_as_typed(tmp_path):
    home = tmp_path / "home"
    path = save(photo(45), tmp_path / "p.jpg")
    sh(home, "works", "add", str(path), "--holder", "studio", "--title", "[/bold] x [red]r")
    listed = sh(home, "works", "list")
    assert "[/bold] x [red]r" in listed.stdout and listed.stderr == ""


def test_content_ids_never_read_as_options(monkeypatch):
    # one random id in 64 began with "-", and `safeharbor content show -Tl...` then failed
    # with "No such option" (seen in CI); ids are drawn again until they do not
    from safeharbor.screening import service

    drawn = iter(["-TlGfOIls9a9", "--x0Yk2mQpL1", "AbC_dEf-1234"])
    monkeypatch.setattr(service.secrets, "token_urlsafe", lambda n: next(drawn))
    assert service.new_public_id() == "AbC_dEf-1234"
