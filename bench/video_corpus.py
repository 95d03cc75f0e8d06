"""Build the video benchmark corpus: slideshows with pans, zooms and cross-fades over real
photographs, encoded with PyAV.

Usage: ``python bench/video_corpus.py [--quick]`` (idempotent; the benchmark calls it).

Why made this way: no real films are packaged in Debian (``/work/shared/corpora``), so
the videos are *made* from the real photographs of the image benchmark
(``bench/image_corpus.py``: wallpapers, astronomical photographs, panoramas). Reference
videos use only reference pictures and distractor videos only distractor pictures, so no
picture is on both sides. Each video is 60-90 s: a sequence of 6-9 pictures, each shown
8-13 s with a slow pan or zoom (a "Ken Burns" move: a 16:9 window gliding between two
random windows of the picture) and a 1 s cross-fade to the next one. 640x360 at 20 fps,
libx264 at high quality (CRF 18, preset ultrafast), keyframe every 2 s as in typical
uploads. Two extra 1280x720 25 fps videos are made for the speed measurement. Everything
is cached under ``~/.cache/safeharbor-bench/video`` (never in git) and keyed by the
settings.

These videos are easier than films in one way (a still picture per shot, so pictures a
second apart are similar) and harder in another (consecutive shots of one slideshow have
the same kind of content; several references were cut from similar photographs).
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from image_corpus import CACHE, Item, build  # noqa: E402

VIDEO = CACHE / "video"
W, H = 640, 360
FPS = 20
GOP_S = 2
FADE_S = 1.0
VERSION = "v2"


@dataclass(frozen=True)
class Video:
    name: str
    path: Path
    is_ref: bool
    duration: float
    width: int
    height: int
    fps: int
    pictures: tuple[str, ...]


def _load(path: Path, max_side: int) -> np.ndarray:
    a = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if a is None:
        raise ValueError(f"cannot read {path}")
    a = a[:, :, ::-1]
    s = max_side / max(a.shape[:2])
    if s < 1:
        a = cv2.resize(a, (round(a.shape[1] * s), round(a.shape[0] * s)), cv2.INTER_AREA)
    return np.ascontiguousarray(a)


def _window(rng: np.random.Generator, pw: int, ph: int, aspect: float) -> np.ndarray:
    """A random window of aspect ``aspect`` covering 55-95 % of the picture's fit."""
    fw = min(pw, ph * aspect)
    scale = rng.uniform(0.55, 0.95)
    w = fw * scale
    h = w / aspect
    x = rng.uniform(0, pw - w)
    y = rng.uniform(0, ph - h)
    return np.array([x, y, w, h])


