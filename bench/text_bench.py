"""Text signal benchmark: recall per transformation and passage length, false matches, a
MinHash-LSH baseline (datasketch), and the speed of screening a 1 MB upload against an
index of many books.

    python bench/text_bench.py                 # full run (one core)
    python bench/text_bench.py --quick         # a third of the works, 1,000 books
    python bench/text_bench.py --write-docs    # also rewrite the Text figures in docs/

Corpus: ``bench/text_corpus.py`` (the Debian Reference manual in English and Chinese cut
into sections, English and Chinese fortunes, Tang and Song poems; references and
distractors split by a hash of the work's name). Queries: a passage of 50 words / 100 Han
characters ("short") and one of 200 words / 400 characters ("long") at a random place in
each work, put through every transformation of ``text_corpus.apply`` and handed to the
signal as the plain-text file an uploader would send; ``near_dup`` is the whole work,
edited. A reference query is found when the right reference scores at or above the
threshold AND is placed: the reported reference span(s) cover at least half of the
passage's true span. Distractor queries (the same transformations of passages of
distractor works) must not match anything; a wrong reference on a reference query counts
as a false match too.

Baseline: MinHash (datasketch, 128 permutations) of word 3-shingles (lower-cased words,
punctuation dropped), character 5-shingles of Han characters for Chinese. References are
cut into windows of ``BL_WINDOW`` shingles (half-overlapping), each a MinHash in a
``MinHashLSH`` (Jaccard threshold ``BL_LSH``) that finds the candidates; the query is cut
the same way; the score of a reference is the best estimated containment
(|A & B| / min(|A|, |B|), from the estimated Jaccard and the exact set sizes) over its
candidate windows, placed by the union of the windows that score at least half the best.
Its thresholds are the lowest that keep its false-match rate on these same distractor
queries at or below each bound (chosen on the test set: an advantage ours does not get).
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import gzip
import json
import os
import platform
import random
import re
import statistics
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import _common  # noqa: F401  (first: one thread per process, before numpy loads)
import datasketch
import numpy as np
from _common import RESULTS, TARGET_FPR, THRESHOLDS, write_docs
from text_corpus import LENGTHS, TRANSFORMS, Work, apply, build, passage, vocabulary

from safeharbor.signals.base import Media, Role, SignalMatch
from safeharbor.signals.text import TextSignal

BL_PERM = 128
BL_WINDOW = 60
BL_LSH = 0.15
_HAN = re.compile(r"[\u3400-\u9fff]")
_WORDS = re.compile(r"\w+")


# --------------------------------------------------------------------------- baseline


def bl_tokens(text: str) -> tuple[list[str], list[int], list[int], int]:
    """(shingles, start char, end char, k) of a text: Han 5-grams or word 3-grams."""
    han = list(_HAN.finditer(text))
    if len(han) * 2 > len(_WORDS.findall(text)):
        k, toks = 5, han
    else:
        k, toks = 3, [m for m in _WORDS.finditer(text.lower()) if not _HAN.match(m.group())]
    sh, st, en = [], [], []
    for i in range(len(toks) - k + 1):
        sh.append(" ".join(t.group() for t in toks[i : i + k]))
        st.append(toks[i].start())
        en.append(toks[i + k - 1].end())
    return sh, st, en, k


def bl_windows(text: str) -> list[tuple[datasketch.MinHash, int, int, int]]:
    """(MinHash, shingle-set size, start char, end char) per half-overlapping window."""
    sh, st, en, _ = bl_tokens(text)
    out = []
    if not sh:
        return out
    step = BL_WINDOW // 2
    starts = list(range(0, max(1, len(sh) - BL_WINDOW + 1), step))
    if starts[-1] + BL_WINDOW < len(sh):
        starts.append(len(sh) - BL_WINDOW)
    for a in starts:
        s = set(sh[a : a + BL_WINDOW])
        m = datasketch.MinHash(num_perm=BL_PERM, seed=1)
        m.update_batch([x.encode() for x in s])
        b = min(len(sh), a + BL_WINDOW) - 1
        out.append((m, len(s), st[a], en[b]))
    return out


class MinHashBaseline:
    def __init__(self) -> None:
        self.lsh = datasketch.MinHashLSH(threshold=BL_LSH, num_perm=BL_PERM)
        self.win: dict[str, tuple[int, datasketch.MinHash, int, int, int]] = {}

    def add(self, ref: int, text: str) -> None:
        for j, (m, n, a, b) in enumerate(bl_windows(text)):
            key = f"{ref}/{j}"
            self.win[key] = (ref, m, n, a, b)
            self.lsh.insert(key, m)

    def search(self, text: str) -> dict[int, tuple[float, list[tuple[int, int]]]]:
        """ref -> (best containment, reference char spans of its good windows)."""
        best: dict[int, list[tuple[float, int, int]]] = {}
        for m, n, _, _ in bl_windows(text):
            for key in self.lsh.query(m):
                ref, rm, rn, a, b = self.win[key]
                j = m.jaccard(rm)
                c = min(1.0, j / (1 + j) * (n + rn) / max(1, min(n, rn)))
                best.setdefault(ref, []).append((c, a, b))
        out = {}
        for ref, hits in best.items():
            top = max(h[0] for h in hits)
            out[ref] = (top, [(a, b) for c, a, b in hits if c >= top / 2])
        return out


# --------------------------------------------------------------------------- queries


@dataclass
class Result:
    kind: str  # "pos" / "neg"
    lang: str
    source: str
    transform: str
    length: str  # "short" / "long" / "doc"
    work: int  # index into refs (pos) / distractors (neg)
    chars: int  # upload size
    score_right: float = 0.0  # right reference, placed (pos)
    score_right_any: float = 0.0  # right reference, placed or not (pos)
    placed_strict: bool = False  # reference_span alone covers half the true span
    score_wrong: float = 0.0  # best other reference (pos) / best reference (neg)
    wrong_ref: int = -1
    shared_run: int = 0  # longest verbatim run (tokens) between the source and wrong_ref
    translation: bool = False  # wrong_ref is the same manual section in the other language
    bl_right: float = 0.0
    bl_wrong: float = 0.0
    extract_s: float = 0.0
    search_s: float = 0.0
    bl_s: float = 0.0
    error: str = ""
    spans: list = field(default_factory=list)


def covered(spans: list[tuple[float, float]], a: int, b: int) -> float:
    """Fraction of [a, b) covered by the union of ``spans``."""
    if b <= a:
        return 0.0
    cov = np.zeros(b - a, dtype=bool)
    for s, e in spans:
        lo, hi = max(a, int(s)), min(b, int(np.ceil(e)))
        if hi > lo:
            cov[lo - a : hi - a] = True
    return float(cov.mean())


def ref_spans(m: SignalMatch) -> list[tuple[float, float]]:
    out = []
    if m.reference_span is not None:
        out.append((m.reference_span.start, m.reference_span.end))
    for p in m.evidence.get("passages", []) or []:
        r = p.get("reference_chars") or p.get("reference_span") or p.get("reference")
        if isinstance(r, (list, tuple)) and len(r) == 2:
            out.append((float(r[0]), float(r[1])))
    return out


def longest_run(a: str, b: str) -> int:
    """Longest run of tokens (words; Han characters) the two texts share verbatim."""

    def toks(t: str) -> list[str]:
        return [m.group() for m in re.finditer(r"[\u3400-\u9fff]|\w+", t.lower())]

    x, y = toks(a), toks(b)
    sm = difflib.SequenceMatcher(None, x, y, autojunk=False)
    return sm.find_longest_match(0, len(x), 0, len(y)).size


def same_section(a: str, b: str) -> bool:
    """Both manual sections with the same chapter and number, in different languages."""
    pa, pb = a.split("/"), b.split("/")
    if pa[1] != "manual" or pb[1] != "manual" or pa[0] == pb[0]:
        return False
    return pa[2].split(".")[0] == pb[2].split(".")[0] and pa[3].split()[0] == pb[3].split()[0]


def media(text: str, name: str) -> Media:
    return Media("text", "text/plain", data=text.encode("utf-8"), name=name)


def run_queries(
    args: argparse.Namespace,
    sig: TextSignal,
    idx: object,
    bl: MinHashBaseline,
    refs: list[Work],
    dis: list[Work],
) -> list[Result]:
    vocab = {lang: vocabulary(dis, lang) for lang in ("en", "zh")}
    others = {lang: [w for w in dis if w.lang == lang] for lang in ("en", "zh")}
    jobs = []
    for kind, pool, reps in (("pos", refs, 1), ("neg", dis, args.neg_passages)):
        for wi, w in enumerate(pool):
            if kind == "pos" and args.pos_every > 1 and wi % args.pos_every:
                continue
            for rep in range(reps):
                for length in (*LENGTHS, "doc"):
                    for name in args.transforms:
                        if (name == "near_dup") != (length == "doc"):
                            continue
                        if name == "near_dup" and rep > 0:
                            continue
                        if name == "s2t" and w.lang != "zh":
                            continue
                        jobs.append((kind, wi, w, length, name, rep))
    print(f"{len(jobs)} queries", file=sys.stderr)
    results: list[Result] = []
    t_start = time.time()
    for k, (kind, wi, w, length, name, rep) in enumerate(jobs):
        seed = zlib.crc32(f"{args.seed}/{kind}/{w.name}/{length}/{rep}".encode())
        rng = random.Random(seed)
        size = LENGTHS[length][1 if w.lang == "zh" else 0] if length != "doc" else 0
        span = passage(w, size, rng) if size else (0, len(w.text))
        rng = random.Random(seed ^ zlib.crc32(name.encode()))
        q = apply(name, w, span, rng, vocab[w.lang], others[w.lang])
        res = Result(kind, w.lang, w.source, name, length, wi, len(q.text))
        t0 = time.perf_counter()
        try:
            fps = sig.extract(media(q.text, f"upload{k}.txt"), Role.QUERY)
            t1 = time.perf_counter()
            matches = idx.search(fps, args.min_score)  # type: ignore[attr-defined]
        except Exception as exc:  # a crash is a finding: record it and go on
            res.error = f"{type(exc).__name__}: {exc}"[:300]
            results.append(res)
            continue
        t2 = time.perf_counter()
        res.extract_s, res.search_s = t1 - t0, t2 - t1
        for m in matches:
            if kind == "pos" and m.ref_id == wi:
                res.score_right_any = m.score
                sp = ref_spans(m)
                if covered(sp, *span) >= 0.5:
                    res.score_right = m.score
                if m.reference_span is not None:
                    rs = m.reference_span
                    res.placed_strict = covered([(rs.start, rs.end)], *span) >= 0.5
                res.spans = sp[:3]
            elif m.score > res.score_wrong:
                res.score_wrong, res.wrong_ref = m.score, m.ref_id
        if res.score_wrong >= min(THRESHOLDS):
            rt = refs[res.wrong_ref].text
            res.translation = same_section(w.name, refs[res.wrong_ref].name)
            res.shared_run = max(
                longest_run(w.text[span[0] : span[1]], rt), longest_run(q.text, rt)
            )
        t3 = time.perf_counter()
        for ref, (c, sps) in bl.search(q.text).items():
            if kind == "pos" and ref == wi:
                res.bl_right = (
                    c if covered([(float(a), float(b)) for a, b in sps], *span) >= 0.5 else 0
                )
            else:
                res.bl_wrong = max(res.bl_wrong, c)
        res.bl_s = time.perf_counter() - t3
        results.append(res)
        if (k + 1) % 500 == 0:
            print(f"  {k + 1}/{len(jobs)} queries, {time.time() - t_start:.0f} s", file=sys.stderr)
    return results


# --------------------------------------------------------------------------- speed


def synth_books(real: list[str], n: int, chars: int, rng: np.random.Generator) -> list[str]:
    """``n`` filler books of about ``chars`` characters, new text with the real books'
    statistics: a bigram chain over their words (Han characters), walked by jumping, at
    each word, to a random occurrence of it in the real text and taking the word after.
    Word frequencies and common word pairs are the real ones, while a run of k words
    repeats a real run only where the words are rare enough to leave no choice; so, as in
    a real library, distinct books share few k-grams. (Until 2026-12-03 fillers copied
    runs of 5-40 real words with one in five replaced: a third of their k-grams were
    real ones, each held by about 17 fillers, and the search of an upload of real text
    drew that many hits per hash.)"""
    out = []
    for lang_ratio, pat, joiner in ((0.8, r"\S+", " "), (0.2, r"[\u3400-\u9fff]", "")):
        toks = [m.group() for t in real for m in re.finditer(pat, t)]
        if len(toks) < 3:
            continue
        vocab, ids = np.unique(np.array(toks, dtype=object), return_inverse=True)
        order = np.argsort(ids, kind="stable")
        counts = np.bincount(ids, minlength=len(vocab))
        starts = np.cumsum(counts) - counts
        per = max(1, chars // (6 if joiner else 3))
        books = int(round(n * lang_ratio))
        if books == 0:
            continue
        pos = rng.integers(0, len(ids) - 1, books)
        walk = np.empty((books, per), dtype=np.int64)
        for j in range(per):
            walk[:, j] = ids[pos]
            nxt = ids[np.minimum(pos + 1, len(ids) - 1)]
            pick = starts[nxt] + (rng.random(books) * counts[nxt]).astype(np.int64)
            pos = np.minimum(order[pick], len(ids) - 2)
        for row in walk:
            out.append(joiner.join(vocab[row].tolist()))
    return out[:n]


def speed(args: argparse.Namespace, sig: TextSignal, works: list[Work], dis: list[Work]) -> dict:
    rng = np.random.default_rng(args.seed)
    real: list[str] = []
    # the real books: the reference works, in batches (not the manuals whole, which hold
    # the distractor sections the upload is made of)
    for lang in ("en", "zh"):
        for src in ("fortunes", "poems", "manual"):
            ws = [w.text for w in works if w.lang == lang and w.source == src and w.is_reference]
            for i in range(0, len(ws), 40):
                real.append("\n\n".join(ws[i : i + 40]))
    n_fill = max(0, args.books - len(real))
    t0 = time.perf_counter()
    fill = synth_books(real, n_fill, args.book_kb * 1000, rng)
    gen_s = time.perf_counter() - t0
    idx = sig.new_index()
    t0 = time.perf_counter()
    chars = 0
    ext_s = 0.0
    for i, b in enumerate(real + fill):
        te = time.perf_counter()
        fps = sig.extract(media(b, f"book{i}.txt"), Role.REFERENCE)
        ext_s += time.perf_counter() - te
        idx.add(i, fps)
        chars += len(b)
        if (i + 1) % 1000 == 0:
            print(f"  {i + 1} books indexed, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    build_s = time.perf_counter() - t0
    # what a service does once the references are loaded (ReferenceIndex.refresh): sort the
    # additions into the searchable segments, so the first upload does not pay for it
    t0 = time.perf_counter()
    idx.settle()
    settle_s = time.perf_counter() - t0
    # the upload: 1 MB of distractor text with five reference passages in it
    r2 = random.Random(args.seed)
    parts: list[str] = []
    size = 0
    while size < 1_000_000:
        w = dis[r2.randrange(len(dis))]
        parts.append(w.text)
        size += len(w.text.encode())
    for _ in range(5):
        b = real[r2.randrange(len(real))]
        a = r2.randrange(0, max(1, len(b) - 2000))
        parts.insert(r2.randrange(len(parts)), b[a : a + 1500])
    upload = "\n\n".join(parts).encode()[:1_000_000].decode("utf-8", "ignore")
    ext, srch, found = [], [], 0
    for _ in range(args.speed_runs):
        t1 = time.perf_counter()
        fps = sig.extract(media(upload, "upload.txt"), Role.QUERY)
        t2 = time.perf_counter()
        ms = idx.search(fps, 0.65)  # type: ignore[attr-defined]
        t3 = time.perf_counter()
        ext.append(t2 - t1)
        srch.append(t3 - t2)
        found = len(ms)
    entries = getattr(idx, "entries", None)
    return {
        "books": len(real) + len(fill),
        "real_books": len(real),
        "filler_books": len(fill),
        "book_kb": args.book_kb,
        "index_chars": chars,
        "filler_gen_s": gen_s,
        "build_s": build_s,
        "settle_s": settle_s,
        "ref_extract_mb_s": chars / 1e6 / max(ext_s, 1e-9),
        "entries": entries() if callable(entries) else entries,
        "upload_bytes": len(upload.encode()),
        "extract_s": statistics.median(ext),
        "search_s": statistics.median(srch),
        "matches": found,
        "runs": args.speed_runs,
    }


# --------------------------------------------------------------------------- analysis


def bl_thresholds(results: list[Result]) -> dict[float, float]:
    pool = [r.bl_wrong for r in results]
    out = {}
    srt = np.sort(np.array(pool))[::-1]
    for thr in THRESHOLDS:
        k = int(np.floor(TARGET_FPR[thr] * len(srt)))
        out[thr] = float(srt[k]) + 1e-9 if k < len(srt) else 0.0
    return out


def table(results: list[Result], transforms: list[str]) -> dict:
    ok = [r for r in results if not r.error]
    blt = bl_thresholds(ok)
    rows = {}
    for lang in ("en", "zh"):
        for name in transforms:
            for length in (*LENGTHS, "doc"):
                sel = [r for r in ok if r.lang == lang and r.transform == name]
                pos = [r for r in sel if r.kind == "pos" and r.length == length]
                neg = [r for r in sel if r.kind == "neg" and r.length == length]
                if not pos:
                    continue
                row: dict = {"n_pos": len(pos), "n_neg": len(neg)}
                for thr in THRESHOLDS:
                    row[f"recall@{thr}"] = float(np.mean([r.score_right >= thr for r in pos]))
                    row[f"fpr@{thr}"] = (
                        float(np.mean([r.score_wrong >= thr for r in neg])) if neg else 0.0
                    )
                    row[f"bl@{thr}"] = float(np.mean([r.bl_right >= blt[thr] for r in pos]))
                row["unplaced@0.65"] = float(
                    np.mean([r.score_right_any >= 0.65 > r.score_right for r in pos])
                )
                rows[f"{lang}/{name}/{length}"] = row
    return {"rows": rows, "bl_thr": blt}


def false_matches(results: list[Result]) -> dict:
    ok = [r for r in results if not r.error]
    neg = [r for r in ok if r.kind == "neg"]
    out = {}
    for thr in THRESHOLDS:
        # a wrong reference that is the query's own section in the other language is a
        # translation quoting its original (related works, split together), not a false
        # match; counted apart
        hits = [r for r in ok if r.score_wrong >= thr and not r.translation]
        nh = [r for r in neg if r.score_wrong >= thr and not r.translation]
        genuine = [r for r in hits if r.shared_run >= 25]
        transl = [r for r in ok if r.score_wrong >= thr and r.translation]
        out[str(thr)] = {
            "all": [len(hits), len(ok)],
            "neg": [len(nh), len(neg)],
            "shared_text": len(genuine),
            "translation": len(transl),
            "target": TARGET_FPR[thr],
        }
    return out


def render(data: dict) -> str:
    res = [Result(**r) for r in data["results"]]
    tb = table(res, data["transforms"])
    fm = false_matches(res)
    L = []
    L.append(
        f"Run `{data['command']}` on {data['date']} ({data['machine']}); wall time "
        f"{data['wall_s'] / 60:.1f} min. References: {data['refs']['en']} English and "
        f"{data['refs']['zh']} Chinese works ({data['refs']['mchars']:.2f} M characters); "
        f"distractors: {data['dis']['en']} English and {data['dis']['zh']} Chinese works "
        f"({data['neg_passages']} passages of each per length). Recall = right reference at "
        "or above the threshold and placed (its reported reference spans cover at least half "
        "of the passage); FPR = distractor queries with any reference at or above it."
    )
    L.append("")
    L.append(
        "| language | transformation | length | queries (ref / distractor) | recall @0.80 | "
        "recall @0.65 | MinHash-LSH @1e-4 / @1e-3 | FPR @0.80 | FPR @0.65 |"
    )
    L.append("|---|---|---|---|---|---|---|---|---|")
    means = {k: [] for k in ("recall@0.8", "recall@0.65", "bl@0.8", "bl@0.65")}
    for key, row in tb["rows"].items():
        lang, name, length = key.split("/")
        ln = {"short": "50 w / 100 c", "long": "200 w / 400 c", "doc": "whole work"}[length]
        L.append(
            f"| {lang} | {name} | {ln} | {row['n_pos']} / {row['n_neg']} | "
            f"{row['recall@0.8']:.3f} | {row['recall@0.65']:.3f} | "
            f"{row['bl@0.8']:.3f} / {row['bl@0.65']:.3f} | "
            f"{row['fpr@0.8']:.4f} | {row['fpr@0.65']:.4f} |"
        )
        for k in means:
            means[k].append(row[k])
    if tb["rows"]:
        L.append(
            f"| **mean** | | | | **{np.mean(means['recall@0.8']):.3f}** | "
            f"**{np.mean(means['recall@0.65']):.3f}** | "
            f"**{np.mean(means['bl@0.8']):.3f} / {np.mean(means['bl@0.65']):.3f}** | | |"
        )
    L.append("")
    L.append(
        "MinHash-LSH thresholds (estimated containment) chosen on these distractor queries: "
        + ", ".join(f"{v:.3f} for the {TARGET_FPR[k]:g} bound" for k, v in tb["bl_thr"].items())
        + "."
    )
    L.append("")
    L.append("| threshold | false matches / all queries | of distractor queries | target |")
    L.append("|---|---|---|---|")
    for thr, f in fm.items():
        a, n = f["all"]
        b, nn = f["neg"]
        L.append(
            f"| {thr} | {a} / {n} ({a / max(n, 1):.1e}; {f['shared_text']} share 25+ tokens "
            f"verbatim with the reference; not counted: {f['translation']} matching the "
            f"same manual section in the other language) | {b} / {nn} ({b / max(nn, 1):.1e}) | "
            f"<= {f['target']:g} |"
        )
    errs = [r for r in res if r.error]
    if errs:
        L.append("")
        L.append(f"{len(errs)} queries raised an error (first: `{errs[0].error}`).")
    sp = data.get("speed") or {}
    ok = [r for r in res if not r.error]
    L.append("")
    if ok:
        ext_ms = np.median([r.extract_s for r in ok]) * 1000
        L.append(
            f"Per query (benchmark index): extract median {ext_ms:.1f} ms, search "
            f"{np.median([r.search_s for r in ok]) * 1000:.1f} ms; MinHash-LSH "
            f"{np.median([r.bl_s for r in ok]) * 1000:.1f} ms."
        )
    if sp:
        L.append("")
        L.append(
            f"Speed: index of {sp['books']:,} books ({sp['real_books']} real, "
            f"{sp['filler_books']:,} filler of ~{sp['book_kb']} kB; "
            f"{sp['index_chars'] / 1e6:.0f} M characters, {sp.get('entries') or 0:,} entries; "
            f"built in {sp['build_s']:.0f} s and settled (additions sorted into the "
            f"searched segments, once after loading) in {sp.get('settle_s', 0):.0f} s, "
            f"reference fingerprinting {sp['ref_extract_mb_s']:.1f} MB/s). A "
            f"{sp['upload_bytes'] / 1e6:.1f} MB upload: extract **{sp['extract_s']:.2f} s**, "
            f"search **{sp['search_s']:.3f} s** (median of {sp['runs']}; {sp['matches']} "
            "matches at 0.65)."
        )
    return "\n".join(L)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--render", action="store_true", help="only re-render the last results")
    ap.add_argument(
        "--speed-only",
        action="store_true",
        help="only the 10,000-book speed test, put into the last results and re-rendered",
    )
    ap.add_argument("--transforms", default=",".join(TRANSFORMS))
    ap.add_argument("--neg-passages", type=int, default=None)
    ap.add_argument("--pos-every", type=int, default=None, help="query every n-th reference")
    ap.add_argument("--books", type=int, default=None)
    ap.add_argument("--book-kb", type=int, default=50)
    ap.add_argument("--speed-runs", type=int, default=5)
    ap.add_argument("--min-score", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    # a quick run never overwrites the full run's results
    # every query's result, gzipped (about 11 MB as plain JSON)
    out = (
        RESULTS / "text_bench.json.gz" if not args.quick else Path("/tmp/text_bench_quick.json.gz")
    )
    if args.render:
        md = render(json.loads(gzip.decompress(out.read_bytes())))
        print(md)
        if args.write_docs:
            write_docs(md, "text-bench")
        return
    if args.speed_only:
        data = json.loads(gzip.decompress(out.read_bytes()))
        if args.books is None:
            args.books = 10000
        works = build()
        dis = [w for w in works if not w.is_reference]
        data["speed"] = speed(args, TextSignal(), works, dis)
        data["speed"]["date"] = datetime.date.today().isoformat()
        out.write_bytes(gzip.compress(json.dumps(data, default=float).encode(), mtime=0))
        md = render(data)
        print(md)
        if args.write_docs:
            write_docs(md, "text-bench")
        return
    args.transforms = args.transforms.split(",")
    if args.neg_passages is None:
        args.neg_passages = 1 if args.quick else 3
    if args.pos_every is None:
        args.pos_every = 3 if args.quick else 1
    if args.books is None:
        args.books = 1000 if args.quick else 10000
    wall0 = time.time()
    works = build()
    refs = [w for w in works if w.is_reference]
    dis = [w for w in works if not w.is_reference]
    if args.quick:
        dis = dis[::3]
    sig = TextSignal()
    idx = sig.new_index()
    bl = MinHashBaseline()
    print("fingerprinting references", file=sys.stderr)
    for i, w in enumerate(refs):
        idx.add(i, sig.extract(media(w.text, f"ref{i}.txt"), Role.REFERENCE))
        bl.add(i, w.text)
    results = run_queries(args, sig, idx, bl, refs, dis)
    sp = {}
    if args.books > 0:
        print("speed", file=sys.stderr)
        sp = speed(args, sig, works, dis)
    cmd = "python bench/text_bench.py" + (" --quick" if args.quick else "")
    if args.books not in (0, 1000 if args.quick else 10000):
        cmd += f" --books {args.books}"
    data = {
        "command": cmd,
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (one used), Python "
        f"{platform.python_version()}, datasketch {datasketch.__version__}",
        "wall_s": time.time() - wall0,
        "refs": {
            "en": sum(w.lang == "en" for w in refs),
            "zh": sum(w.lang == "zh" for w in refs),
            "mchars": sum(len(w.text) for w in refs) / 1e6,
        },
        "dis": {"en": sum(w.lang == "en" for w in dis), "zh": sum(w.lang == "zh" for w in dis)},
        "neg_passages": args.neg_passages,
        "transforms": args.transforms,
        "speed": sp,
        "results": [asdict(r) for r in results],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip.compress(json.dumps(data, default=float).encode(), mtime=0))
    md = render(data)
    print(md)
    if args.write_docs:
        write_docs(md, "text-bench")


if __name__ == "__main__":
    main()
