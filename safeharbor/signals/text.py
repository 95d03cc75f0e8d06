"""Text: copied passages in prose (English, Chinese, and any mix), by winnowing normalised
k-grams.

* **Text** comes from ``documents.extract.extract_text`` (plain text in any encoding,
  HTML, PDF, EPUB, DOCX, subtitles). A scan with no text layer is an error, not "no match".
  Offsets are characters of that extracted text.
* **Tokens** (``text_normalize.tokenize``): NFKC, case-folded, traditional -> simplified,
  punctuation and white space dropped; words in spaced scripts, single characters in Han,
  kana, Thai... Each token keeps its span in the original text.
* **Profiles**: a word k-gram and a character k-gram carry different amounts of text, so
  there are two hashings of the same token stream: ``words`` (k = K_WORDS tokens) and
  ``chars`` (k = K_CHARS). A text gets a fingerprint for every profile whose kind of token
  it has enough of (so a Chinese book with English quotations has both).
* **Winnowing** (``winnowing.fingerprint``): references are winnowed with a wider window
  than queries. A hash kept in the reference is the minimum of some reference window; the
  query, winnowed with a window no wider, keeps that hash wherever the same tokens surround
  it, so the sparser reference loses nothing the query could have found, and the index (the
  part that scales with 10,000 books) is several times smaller.
  That holds only where the query keeps the reference's surroundings: a substituted word
  next to a kept hash can make a neighbouring query window's minimum smaller and lose it,
  so a short query (``SHORT_QUERY_TOKENS``), whose few shared hashes all count, keeps
  every k-gram (window 1).
* **Index and passages**: ``text_index`` (inverted index in sorted numpy arrays; shared
  hashes grouped into passages that tolerate reordered sentences).
* **Score** (``expected_chance``): the expected number of chance passages with ``n``
  distinct shared hashes (weighted by how many references hold each), 10**(A - B*n) per
  thousand query tokens and per million reference tokens (each at least 1, so a tiny
  index or upload is no licence to match on less), mapped as for audio: 1e-3 -> 0.65,
  1e-4 -> 0.80 (the contract of ``SignalMatch``). The threshold so rises by 1/B hashes
  for every tenfold of upload or index.
* **Measurements** (Debian corpora: the Debian Reference and fortune files, references
  and unrelated queries split by file; 50-word passages with 5 words substituted or
  dropped, and 100-Han-character passages with 10 % changed and turned traditional, put
  into unrelated text; passages of unrelated pairs that hold a run of >= 8 identical words
  / 12 characters were real shared quotations and are left out of the chance counts):

  ======  =========  ==============================  ===============================
  words   k, w_ref   recall at n >= 7 / 10 / 12      unrelated passages >= 3 / 4 / 5
  ======  =========  ==============================  ===============================
          4, 6       0.93 / 0.40 / 0.15              11 / 1 / 0
          5, 4       0.98 / 0.75 / 0.42              13 / 2 / 0
          5, 3       0.99 / 0.96 / 0.79              14 / 2 / 0   (chosen)
          6, 3       0.98 / 0.83 / 0.56               0 / 0 / 0
  chars   8, 6       0.99 / 0.89 / 0.75               7 / 0 / 0
          8, 4       1.00 / 1.00 / 0.96              54 / 1 / 1   (chosen)
          7, 4       1.00 / 1.00 / 1.00              38 / 13 / 2  (query window 1)
  ======  =========  ==============================  ===============================

  in 66 (English) and 64 (Chinese) kilotoken x megatoken units. A query window of 2 found
  the same as 1 (words 5, 4 and chars 8, 4: identical recall) at two thirds of the
  fingerprint. The fit is deliberately above the counts (words A = 1.5, B = 0.7 predicts
  17 passages >= 3 and 3.3 >= 4 where 14 and 2 were seen; chars A = 2.1, B = 0.7 predicts
  64 and 13 where 54 and 1 were): B is flatter than the fall seen (about one decade per
  hash) because the tail beyond the data is extrapolated, and the Chinese fortune file
  quotes the Debian Reference itself, so its "unrelated" pairs are partly related.
  At the smallest sizes 0.65 needs 7 (words) / 8 (chars) hashes; at 10,000 books
  (~10**9 tokens) 11 / 12, where 50-word / 100-character passages with 10 % changed are
  still found 89 % / 96 % of the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from safeharbor.arrays import I64, U32
from safeharbor.signals import winnowing as wn
from safeharbor.signals.base import (
    Fingerprint,
    Media,
    Role,
    SignalError,
    SignalIndex,
    SignalMatch,
    SignalType,
    Span,
    score_from_chance,
)
from safeharbor.signals.text_index import U64, Store, expand, passages, weights
from safeharbor.signals.text_normalize import Tokens, tokenize

#: recorded in every fingerprint; the index ignores fingerprints of another format
FORMAT = "text-winnow-1"


@dataclass(frozen=True)
class Profile:
    """How one kind of token stream is hashed and scored."""

    name: str
    k: int  # tokens per k-gram
    w_ref: int  # winnowing window for references
    w_query: int  # ... for queries longer than SHORT_QUERY_TOKENS (<= w_ref); shorter: 1
    gap: int  # tokens between neighbouring hits of one passage, at most
    chance_a: float  # log10 chance passages with 0 hashes, per kilotoken x megatoken
    chance_b: float  # ... fewer per shared hash
    min_tokens: int  # a text gets this profile with at least this many of its tokens


PROFILES: dict[str, Profile] = {
    # chosen from the measurements in the module docstring
    "words": Profile(
        "words", k=5, w_ref=3, w_query=2, gap=40, chance_a=1.5, chance_b=0.7, min_tokens=30
    ),
    "chars": Profile(
        "chars", k=8, w_ref=4, w_query=2, gap=60, chance_a=2.1, chance_b=0.7, min_tokens=60
    ),
}

#: the packed layout of a fingerprint: hash, first token, first and end character
_ENTRY = np.dtype([("h", "<u8"), ("t", "<u4"), ("s", "<u4"), ("e", "<u4")])

#: query and index sizes below these are scored as if this large (no tiny-index luck)
MIN_QUERY_KTOKENS = 1.0
MIN_INDEX_MTOKENS = 1.0
#: a shared hash counts fully while at most FULL_DF references hold it, then 1/df; not at
#: all beyond max(STOP_DF_MIN, STOP_DF_FRACTION * references)
FULL_DF = 3
STOP_DF_MIN = 20
STOP_DF_FRACTION = 0.01
#: references with fewer (weighted) shared hashes than this are not grouped at all
MIN_HASHES = 3.0
#: at most this many references are grouped into passages per query
CANDIDATES = 200
#: a query hash repeated more often than this counts only this many places
MAX_QUERY_REPEATS = 8
#: passages listed in the evidence
EVIDENCE_PASSAGES = 5
#: a query of at most this many tokens keeps every k-gram (window 1), not a window's
#: minimum: its shared hashes are few, and a substitution changes the neighbours a kept
#: hash is compared with, so window 2 loses some the reference kept (50 English words with
#: 5 substituted: 0.916 -> 0.923 found at 0.80, no more false matches). Long uploads keep
#: ``w_query``: a 1 MB upload would look up half as many hashes again.
SHORT_QUERY_TOKENS = 10_000
#: text beyond this many characters is not fingerprinted (a note says so)
MAX_CHARS = 50_000_000


def pack(h: U64, t: I64, s: I64, e: I64) -> bytes:
    a = np.empty(len(h), _ENTRY)
    a["h"], a["t"], a["s"], a["e"] = h, t, s, e
    return a.tobytes()


def unpack(value: bytes) -> tuple[U64, U32, U32, U32]:
    if len(value) % _ENTRY.itemsize:
        raise ValueError("text fingerprints are (hash, token, start, end) records")
    a = np.frombuffer(value, _ENTRY)
    return (
        a["h"].astype(np.uint64),
        a["t"].astype(np.uint32),
        a["s"].astype(np.uint32),
        a["e"].astype(np.uint32),
    )


# --------------------------------------------------------------------------- score


def expected_chance(n: float, p: Profile, query_tokens: int, index_tokens: int) -> float:
    """Expected number of unrelated (query, reference) passages sharing ``n`` hashes."""
    q = max(query_tokens / 1000.0, MIN_QUERY_KTOKENS)
    r = max(index_tokens / 1e6, MIN_INDEX_MTOKENS)
    return float(10.0 ** (p.chance_a - p.chance_b * n) * q * r)


# --------------------------------------------------------------------------- signal


def read_text(media: Media) -> tuple[str, str, tuple[str, ...]]:
    """(text, format, notes) of an upload, as ``documents.extract`` reads it; raises
    ``SignalError`` for a scan (no text layer), which must not pass as "no match"."""
    # imported here: the readers pull in lxml, pdfium and pysubs2, which pictures,
    # videos and music never need
    from safeharbor.documents.extract import extract_text

    ext = extract_text(media)
    if ext.no_text_layer:
        raise SignalError(
            "This document is a scan with no text layer: its pages are pictures of text, "
            "so its words cannot be compared. Upload a version with selectable text."
        )
    return ext.text, ext.format, tuple(ext.notes)


class TextSignal(SignalType):
    """Winnowed k-grams of normalised text (prose in any script)."""

    name = "text"
    modalities = frozenset({"text", "document"})
    profiles: ClassVar[dict[str, Profile]] = PROFILES

    def extract(self, media: Media, role: Role) -> list[Fingerprint]:
        text, fmt, notes = read_text(media)
        return self.extract_text(text, role, fmt, notes)

    def extract_text(
        self, text: str, role: Role, fmt: str = "plain", notes: tuple[str, ...] = ()
    ) -> list[Fingerprint]:
        """Fingerprints of text already extracted (tests, benchmarks)."""
        if len(text) > MAX_CHARS:
            notes = (*notes, f"only the first {MAX_CHARS:,} characters were compared")
            text = text[:MAX_CHARS]
        toks = tokenize(text)
        return self.fingerprints(toks, len(text), role, fmt, notes)

    def fingerprints(
        self, toks: Tokens, chars: int, role: Role, fmt: str, notes: tuple[str, ...]
    ) -> list[Fingerprint]:
        if not len(toks):
            return []
        ids = wn.token_ids(toks.tokens)
        counts = {"words": len(toks) - toks.chars, "chars": toks.chars}
        majority = "chars" if toks.chars * 2 > len(toks) else "words"
        out: list[Fingerprint] = []
        for p in self.profiles.values():
            if p.name != majority and counts[p.name] < p.min_tokens:
                continue
            w = p.w_ref
            if role is Role.QUERY:
                w = 1 if len(toks) <= SHORT_QUERY_TOKENS else p.w_query
            h, first = wn.fingerprint(ids, p.k, w)
            if not len(h):
                continue
            last = np.minimum(first + p.k - 1, len(toks) - 1)
            meta: dict[str, Any] = {
                "format": FORMAT,
                "k": p.k,
                "w": w,
                "role": role.value,
                "tokens": len(toks),
                "chars": chars,
                "hashes": len(h),
                "language": toks.language_mix(),
                "text_format": fmt,
            }
            if notes:
                # "note": what the screen shows the uploader (as the other signals do)
                meta["note"] = "; ".join(dict.fromkeys(notes))
            value = pack(h, first, toks.start[first], toks.end[last])
            out.append(Fingerprint(self.name, p.name, value, meta=meta))
        return out

    def new_index(self) -> SignalIndex:
        return TextIndex(self.profiles)


# --------------------------------------------------------------------------- index


@dataclass
class _Ref:
    """What the index keeps of one reference's fingerprint, by hash ordinal."""

    tok: U32
    start: U32
    end: U32
    tokens: int
    chars: int


