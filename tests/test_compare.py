"""Text and code screened end to end (works add, scan, archives member by member), and
the side-by-side comparison a reviewer reads (CLI and API)."""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

from tests.conftest import auth
from tests.test_cli import lines, sh

WORDS = [
    "river",
    "mountain",
    "lantern",
    "harbour",
    "winter",
    "copper",
    "garden",
    "silent",
    "morning",
    "stone",
    "letter",
    "distant",
    "window",
    "thunder",
    "village",
    "orchard",
    "candle",
    "meadow",
    "shadow",
    "bridge",
    "whisper",
    "ember",
    "journey",
    "compass",
    "anchor",
    "feather",
    "marble",
    "velvet",
    "harvest",
    "canyon",
    "glacier",
    "prairie",
    "willow",
    "timber",
    "falcon",
    "hollow",
    "crimson",
    "amber",
    "meadowlark",
    "saffron",
    "tundra",
    "quarry",
    "beacon",
]


def prose(seed: int, n_words: int) -> str:
    rng = random.Random(seed)
    sentences = []
    while sum(len(s.split()) for s in sentences) < n_words:
        k = rng.randint(8, 16)
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(k)).capitalize() + ".")
    return " ".join(sentences)


PROGRAM = '''
def checksum(blocks, seed=7):
    """Fold blocks into one number."""
    total = seed
    for index, block in enumerate(blocks):
        if not block:
            continue
        total = (total * 31 + len(block) * index) % 1000003
        for byte in block:
            total ^= byte << (index % 8)
    return total


def window(items, size):
    out = []
    for start in range(0, len(items) - size + 1):
        chunk = items[start:start + size]
        out.append(sum(chunk) / size)
    return out


class Ledger:
    def __init__(self, owner):
        self.owner = owner
        self.rows = []

    def add(self, amount, note=""):
        if amount == 0:
            raise ValueError("empty entry")
        self.rows.append((amount, note))
        return len(self.rows)

    def balance(self):
        return sum(a for a, _ in self.rows)
'''

RENAMED = (
    PROGRAM.replace("checksum", "digest_all")
    .replace("blocks", "parts")
    .replace("total", "acc")
    .replace("window", "moving_avg")
    .replace("Ledger", "Book")
    .replace("rows", "entries")
    .replace('"""Fold blocks into one number."""', "# fold it")
)


def test_text_and_code_works_are_found_by_scan_and_inside_an_archive(tmp_path: Path) -> None:
    home = tmp_path / "home"
    refs = tmp_path / "refs"
    refs.mkdir()
    novel = prose(1, 3000)
    (refs / "novel.txt").write_text(novel)
    (refs / "ledger.py").write_text(PROGRAM)
    works = lines(sh(home, "works", "add", str(refs), "--holder", "Press", "--approve", "--json"))
    by_title = {w["title"]: w for w in works}
    assert by_title["novel"]["work_type"] == "literary"
    assert (
        by_title["ledger"]["work_type"] == "software" and by_title["ledger"]["modality"] == "code"
    )

    q = tmp_path / "q"
    q.mkdir()
    words = novel.split()
    copied = " ".join(words[1200:1300]).upper()  # a 100-word passage, case changed
    (q / "blog.txt").write_text(prose(2, 300) + "\n\n" + copied + "\n\n" + prose(3, 300))
    (q / "mine.py").write_text("import os\n\n" + RENAMED)
    (q / "other.txt").write_text(prose(4, 2000))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("project/README.md", prose(5, 200))
        z.writestr("project/src/util.py", RENAMED)
    (q / "project.zip").write_bytes(buf.getvalue())
    rows = {Path(r["path"]).name: r for r in lines(sh(home, "scan", str(q), "--json"))}

    blog = rows["blog.txt"]
    assert blog["decision"] == "hold" and blog["matches"][0]["work_id"] == by_title["novel"]["id"]
    m = blog["matches"][0]
    original = " ".join(words[1200:1300])
    start = novel.index(original)
    # placed in the work: the reported span lies on the copied passage
    assert start - 50 <= m["reference_span"][0] < m["reference_span"][1]
    assert m["reference_span"][1] <= start + len(original) + 50
    code = rows["mine.py"]
    assert code["modality"] == "code" and code["decision"] == "hold"
    assert code["matches"][0]["work_id"] == by_title["ledger"]["id"]
    assert code["matches"][0]["signal"] == "code"
    assert rows["other.txt"]["decision"] == "allow"
    # the archive: screened member by member, the match names the member
    z = rows["project.zip"]
    assert z["modality"] == "archive" and z["decision"] == "hold"
    zm = z["matches"][0]
    assert zm["work_id"] == by_title["ledger"]["id"]
    assert zm["evidence"]["passages"][0]["query_file"] == "project/src/util.py"


