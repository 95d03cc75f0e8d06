"""Evidence export of a case with 1,000 records: time, size, offline verification time.

The case is a notice whose content was uploaded and taken down (a real upload through the
screen), followed by 1,000 records about it (notice steps, reviewer actions and messages,
written through ``audit.append`` as the services write them), inside a ledger of
``--background`` other records, so that the inclusion proofs have the depth of a working
platform's log. Peer: the same package's proofs fetched one record at a time through
``LedgerService.inclusion`` (what a straightforward export would do), in the same run.

    python bench/evidence_bench.py                        # 1,000 case records, 100,000 others
    python bench/evidence_bench.py --case 1000 --background 1000000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from safeharbor.audit import service as audit  # noqa: E402
from safeharbor.clock import FrozenClock  # noqa: E402
from safeharbor.config import load_settings  # noqa: E402
from safeharbor.evidence import keys  # noqa: E402
from safeharbor.evidence.package import inclusion_paths  # noqa: E402
from safeharbor.evidence.verify_package import verify_package  # noqa: E402
from safeharbor.platform import Platform  # noqa: E402


def build(
    home: Path, case_records: int, background: int, db_url: str | None
) -> tuple[Platform, int]:
    import numpy as np
    from PIL import Image

    clock = FrozenClock()
    settings = load_settings(home, **({"database_url": db_url} if db_url else {}))
    p = Platform(settings, clock)
    p.migrate()
    with p.unit() as svc:
        holder = svc.accounts.create_user("studio", "holder", email="legal@studio.example")
        up = svc.accounts.create_user(
            "alice", "uploader", email="alice@example.com", ip="203.0.113.7"
        )
        svc.accounts.accept_terms(up, settings.terms_version, "203.0.113.7")
        holder_id, up_id = holder.id, up.id
    pic = home / "upload.png"
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)).save(pic)
    with p.unit() as svc:
        content, _ = svc.screening.upload(svc.accounts.get(up_id), pic, ip="198.51.100.23")
        public_id = content.public_id
    with p.unit() as svc:
        fields = {
            "notifier_name": "Studio Legal",
            "notifier_contact": "legal@studio.example",
            "notifier_address": "1 Film Road",
            "work": "Film",
            "evidence": "certificate",
            "signature": "Studio Legal",
        }
        res = svc.notices.file(svc.accounts.get(holder_id), fields, urls=[f"/c/{public_id}"])
        notice_id = int(res.view()["notice_id"])
    console = Console(stderr=True)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("writing the ledger", total=background + case_records)
        # the case's records are spread through the log, as a case's steps are in time
        every = max(1, background // max(case_records, 1))
        written_case = 0
        batch = 1000
        for start in range(0, background + case_records, batch):
            with p.unit() as svc:
                for k in range(start, min(start + batch, background + case_records)):
                    clock.advance(timedelta(seconds=1))
                    mine = written_case < case_records and (k % (every + 1) == 0 or k >= background)
                    audit.append(
                        svc.session,
                        at=clock.now(),
                        action="notice.step" if mine else "screening.decision",
                        subject_type="notice" if mine else "content",
                        subject_id=notice_id if mine else f"bg{k}",
                        actor_id=holder_id if mine else up_id,
                        payload={"k": k, "note": "bench record " * 4},
                    )
                    written_case += mine
            bar.advance(task, min(batch, background + case_records - start))
    return p, notice_id


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--case", type=int, default=1000)
    ap.add_argument("--background", type=int, default=100_000)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        p, notice_id = build(home, args.case, args.background, args.database_url)
        with p.unit() as svc:
            t = time.perf_counter()
            head = svc.ledger.head()
            integrate_s = time.perf_counter() - t
        out = Path(tmp) / "case.zip"
        with p.unit() as svc:
            t = time.perf_counter()
            res = svc.evidence.export(out, notice_id=notice_id)
            export_s = time.perf_counter() - t
        with p.unit() as svc:
            size = int(head["tree_size"])
            ids = sorted(i for i in svc.evidence.case(notice_id=notice_id).record_ids if i <= size)
            t = time.perf_counter()
            inclusion_paths(svc.session, ids, size)
            batched_s = time.perf_counter() - t
            t = time.perf_counter()
            for rid in ids:
                svc.ledger.inclusion(rid, size)
            one_by_one_s = time.perf_counter() - t
        pem = keys.public_pem(keys.load_or_create(p.settings))
        t = time.perf_counter()
        v = verify_package(out, pem)
        verify_s = time.perf_counter() - t
        assert v.ok, v.view()
        p.close()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    table = Table(
        title=f"Evidence export: {res.records} case records in a ledger of {size:,} ({backend})"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("integrate + sign the tree head first", f"{integrate_s * 1000:.0f} ms")
    table.add_row(
        "export (case, proofs, content, uploader records, zip, sign)", f"{export_s:.2f} s"
    )
    table.add_row("package size", f"{res.size / 1024:.0f} KiB")
    table.add_row("  of which content files", f"{res.content_files}")
    table.add_row("proofs batched (ours)", f"{batched_s * 1000:.0f} ms")
    table.add_row("proofs one record at a time (peer)", f"{one_by_one_s * 1000:.0f} ms")
    table.add_row("  ratio", f"{one_by_one_s / batched_s:.1f}x")
    table.add_row("offline verify (all checks)", f"{verify_s * 1000:.0f} ms")
    console.print(table)


if __name__ == "__main__":
    main()