@dataclass
class _Passage:
    n: float  # weighted distinct shared hashes
    hashes: int  # distinct shared hashes, unweighted
    q0: int
    q1: int
    r0: int
    r1: int


class TextIndex(SignalIndex):
    """Inverted index hash -> (reference, ordinal), one store per profile."""

    def __init__(self, profiles: dict[str, Profile] | None = None) -> None:
        self.profiles = dict(profiles or PROFILES)
        self._stores = {name: Store() for name in self.profiles}
        self._refs: dict[str, dict[int, _Ref]] = {name: {} for name in self.profiles}
        self._tokens = dict.fromkeys(self.profiles, 0)
        self._slot_of: dict[int, int] = {}
        self._ref_of_slot: list[int] = []
        self._alive = np.zeros(0, bool)
        self._dead = 0

    def __len__(self) -> int:
        return len(self._slot_of)

    def entries(self) -> int:
        return sum(s.entries() for s in self._stores.values())

    def add(self, ref_id: int, fingerprints: Sequence[Fingerprint]) -> None:
        usable = [
            fp
            for fp in fingerprints
            if fp.signal == TextSignal.name
            and fp.kind in self.profiles
            and fp.meta.get("format") == FORMAT
            and fp.meta.get("k") == self.profiles[fp.kind].k
        ]
        if ref_id in self._slot_of:
            self.remove(ref_id)
        if not usable:
            return
        slot = len(self._ref_of_slot)
        self._slot_of[ref_id] = slot
        self._ref_of_slot.append(ref_id)
        if slot >= len(self._alive):
            grown = np.zeros(max(64, 2 * len(self._alive)), bool)
            grown[: len(self._alive)] = self._alive
            self._alive = grown
        self._alive[slot] = True
        for fp in usable:
            h, t, s, e = unpack(fp.value)
            tokens = int(fp.meta.get("tokens", int(t.max()) + 1 if len(t) else 0))
            self._refs[fp.kind][slot] = _Ref(t, s, e, tokens, int(fp.meta.get("chars", 0)))
            self._tokens[fp.kind] += tokens
            self._stores[fp.kind].add(h, slot, np.arange(len(h), dtype=np.uint32))

    def settle(self) -> None:
        # sorting the additions into the store's segments: seconds for a few thousand
        # books, paid here at load time rather than by the first upload
        for store in self._stores.values():
            store.flush(self._alive, purge=False)

    def remove(self, ref_id: int) -> None:
        slot = self._slot_of.pop(ref_id, None)
        if slot is None:
            return
        self._alive[slot] = False
        for name, refs in self._refs.items():
            ref = refs.pop(slot, None)
            if ref is not None:
                self._tokens[name] -= ref.tokens
                self._dead += len(ref.tok)
        if self._dead > 0.33 * max(1, self.entries()):
            for store in self._stores.values():
                store.flush(self._alive, purge=True)
            self._dead = 0

    # ---- search

    def search(self, query: Sequence[Fingerprint], min_score: float) -> list[SignalMatch]:
        best: dict[int, SignalMatch] = {}
        for fp in query:
            if fp.signal != TextSignal.name or fp.kind not in self.profiles:
                continue
            if fp.meta.get("format") != FORMAT or fp.meta.get("k") != self.profiles[fp.kind].k:
                continue
            for m in self._search_profile(self.profiles[fp.kind], fp, min_score):
                cur = best.get(m.ref_id)
                if cur is None or m.score > cur.score:
                    best[m.ref_id] = m
        return sorted(best.values(), key=lambda m: (-m.score, m.ref_id))

    def _search_profile(self, p: Profile, fp: Fingerprint, min_score: float) -> list[SignalMatch]:
        store = self._stores[p.name]
        store.flush(self._alive, purge=False)
        qh, qt, qs, qe = unpack(fp.value)
        if not len(qh):
            return []
        uq, inv = np.unique(qh, return_inverse=True)
        row, slot, ordinal, df = store.lookup(uq)
        if self._dead:
            live = self._alive[slot]
            row, slot, ordinal, df = row[live], slot[live], ordinal[live], df[live]
        stop = max(STOP_DF_MIN, STOP_DF_FRACTION * len(self))
        wt = weights(df, FULL_DF, stop)
        keep = wt > 0
        row, slot, ordinal, wt = row[keep], slot[keep], ordinal[keep], wt[keep]
        if not len(row):
            return []
        # references worth grouping: enough weighted distinct shared hashes
        per_slot = np.bincount(slot, weights=wt)
        cand = np.flatnonzero(per_slot >= MIN_HASHES)
        if not len(cand):
            return []
        cand = cand[np.argsort(-per_slot[cand], kind="stable")[:CANDIDATES]]
        sel = np.isin(slot, cand)
        row, slot, ordinal, wt = row[sel], slot[sel], ordinal[sel], wt[sel]
        # every place in the query each distinct hash occurs (a few at most)
        qorder = np.argsort(inv, kind="stable").astype(np.int64)
        qcount = np.bincount(inv, minlength=len(uq)).astype(np.int64)
        qfirst = np.cumsum(qcount) - qcount
        reps = np.minimum(qcount[row], MAX_QUERY_REPEATS)
        hit, j = expand(qfirst[row], reps)
        qi = qorder[j]
        row, slot, ordinal, wt = row[hit], slot[hit], ordinal[hit], wt[hit]

        qtokens = int(fp.meta.get("tokens", int(qt.max()) + 1))
        qchars = int(fp.meta.get("chars", int(qe.max())))
        out: list[SignalMatch] = []
        order = np.argsort(slot, kind="stable")
        bounds = np.flatnonzero(np.diff(slot[order])) + 1
        for group in np.split(order, bounds):
            s = int(slot[group[0]])
            ref = self._refs[p.name][s]
            ords = ordinal[group].astype(np.int64)
            found = self._passages(p, ref, qi[group], row[group], ords, wt[group], qt, qs, qe)
            if not found:
                continue
            top = found[0]
            chance = expected_chance(top.n, p, qtokens, self._tokens[p.name])
            score = score_from_chance(chance)
            if score < min_score:
                continue
            out.append(self._match(p, s, ref, found, score, chance, qchars, qtokens))
        return out

    def _passages(
        self,
        p: Profile,
        ref: _Ref,
        qi: I64,
        row: I64,
        ords: I64,
        wt: np.ndarray,
        qt: U32,
        qs: U32,
        qe: U32,
    ) -> list[_Passage]:
        q = qt[qi].astype(np.int64)
        r = ref.tok[ords].astype(np.int64)
        out: list[_Passage] = []
        for idx in passages(q, r, p.gap):
            # distinct on both sides: a repeated phrase is one piece of evidence
            _, ur = np.unique(ords[idx], return_index=True)
            _, uqr = np.unique(row[idx], return_index=True)
            n = min(float(wt[idx][ur].sum()), float(wt[idx][uqr].sum()))
            if n < MIN_HASHES:
                continue
            qsel, rsel = qi[idx], ords[idx]
            out.append(
                _Passage(
                    n=n,
                    hashes=min(len(ur), len(uqr)),
                    q0=int(qs[qsel].min()),
                    q1=int(qe[qsel].max()),
                    r0=int(ref.start[rsel].min()),
                    r1=int(ref.end[rsel].max()),
                )
            )
        out.sort(key=lambda x: (-x.n, x.q0))
        return out

    def _match(
        self,
        p: Profile,
        slot: int,
        ref: _Ref,
        found: list[_Passage],
        score: float,
        chance: float,
        qchars: int,
        qtokens: int,
    ) -> SignalMatch:
        top = found[0]
        return SignalMatch(
            ref_id=self._ref_of_slot[slot],
            score=score,
            signal=TextSignal.name,
            distance=None,
            query_span=Span(top.q0, top.q1, "char"),
            reference_span=Span(top.r0, top.r1, "char"),
            evidence={
                "profile": p.name,
                "shared_hashes": top.hashes,
                "weighted_hashes": round(top.n, 2),
                "expected_chance_matches": float(f"{chance:.3g}"),
                "passages": [
                    {
                        "query": [x.q0, x.q1],
                        "reference": [x.r0, x.r1],
                        "hashes": x.hashes,
                        "weighted_hashes": round(x.n, 2),
                    }
                    for x in found[:EVIDENCE_PASSAGES]
                ],
                "passage_count": len(found),
                "query_coverage": _coverage([(x.q0, x.q1) for x in found], qchars),
                "reference_coverage": _coverage([(x.r0, x.r1) for x in found], ref.chars),
                "query_tokens": qtokens,
                "index_tokens": self._tokens[p.name],
            },
        )


def _coverage(spans: list[tuple[int, int]], total: int) -> float:
    """Share of ``total`` characters covered by the union of ``spans``."""
    if total <= 0:
        return 0.0
    covered, reach = 0, -1
    for a, b in sorted(spans):
        a = max(a, reach)
        if b > a:
            covered += b - a
            reach = b
    return round(min(1.0, covered / total), 4)
