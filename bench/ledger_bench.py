"""The tamper-evident ledger at scale, on SQLite and on PostgreSQL.

What it measures, at N records (default 1,000,000):
  1. append rate: records per second through ``audit.append`` in transactions of 1,000;
  2. integrate: sealing the whole backlog at once (nodes written, head signed);
  3. inclusion proofs: size (hashes, bytes), time to build one from the database, and time
     to verify one (median over 1,000 random records; goal under 1 ms);
  4. consistency proofs likewise (1,000 random earlier sizes against the latest);
  5. a full ``verify`` (every record, node and head recomputed).
Peer: the naive proof, recomputing the root from every leaf (what a log without stored
subtrees, or a verifier handed the whole log, must do), timed in the same run.

    python bench/ledger_bench.py                         # 1,000,000 records, both backends
    python bench/ledger_bench.py --records 20000         # while developing
    python bench/ledger_bench.py --backend sqlite        # one backend only
    python bench/ledger_bench.py --docs                  # also write docs/benchmarks.md

PostgreSQL: ``SAFEHARBOR_TEST_POSTGRES_URL`` (``eval "$(scripts/pg-start.sh)"``), else skipped.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (sys.path, one thread)
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import create_engine, func, select, text

from safeharbor.audit import service as audit
from safeharbor.audit.models import Record
from safeharbor.config import load_settings
from safeharbor.evidence import merkle
from safeharbor.platform import Platform

console = Console()
TXN = 1_000


def _pg_database() -> tuple[str, Any] | None:
    url = os.environ.get("SAFEHARBOR_TEST_POSTGRES_URL")
    if not url:
        return None
    name = "sh_bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.rsplit("/", 1)[0] + "/" + name, drop


def run(backend: str, n: int, home: Path, db_url: str) -> dict[str, Any]:
    platform = Platform(load_settings(home, database_url=db_url))
    platform.migrate()
    fig: dict[str, Any] = {"backend": backend, "records": n}
    # 1. appends
    t0 = time.perf_counter()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"{backend}: appending", total=n)
        for start in range(0, n, TXN):
            with platform.unit() as svc:
                for i in range(start, min(n, start + TXN)):
                    audit.append(
                        svc.session,
                        at=platform.clock.now(),
                        action="bench.decision",
                        subject_type="content",
                        subject_id=f"c{i:08d}",
                        actor_id=None,
                        actor_ip="203.0.113.9",
                        payload={"decision": "allow", "score": 0.12, "i": i},
                    )
            bar.update(task, advance=min(TXN, n - start))
    fig["append_s"] = time.perf_counter() - t0
    fig["append_rate"] = n / fig["append_s"]
    # 2. integrate the whole backlog
    t0 = time.perf_counter()
    with platform.unit() as svc:
        head = svc.ledger.integrate()
    fig["integrate_s"] = time.perf_counter() - t0
    assert head.tree_size == n, head.tree_size
    root = bytes.fromhex(head.root_hash)
    # one more transaction of appends and its integration: the steady-state cost
    with platform.unit() as svc:
        for i in range(TXN):
            audit.append(
                svc.session,
                at=platform.clock.now(),
                action="bench.decision",
                subject_type="content",
                subject_id=f"x{i}",
            )
    t0 = time.perf_counter()
    with platform.unit() as svc:
        head2 = svc.ledger.integrate()
    fig["integrate_1000_s"] = time.perf_counter() - t0
    size2 = head2.tree_size
    root2 = bytes.fromhex(head2.root_hash)
    rng = random.Random(6962)
    # 3. inclusion proofs against the first head
    build, check, sizes = [], [], []
    with platform.unit() as svc:
        for rid in rng.sample(range(1, n + 1), 1000):
            t0 = time.perf_counter()
            proof = svc.ledger.inclusion(rid, tree_size=n)
            build.append(time.perf_counter() - t0)
            path = [bytes.fromhex(h) for h in proof["audit_path"]]
            leaf = bytes.fromhex(proof["leaf_hash"])
            t0 = time.perf_counter()
            ok = merkle.verify_inclusion(leaf, rid - 1, n, path, root)
            check.append(time.perf_counter() - t0)
            assert ok
            sizes.append(len(path))
        fig["incl_hashes"] = statistics.median(sizes)
        fig["incl_bytes"] = 32 * statistics.median(sizes)
        fig["incl_build_ms"] = 1000 * statistics.median(build)
        fig["incl_verify_ms"] = 1000 * statistics.median(check)
        # 4. consistency proofs from earlier sizes to the latest (second) head
        build, check, sizes = [], [], []
        for m in rng.sample(range(1, size2), 1000):
            t0 = time.perf_counter()
            path = svc.ledger._with_nodes(lambda get, m=m: merkle.consistency_path(m, size2, get))
            old_root = svc.ledger._with_nodes(lambda get, m=m: merkle.tree_root(m, get))
            build.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ok = merkle.verify_consistency(m, size2, old_root, root2, path)
            check.append(time.perf_counter() - t0)
            assert ok
            sizes.append(len(path))
        fig["cons_hashes"] = statistics.median(sizes)
        fig["cons_bytes"] = 32 * statistics.median(sizes)
        fig["cons_build_ms"] = 1000 * statistics.median(build)
        fig["cons_verify_ms"] = 1000 * statistics.median(check)
        # peer: the naive proof, every leaf read and the root recomputed
        t0 = time.perf_counter()
        leaves = [
            bytes.fromhex(h)
            for h in svc.session.scalars(
                select(Record.leaf_hash).where(Record.id <= n).order_by(Record.id)
            )
        ]
        fig["naive_read_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        assert merkle.root(leaves) == root
        fig["naive_hash_s"] = time.perf_counter() - t1
        fig["naive_s"] = time.perf_counter() - t0
        fig["naive_bytes"] = 32 * len(leaves)
        del leaves
        assert svc.session.scalar(select(func.count()).select_from(Record)) == size2
    # 5. full verify
    t0 = time.perf_counter()
    with platform.unit() as svc:
        result = svc.ledger.verify()
    fig["verify_s"] = time.perf_counter() - t0
    assert result.ok, result.failure
    platform.close()
    return fig


def table(figs: list[dict[str, Any]]) -> tuple[Table, str]:
    t = Table(title="Ledger")
    t.add_column("figure")
    for f in figs:
        t.add_column(f"{f['backend']} ({f['records']:,} records)", justify="right")
    rows = [
        ("append rate (records/s, 1,000 per transaction)", "append_rate", "{:,.0f}"),
        ("integrate the whole backlog (s)", "integrate_s", "{:.1f}"),
        ("integrate 1,000 more (s)", "integrate_1000_s", "{:.3f}"),
        ("inclusion proof: hashes / bytes", None, None),
        ("inclusion proof: build from the database, median (ms)", "incl_build_ms", "{:.2f}"),
        ("inclusion proof: verify, median (ms)", "incl_verify_ms", "{:.3f}"),
        ("consistency proof: hashes / bytes", None, None),
        ("consistency proof: build from the database, median (ms)", "cons_build_ms", "{:.2f}"),
        ("consistency proof: verify, median (ms)", "cons_verify_ms", "{:.3f}"),
        ("peer, naive proof: read every leaf + recompute root (s)", "naive_s", "{:.2f}"),
        ("peer, naive proof: data needed (bytes)", "naive_bytes", "{:,}"),
        ("ratio naive / audit-path verify", None, None),
        ("full verify (s)", "verify_s", "{:.1f}"),
    ]
    md = ["| figure | " + " | ".join(f"{f['backend']} ({f['records']:,})" for f in figs) + " |"]
    md.append("|---|" + "---:|" * len(figs))
    for label, key, fmt in rows:
        cells = []
        for f in figs:
            if label.startswith("inclusion proof: hashes"):
                cells.append(f"{f['incl_hashes']:.0f} / {f['incl_bytes']:.0f}")
            elif label.startswith("consistency proof: hashes"):
                cells.append(f"{f['cons_hashes']:.0f} / {f['cons_bytes']:.0f}")
            elif label.startswith("ratio"):
                cells.append(f"{f['naive_s'] * 1000 / f['incl_verify_ms']:,.0f}x")
            else:
                assert key is not None and fmt is not None
                cells.append(fmt.format(f[key]))
        t.add_row(label, *cells)
        md.append(f"| {label} | " + " | ".join(cells) + " |")
    return t, "\n".join(md)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--docs", action="store_true", help="write the figures into the docs")
    args = ap.parse_args()
    figs = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            home = Path(tmp) / "sqlite"
            figs.append(run("sqlite", args.records, home, f"sqlite:///{home / 'bench.db'}"))
        if args.backend in ("postgres", "both"):
            pg = _pg_database()
            if pg is None:
                console.print("SAFEHARBOR_TEST_POSTGRES_URL not set: PostgreSQL skipped")
            else:
                url, drop = pg
                try:
                    figs.append(run("postgres", args.records, Path(tmp) / "pg", url))
                finally:
                    drop()
    t, md = table(figs)
    console.print(t)
    if args.docs:
        cmd = f"python bench/ledger_bench.py --records {args.records} --backend {args.backend}"
        _common.write_docs(f"Command: `{cmd}`\n\n{md}", "ledger")


if __name__ == "__main__":
    main()
