"""Re-score a finished image benchmark run with the keypoint score anchors now in the code.

Usage: ``python bench/image_rescore.py`` (reads the per-query rows the last full run of
``bench/image_bench.py`` kept under ``~/.cache/safeharbor-bench/results/``).

Why: a full run takes 20-50 minutes on this machine; the keypoint anchors (``K50..K99`` in
``safeharbor/signals/image_keypoints.py``) only change how an inlier count becomes a score,
and every row records the inlier count of its best keypoint match. A row whose best match
was a PDQ block keeps that score; a keypoint match is re-scored, and where it falls below
the block match it displaced, the block score is not known, so the figure is a lower bound
on recall (and exact for the false-match counts, which only fall).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from safeharbor.signals.image_keypoints import score_from_inliers  # noqa: E402

ROWS = Path.home() / ".cache/safeharbor-bench/results/image_bench_rows.json"


def rescored(score: float, ev: dict[str, object] | None) -> float:
    if ev and ev.get("query_kind") == "keypoints":
        return score_from_inliers(int(ev["inliers"]))  # type: ignore[call-overload]
    return score


def main() -> None:
    rows = json.loads(ROWS.read_text())
    recall: dict[str, dict[float, list[bool]]] = defaultdict(lambda: defaultdict(list))
    wrong = {0.80: 0, 0.65: 0}
    for r in rows:
        other = rescored(float(r["other"]), r["other_ev"])
        for th in wrong:
            wrong[th] += other >= th
        if r["pos"]:
            own = rescored(float(r["own"]), r["own_ev"])
            for th in wrong:
                recall[r["t"]][th].append(own >= th)
    print("| transform | recall @0.80 | recall @0.65 |")
    print("|---|---|---|")
    means = {th: [] for th in wrong}
    for t, by in recall.items():
        vals = {th: sum(v) / len(v) for th, v in by.items()}
        for th in wrong:
            means[th].append(vals[th])
        print(f"| {t} | {vals[0.80]:.3f} | {vals[0.65]:.3f} |")
    print(
        f"| **mean** | {sum(means[0.80]) / len(means[0.80]):.3f} | "
        f"{sum(means[0.65]) / len(means[0.65]):.3f} |"
    )
    n = len(rows)
    print()
    print(
        f"False matches over all {n} queries: {wrong[0.80]} at >= 0.80 "
        f"(rate {wrong[0.80] / n:.2e}), {wrong[0.65]} at >= 0.65 (rate {wrong[0.65] / n:.2e})."
    )


if __name__ == "__main__":
    main()
