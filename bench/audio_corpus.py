"""Build the audio benchmark corpus from music shipped in Debian packages.

Usage: ``python bench/audio_corpus.py`` (idempotent; the benchmark calls it itself).

Why Debian packages: real music (game soundtracks: orchestral, folk, rock, ambient),
fetched with the ordinary package client (``/work/shared/corpora/fetch audio``: no root
needed), no licence question for a local benchmark.

Steps:

1. ``fetch audio`` into ``~/.cache/safeharbor-bench/audio/corpus`` (fb-music-high,
   drascula-music, wesnoth-1.16-music).
2. Keep files FFmpeg decodes as audio of at least ``MIN_SECONDS``; drop byte-identical
   copies (drascula ships one set of tracks under six language folders; they are
   symlinks or copies of the same files) and tracks that are mostly silence.
3. Group versions of one piece: by name (``frantic`` / ``frantic-old``, ``defeat`` /
   ``defeat2``), and by content: two tracks are one piece when at least half of the
   20-second windows of the shorter one line up with the other at 30 or more votes in
   5 s (the audio signal's raw vote count, with no score model involved; unrelated music
   stays near 10). Drascula ships the same recording as two track numbers, for example.
   One track per group is kept (the longest), so a "false match" in the benchmark is a
   match between genuinely different recordings.
4. Split the kept tracks into references / distractors by a hash of the group name
   (deterministic, about half each).
5. Decode each kept track once to mono ``WORK_RATE`` Hz int16 (``.npy`` under
   ``~/.cache/safeharbor-bench/audio/work``) so transformations and excerpts are cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

CACHE = Path(os.environ.get("SAFEHARBOR_BENCH_CACHE", Path.home() / ".cache" / "safeharbor-bench"))
AUDIO = CACHE / "audio"
RAW = AUDIO / "corpus"
WORK = AUDIO / "work"
SHARED_FETCH = Path("/work/shared/corpora/fetch")
WORK_RATE = 22050
MIN_SECONDS = 12.0
EXTS = (".ogg", ".oga", ".mp3", ".flac", ".wav", ".opus", ".m4a", ".xm", ".mod", ".it")


@dataclass(frozen=True)
class Track:
    name: str  # path relative to the unpacked root
    path: Path  # original file (the reference is fingerprinted from it)
    work: Path  # mono WORK_RATE int16 .npy
    seconds: float
    group: str
    is_reference: bool

    def samples(self) -> np.ndarray:
        """Mono float32 samples at WORK_RATE (memory-mapped int16 underneath)."""
        a = np.load(self.work, mmap_mode="r")
        return np.asarray(a, dtype=np.float32) / 32768.0

    def segment(self, start: float, seconds: float) -> np.ndarray:
        """``seconds`` of samples from ``start`` (only that part is read)."""
        a = np.load(self.work, mmap_mode="r")
        i0 = int(start * WORK_RATE)
        return np.asarray(a[i0 : i0 + int(seconds * WORK_RATE)], dtype=np.float32) / 32768.0


def fetch() -> Path:
    root = RAW / "root"
    if root.is_dir() and any(root.rglob("*.ogg")):
        return root
    out = subprocess.run(
        [str(SHARED_FETCH), "audio", str(RAW)], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def _group(name: str, stems: set[str]) -> str:
    """``frantic-old`` -> ``frantic``, ``defeat2`` -> ``defeat`` when that piece exists too
    (``track12`` stays itself: there is no ``track``)."""
    stem = Path(name).stem.lower()
    base = re.sub(r"([-_]old|\d+)$", "", stem)
    if base != stem and base in stems:
        stem = base
    return f"{Path(name).parent.parent.name}/{stem}"


def _decode(path: Path) -> np.ndarray:
    out: list[np.ndarray] = []
    with av.open(str(path)) as c:
        rs = av.AudioResampler(format="s16", layout="mono", rate=WORK_RATE)
        for frame in c.decode(audio=0):
            for o in rs.resample(frame):
                out.append(o.to_ndarray().reshape(-1))
        for o in rs.resample(None):
            out.append(o.to_ndarray().reshape(-1))
    return np.concatenate(out) if out else np.zeros(0, np.int16)


def _content_groups(rows: list[dict], verbose: bool) -> dict[str, str]:
    """Map group -> group it merges into, for tracks that are the same recording."""
    from scipy.signal import resample_poly

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from safeharbor.signals.audio import RATE, AudioSignal
    from safeharbor.signals.base import Role

    sig = AudioSignal()
    idx = sig.new_index()
    audio = {}
    for i, r in enumerate(rows):
        x = np.load(r["work"]).astype(np.float32) / 32768.0
        audio[i] = resample_poly(x, RATE // 50, WORK_RATE // 50).astype(np.float32)
        idx.add(i, sig.extract_samples(audio[i], Role.REFERENCE))
    parent = {r["group"]: r["group"] for r in rows}

    def find(g: str) -> str:
        while parent[g] != g:
            g = parent[g]
        return g

    for i, r in enumerate(rows):
        y = audio[i]
        hits: dict[int, int] = {}
        windows = 0
        for s0 in range(0, max(1, len(y) - 20 * RATE + 1), 20 * RATE):
            windows += 1
            q = sig.extract_samples(y[s0 : s0 + 20 * RATE], Role.QUERY)
            for c in idx.candidates(q):
                j = idx._ref_of_slot[c.slot]
                if j != i and c.dense >= 30:
                    hits[j] = hits.get(j, 0) + 1
        for j, n in hits.items():
            if n >= 0.5 * windows:
                a, b = find(r["group"]), find(rows[j]["group"])
                if a != b:
                    parent[b] = a
                    if verbose:
                        print(f"  same recording: {r['name']} ~ {rows[j]['name']}", file=sys.stderr)
    return {g: find(g) for g in parent}


def build(verbose: bool = True) -> list[Track]:
    root = fetch()
    WORK.mkdir(parents=True, exist_ok=True)
    manifest = WORK / "manifest.json"
    if manifest.exists():
        rows = json.loads(manifest.read_text())
        return [
            Track(r["name"], Path(r["path"]), Path(r["work"]), r["seconds"], r["group"], r["ref"])
            for r in rows
        ]
    seen: set[str] = set()
    rows = []
    files = [p for p in sorted(root.rglob("*")) if p.suffix.lower() in EXTS and p.is_file()]
    stems = {p.stem.lower() for p in files}
    for p in files:
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        name = str(p.relative_to(root))
        work = WORK / (hashlib.sha1(name.encode()).hexdigest()[:16] + ".npy")
        try:
            pcm = np.load(work) if work.exists() else _decode(p)
        except Exception as exc:  # e.g. a tracker module this FFmpeg build cannot play
            if verbose:
                print(f"  skip {name}: {exc}", file=sys.stderr)
            continue
        seconds = len(pcm) / WORK_RATE
        if seconds < MIN_SECONDS:
            continue
        # mostly silent tracks (a "silence" jingle) carry nothing to recognise
        rms = np.sqrt(np.mean((pcm.astype(np.float32) / 32768.0) ** 2))
        if rms < 1e-3:
            continue
        np.save(work, pcm)
        rows.append(
            {
                "name": name,
                "path": str(p),
                "work": str(work),
                "seconds": seconds,
                "group": _group(name, stems),
            }
        )
    merged = _content_groups(rows, verbose)
    kept: dict[str, dict] = {}
    for r in rows:
        r["group"] = merged[r["group"]]
        if r["group"] not in kept or r["seconds"] > kept[r["group"]]["seconds"]:
            kept[r["group"]] = r
    rows = sorted(kept.values(), key=lambda r: r["name"])
    for r in rows:
        r["ref"] = int(hashlib.sha1(r["group"].encode()).hexdigest(), 16) % 2 == 0
    manifest.write_text(json.dumps(rows, indent=1))
    return build(verbose)


if __name__ == "__main__":
    tracks = build()
    refs = [t for t in tracks if t.is_reference]
    dis = [t for t in tracks if not t.is_reference]
    print(
        f"{len(refs)} references ({sum(t.seconds for t in refs) / 3600:.2f} h), "
        f"{len(dis)} distractors ({sum(t.seconds for t in dis) / 3600:.2f} h)"
    )
