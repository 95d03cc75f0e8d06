"""What every benchmark script shares; import it before numpy.

* One thread per process (``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS``): the speed targets
  are per core, and the recall runs start one process per core themselves. The variables
  only take effect if set before numpy, faiss or OpenCV load their thread pools.
* The repository root on ``sys.path``, so ``safeharbor`` imports without installing it.
* Where results and figures go, the two score thresholds and their false-match targets,
  and ``write_docs``, which replaces one benchmark's figures between its markers in
  ``docs/benchmarks.md`` (or another page).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DOCS = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "bench" / "results"
THRESHOLDS = (0.80, 0.65)
TARGET_FPR = {0.80: 1e-4, 0.65: 1e-3}


def write_docs(md: str, tag: str, doc: Path = DOCS) -> None:
    """Put ``md`` between ``<!-- tag:start -->`` and ``<!-- tag:end -->`` in ``doc``."""
    start, end = f"<!-- {tag}:start -->", f"<!-- {tag}:end -->"
    text = doc.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{doc} has no {start} ... {end} markers; add the section first")
    a = text.index(start) + len(start)
    b = text.index(end)
    doc.write_text(text[:a] + "\n" + md + "\n" + text[b:])
    print(f"wrote the figures into {doc}", file=sys.stderr)