def test_compare_cli_places_passages_and_writes_an_escaped_html_report(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ref = tmp_path / "ref.txt"
    novel = prose(11, 2000)
    ref.write_text(novel)
    words = novel.split()
    passage = " ".join(words[500:600])
    up = tmp_path / "up.txt"
    up.write_text("<script>alert(1)</script> " + prose(12, 200) + " " + passage)
    out = tmp_path / "report.html"
    res = json.loads(sh(home, "compare", str(ref), str(up), "--html", str(out), "--json").stdout)
    assert res["score"] >= 0.8
    p = res["passages"][0]
    q0 = up.read_text().index(passage)
    assert p["unit"] == "char" and abs(p["query"][0] - q0) < 60
    r0 = novel.index(passage)
    assert abs(p["reference"][0] - r0) < 60
    page = out.read_text()
    assert '<mark id="r1">' in page and '<mark id="u1">' in page and 'href="#u1"' in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page

    # code: line spans, marked line by line
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text(PROGRAM)
    b.write_text("# header\n" * 5 + RENAMED)
    res = json.loads(sh(home, "compare", str(a), str(b), "--html", str(out), "--json").stdout)
    best = [p for p in res["passages"] if p["signal"] == "code"][0]
    assert best["unit"] == "line" and best["query"][0] >= 6  # after the 5 header lines
    assert '<pre class="lines">' in out.read_text()
    # unrelated files: no passage, and the command still succeeds
    c = tmp_path / "c.txt"
    c.write_text(prose(13, 500))
    res = json.loads(sh(home, "compare", str(ref), str(c), "--json").stdout)
    assert res["score"] < 0.65


def test_compare_api_is_for_reviewers_and_compares_a_work_with_a_stored_upload(
    client, platform, people
) -> None:
    holder, reviewer, uploader = (auth(platform, n) for n in ("studio", "rita", "alice"))
    novel = prose(21, 2500)
    r = client.post(
        "/api/works",
        headers=holder,
        files={"file": ("novel.txt", novel.encode(), "text/plain")},
        data={"statement": "ours", "work_type": "literary"},
    )
    assert r.status_code == 201, r.text
    work = r.json()
    client.post(f"/api/works/{work['id']}/review", headers=reviewer, json={"action": "approve"})
    words = novel.split()
    text = prose(22, 200) + " " + " ".join(words[900:1000])
    up = client.post(
        "/api/uploads", headers=uploader, files={"file": ("essay.txt", text.encode(), "text/plain")}
    ).json()
    assert up["decision"] == "hold"
    q = {"work_id": work["id"], "content_id": up["content_id"]}
    assert client.get("/api/compare", headers=uploader, params=q).status_code == 403
    assert client.get("/api/compare", headers=holder, params=q).status_code == 403
    res = client.get("/api/compare", headers=reviewer, params=q)
    assert res.status_code == 200 and res.json()["passages"]
    page = client.get("/api/compare", headers=reviewer, params={**q, "format": "html"})
    assert page.headers["content-type"].startswith("text/html") and "<mark" in page.text
    posted = client.post(
        "/api/compare",
        headers=reviewer,
        files={
            "reference": ("novel.txt", novel.encode(), "text/plain"),
            "upload": ("essay.txt", text.encode(), "text/plain"),
        },
    )
    assert posted.status_code == 200 and posted.json()["score"] >= 0.8
