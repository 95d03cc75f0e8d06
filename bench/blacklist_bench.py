"""Blacklist checking speed: links checked per second against 100,000 listed domains and
2,000 URL patterns, beside the peer a first version would write (one compiled regular
expression per entry, tried in turn), in the same run.

    python bench/blacklist_bench.py [--entries 100000] [--links 20000]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from safeharbor.blacklists.matcher import Matcher  # noqa: E402
from safeharbor.blacklists.urls import normalise_url  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--links", type=int, default=20_000)
    ap.add_argument("--peer-links", type=int, default=200)
    args = ap.parse_args()
    rng = random.Random(7)
    m = Matcher()
    domains = [f"site{i}.example" for i in range(args.entries)]
    for i, d in enumerate(domains):
        m.add(i, "domain", d)
    for i in range(2_000):
        m.add(args.entries + i, "url", f"host{i % 50}.example/path{i}")
    raw = [
        f"https://www.sub{k}.site{rng.randrange(args.entries * 2)}.example/watch?v={k}"
        for k in range(args.links)
    ]
    t = time.perf_counter()
    urls = [normalise_url(u) for u in raw]
    norm_s = time.perf_counter() - t
    t = time.perf_counter()
    hits = sum(m.match(u) is not None for u in urls)
    ours_s = time.perf_counter() - t
    # peer: one anchored regular expression per listed domain, tried until one matches
    patterns = [
        re.compile(r"^https?://([^/]*\.)?" + re.escape(d) + r"(?::\d+)?(/|$)") for d in domains
    ]
    sample = raw[: args.peer_links]
    t = time.perf_counter()
    peer_hits = sum(any(p.match(u) for p in patterns) for u in sample)
    peer_s = time.perf_counter() - t
    ours_rate = args.links / ours_s
    peer_rate = len(sample) / peer_s
    table = Table(title=f"Blacklist check: {args.entries:,} domains + 2,000 URL patterns")
    table.add_column("")
    table.add_column("links/s", justify="right")
    table.add_column("per link", justify="right")
    table.add_row(
        "normalise (ours)", f"{args.links / norm_s:,.0f}", f"{norm_s / args.links * 1e6:.1f} µs"
    )
    table.add_row(
        "match by suffix lookup (ours)", f"{ours_rate:,.0f}", f"{ours_s / args.links * 1e6:.1f} µs"
    )
    table.add_row(
        "one regex per entry (peer)", f"{peer_rate:,.0f}", f"{peer_s / len(sample) * 1e3:.1f} ms"
    )
    table.add_row("ratio", f"{ours_rate / peer_rate:,.0f}x", "")
    Console().print(table)
    print(f"hits: ours {hits}/{args.links}, peer {peer_hits}/{len(sample)}")


if __name__ == "__main__":
    main()
