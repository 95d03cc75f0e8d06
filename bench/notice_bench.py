"""Notice and takedown speed on the embedded default (SQLite, local files, in-process index).

What it measures (issue: "Figures to reach"):
  1. time from a valid notice to the content being unavailable, median and 99th percentile,
     for notices that give the content's URL and for notices that give no address and are
     located by fingerprinting the registered work against every stored upload;
  2. bulk intake: a CSV with one item per row, validated, located and acted on; items/s.

Material: the stored uploads are small JPEG pictures. The works named by the fingerprint
notices are real photographs from Debian's wallpaper packages (bench/image_corpus.py), and
the uploads that copy them are re-encoded, resized copies; the other uploads (fillers that
make up the 10,000) are generated pictures, as only their number matters for the timing.
Peer: the law's 24 hours (there is no software peer for a takedown); the URL and
fingerprint paths are printed side by side.

    python bench/notice_bench.py            # 10,000 uploads, 1,000 + 1,000 notices, 10,000 CSV rows
    python bench/notice_bench.py --quick    # 1,000 uploads, 100 + 100 notices, 1,000 CSV rows
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from safeharbor.config import load_settings  # noqa: E402
from safeharbor.notices import bulk  # noqa: E402
from safeharbor.platform import Platform  # noqa: E402

NOTICE = {
    "notifier_name": "Bench Studio",
    "notifier_contact": "legal@bench.example",
    "notifier_address": "1 Bench Road",
    "work": "bench work",
    "evidence": "certificate",
    "signature": "Bench Studio",
}
console = Console(stderr=True)


def filler(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    low = (rng.random((4, 5, 3)) * 255).astype(np.uint8)
    img = Image.fromarray(low).resize((160, 120), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def real_photos(n: int) -> list[Path]:
    from bench.image_corpus import build

    seen: set[str] = set()
    out: list[Path] = []
    for item in build(verbose=False):  # one picture per group: no two versions of one photo
        if item.group not in seen:
            seen.add(item.group)
            out.append(item.path)
    return out[:n]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n_uploads, n_notices, n_csv = (1000, 100, 1000) if args.quick else (10_000, 1000, 10_000)

    tmp = Path(tempfile.mkdtemp(prefix="sh-notice-bench-"))
    platform = Platform(load_settings(tmp / "home"))
    platform.migrate()
    with platform.unit() as svc:
        holder = svc.accounts.create_user("studio", "holder")
        uploader = svc.accounts.create_user("uploader", "uploader")
        reviewer = svc.accounts.create_user("reviewer", "reviewer")
        svc.accounts.accept_terms(uploader, platform.settings.terms_version, None)

    photos = real_photos(n_notices)
    n_works = len(photos)
    console.print(f"{n_works} real photographs as works; {n_uploads} uploads in all")
    work_ids: list[int] = []
    copies: list[str] = []
    uploads: list[str] = []
    t_setup = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("setting up", total=n_works + n_uploads)
        for i, photo in enumerate(photos):
            # The uploader's copy goes in first (the work is not registered yet, so it is
            # allowed), then the holder registers the original.
            img = Image.open(photo).convert("RGB")
            img.thumbnail((480, 480))
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=70)
            path = tmp / f"copy{i}.jpg"
            path.write_bytes(buf.getvalue())
            with platform.unit() as svc:
                c, _ = svc.screening.upload(svc.accounts.get(uploader.id), path)
                copies.append(c.public_id)
            with platform.unit() as svc:
                reg = svc.registry.register(svc.accounts.get(holder.id), photo, title=f"work {i}")
                svc.registry.review(reg.work.id, "approve", svc.accounts.get(reviewer.id))
                work_ids.append(reg.work.id)
            progress.advance(task, 2)
        for i in range(n_uploads - n_works):
            path = tmp / "filler.jpg"
            path.write_bytes(filler(i))
            with platform.unit() as svc:
                c, _ = svc.screening.upload(svc.accounts.get(uploader.id), path)
                uploads.append(c.public_id)
            progress.advance(task)
    setup_s = time.perf_counter() - t_setup

    def timed_notice(**kw: object) -> tuple[float, list[str]]:
        t0 = time.perf_counter()
        with platform.unit() as svc:
            res = svc.notices.file(svc.accounts.get(holder.id), dict(NOTICE), **kw)  # type: ignore[arg-type]
        return time.perf_counter() - t0, res.located

    url_times, fp_times = [], []
    fp_found = 0
    for i in range(n_notices):
        dt, located = timed_notice(urls=[f"{platform.settings.base_url}/c/{uploads[i]}"])
        assert located == [uploads[i]]
        url_times.append(dt)
    for i, work_id in enumerate(work_ids):
        dt, located = timed_notice(work_id=work_id)
        fp_found += copies[i] in located
        fp_times.append(dt)

    rows = [{"url": f"/c/{cid}", "title": f"item {j}"} for j, cid in enumerate(uploads[n_notices:])]
    rows = (rows * (n_csv // max(len(rows), 1) + 1))[:n_csv]  # repeats count as duplicates
    t0 = time.perf_counter()
    results = list(bulk.file_rows(platform, _user(platform, holder.id), rows, common=NOTICE))
    bulk_s = time.perf_counter() - t0
    acted = sum(1 for r in results if r.get("located"))

    table = Table(title=f"notice to unavailable ({n_uploads} stored uploads, SQLite)")
    for col in ("notice kind", "n", "median ms", "p99 ms", "max ms", "found", "law allows"):
        table.add_column(col)
    for name, times, found in (
        ("with URL", url_times, n_notices),
        ("no URL: fingerprint", fp_times, fp_found),
    ):
        table.add_row(
            name,
            str(len(times)),
            f"{statistics.median(times) * 1000:.1f}",
            f"{pct(times, 0.99) * 1000:.1f}",
            f"{max(times) * 1000:.1f}",
            f"{found}/{len(times)}",
            "24 h",
        )
    Console().print(table)
    print(
        f"bulk CSV: {len(rows)} rows in {bulk_s:.1f} s = {len(rows) / bulk_s:.0f} items/s "
        f"({acted} taken down, the rest duplicates of earlier rows)"
    )
    print(f"set-up (uploads and works through the full screen): {setup_s:.0f} s")


def _user(platform: Platform, uid: int):  # type: ignore[no-untyped-def]  # noqa: ANN202
    with platform.unit() as svc:
        return svc.accounts.get(uid)


if __name__ == "__main__":
    main()