def _shot(pic: np.ndarray, a: np.ndarray, b: np.ndarray, u: float, w: int, h: int) -> np.ndarray:
    """The window between ``a`` and ``b`` at progress ``u``, rendered at w x h."""
    u = u * u * (3 - 2 * u)  # ease in and out, as slideshow software does
    x, y, ww, hh = a + (b - a) * u
    m = np.array([[w / ww, 0, -x * w / ww], [0, h / hh, -y * h / hh]], dtype=np.float64)
    return cv2.warpAffine(pic, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def render_video(
    path: Path,
    pictures: list[Path],
    seed: int,
    w: int = W,
    h: int = H,
    fps: int = FPS,
    duration: float | None = None,
) -> float:
    """Encode a slideshow of ``pictures`` to ``path``; returns its duration."""
    rng = np.random.default_rng(seed)
    cv2.setNumThreads(1)  # one process per core
    pics = [_load(p, round(max(w, h) * 1.5)) for p in pictures]
    lengths = rng.uniform(8.0, 13.0, len(pics))
    if duration is not None:
        lengths *= duration / lengths.sum()
    moves = []
    for p in pics:
        ph, pw = p.shape[:2]
        moves.append((_window(rng, pw, ph, w / h), _window(rng, pw, ph, w / h)))
    starts = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    total = float(lengths.sum())
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.gop_size = GOP_S * fps
        # ultrafast: the masters are made once and only need to be clean (CRF 18), not small
        s.options = {"crf": "18", "preset": "ultrafast"}
        for i in range(int(total * fps)):
            t = i / fps
            k = int(np.searchsorted(starts, t, side="right") - 1)
            u = (t - starts[k]) / lengths[k]
            frame = _shot(pics[k], *moves[k], min(1.0, u), w, h)
            # cross-fade into the next picture over the last FADE_S seconds of this one
            tail = starts[k] + lengths[k] - t
            if k + 1 < len(pics) and tail < FADE_S:
                nxt = _shot(pics[k + 1], *moves[k + 1], 0.0, w, h)
                alpha = 1.0 - tail / FADE_S
                frame = cv2.addWeighted(frame, 1 - alpha, nxt, alpha, 0)
            for p in s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    tmp.rename(path)
    return total


def _plan(items: list[Item], is_ref: bool, count: int, salt: str) -> list[list[Item]]:
    pool = sorted((it for it in items if it.is_ref == is_ref), key=lambda it: it.name)
    rng = np.random.default_rng(int(hashlib.sha256(salt.encode()).hexdigest()[:8], 16))
    order = rng.permutation(len(pool))
    out, i = [], 0
    for _ in range(count):
        k = int(rng.integers(6, 10))
        if i + k > len(pool):
            break
        out.append([pool[j] for j in order[i : i + k]])
        i += k
    return out


def _job(args: tuple[str, list[str], int, int, int, int, bool]) -> dict[str, object]:
    name, pics, seed, w, h, fps, is_ref = args
    path = VIDEO / f"{name}.mp4"
    meta = VIDEO / f"{name}.json"
    if path.exists() and meta.exists():
        return json.loads(meta.read_text())
    dur = render_video(path, [Path(p) for p in pics], seed, w, h, fps)
    d = {
        "name": name,
        "file": path.name,
        "is_ref": is_ref,
        "duration": dur,
        "width": w,
        "height": h,
        "fps": fps,
        "pictures": [Path(p).name for p in pics],
    }
    meta.write_text(json.dumps(d))
    return d


def build_videos(n_ref: int, n_dis: int, n_hd: int = 2, workers: int = 2) -> list[Video]:
    """The reference and distractor videos (and ``n_hd`` 720p ones, named ``hd-*``)."""
    items = build(verbose=False)
    VIDEO.mkdir(parents=True, exist_ok=True)
    jobs = []
    for i, pics in enumerate(_plan(items, True, n_ref, "ref-" + VERSION)):
        jobs.append((f"{VERSION}-ref-{i:03d}", [str(p.path) for p in pics], i, W, H, FPS, True))
    for i, pics in enumerate(_plan(items, False, n_dis, "dis-" + VERSION)):
        seed = 1000 + i
        jobs.append((f"{VERSION}-dis-{i:03d}", [str(p.path) for p in pics], seed, W, H, FPS, False))
    for i, pics in enumerate(_plan(items, False, n_hd, "hd-" + VERSION)):
        jobs.append(
            (f"{VERSION}-hd-{i:03d}", [str(p.path) for p in pics], 5000 + i, 1280, 720, 25, False)
        )
    if workers > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(workers) as pool:
            done = pool.map(_job, jobs, chunksize=1)
    else:
        done = [_job(j) for j in jobs]
    return [
        Video(
            str(d["name"]),
            VIDEO / str(d["file"]),
            bool(d["is_ref"]),
            float(d["duration"]),  # type: ignore[arg-type]
            int(d["width"]),  # type: ignore[call-overload]
            int(d["height"]),  # type: ignore[call-overload]
            int(d["fps"]),  # type: ignore[call-overload]
            tuple(d["pictures"]),  # type: ignore[arg-type]
        )
        for d in done
    ]


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    vids = build_videos(4 if quick else 12, 4 if quick else 12)
    for v in vids:
        print(
            f"{v.name}: {v.duration:.0f} s {v.width}x{v.height} ref={v.is_ref} "
            f"{len(v.pictures)} pictures"
        )
    print(f"cache: {VIDEO}")
