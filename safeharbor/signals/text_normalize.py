"""Text normalisation for the text signal: tokens that survive cosmetic edits, each mapped
back to the characters it came from.

What a copier changes without changing the words (case, punctuation, white space, line
wrapping, full-width forms, traditional or simplified Chinese characters) must not change
the tokens, so:

* Every character is classed once per distinct code point (a text has few): a *word*
  character (a letter, digit or combining mark), a character of a script written without
  spaces (Han, kana, Thai, Lao, Khmer, Myanmar), a *format* character (soft hyphen,
  zero-width joiner...) that is skipped without breaking the word it sits in, or a
  separator (punctuation, symbols, white space), which only ends words and is dropped.
* Tokens are runs of word characters in spaced scripts and single characters in the
  others, so mixed text (Chinese with English terms in it) works: a character n-gram for
  Chinese is what a word n-gram is for English.
* Each token is NFKC-normalised and case-folded (full-width ``ＡＢＣ`` -> ``abc``,
  ligatures undone), and Han characters are mapped traditional -> simplified one character
  at a time (OpenCC ``t2s``). Per character and not per phrase on purpose: the conversion
  must give the same result for a character whatever surrounds it (an upload and the
  reference it copies are rarely cut at the same place), and a fold that merges two
  characters only loses a distinction, never a match.

``start``/``end`` give each token's span in the ORIGINAL string (Python ``str`` indices),
which is how a match is placed in the un-normalised text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from safeharbor.arrays import I64

#: character classes
SEP, WORD, CHAR, SKIP = 0, 1, 2, 3

#: scripts written without spaces between words: every character is a token
_NO_SPACE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals (NFKC maps them to ideographs)
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x31F0, 0x31FF),  # katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width katakana
    (0x20000, 0x3FFFF),  # CJK extensions B and beyond
)

#: characters OpenCC leaves alone one at a time because the right simplified form depends
#: on the phrase (著 is 着 in 看著, 著 in 著名): folded to one form on both sides
_EXTRA_FOLD = {"著": "着"}


@lru_cache(maxsize=1 << 16)
def _char_class(cp: int) -> int:
    cat = unicodedata.category(chr(cp))
    if cat == "Cf":
        return SKIP
    if cat[0] not in "LNM":
        return SEP
    for lo, hi in _NO_SPACE_RANGES:
        if lo <= cp <= hi:
            return CHAR
    return WORD


@lru_cache(maxsize=1)
def _converter() -> Any:
    """OpenCC's traditional -> simplified converter, or None where it is not installed."""
    try:
        import opencc
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    return opencc.OpenCC("t2s")


def t2s_available() -> bool:
    return _converter() is not None


_CHAR_CACHE: dict[str, str] = {}
_WORD_CACHE: dict[str, str] = {}


def _fold_chars(chars: set[str]) -> None:
    """Fill ``_CHAR_CACHE`` for single characters of no-space scripts."""
    todo = [c for c in chars if c not in _CHAR_CACHE]
    if not todo:
        return
    nfkc = [unicodedata.normalize("NFKC", c).casefold() for c in todo]
    conv = _converter()
    out = nfkc
    if conv is not None:
        # one call for all distinct characters; a newline between them stops OpenCC from
        # converting across them as a phrase
        joined = conv.convert("\n".join(nfkc)).split("\n")
        out = joined if len(joined) == len(nfkc) else [conv.convert(c) for c in nfkc]
    for c, s in zip(todo, out, strict=True):
        _CHAR_CACHE[c] = _EXTRA_FOLD.get(s, s)


def _fold_word(w: str) -> str:
    v = _WORD_CACHE.get(w)
    if v is None:
        v = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", w).casefold())
        if len(_WORD_CACHE) < 1_000_000:  # bounded: a hostile upload of random words
            _WORD_CACHE[w] = v
    return v


@dataclass(frozen=True)
class Tokens:
    """Normalised tokens and the span of each in the original text."""

    tokens: list[str]
    start: I64  # first character of each token in the original text
    end: I64  # one past its last character
    chars: int  # number of per-character (no-space script) tokens

    def __len__(self) -> int:
        return len(self.tokens)

    def language_mix(self) -> dict[str, float]:
        n = max(1, len(self.tokens))
        return {"cjk": round(self.chars / n, 3), "words": round(1 - self.chars / n, 3)}


def tokenize(text: str) -> Tokens:
    """Normalised tokens of ``text`` with their character spans in ``text``."""
    if not text:
        z = np.zeros(0, np.int64)
        return Tokens([], z, z.copy(), 0)
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    # class each distinct code point once, then look every character up (a table indexed
    # by code point: no sort of the whole text)
    top = int(cp.max()) + 1
    uniq = np.flatnonzero(np.bincount(cp, minlength=top))
    cls_u = np.fromiter((_char_class(int(u)) for u in uniq), np.int8, len(uniq))
    table = np.zeros(top, np.int8)
    table[uniq] = cls_u
    cls = table[cp]
    has_skip = bool((cls_u == SKIP).any())
    # positions of everything but format characters: a soft hyphen inside a word joins
    idx = np.flatnonzero(cls != SKIP) if has_skip else np.arange(len(cls))
    c = cls[idx]
    w = c == WORD
    prev = np.concatenate([[False], w[:-1]])
    nxt = np.concatenate([w[1:], [False]])
    ws = idx[np.flatnonzero(w & ~prev)]
    we = idx[np.flatnonzero(w & ~nxt)] + 1
    cs = idx[np.flatnonzero(c == CHAR)]
    starts = np.concatenate([ws, cs]).astype(np.int64)
    ends = np.concatenate([we, cs + 1]).astype(np.int64)
    is_char = np.concatenate([np.zeros(len(ws), bool), np.ones(len(cs), bool)])
    if len(ws) and len(cs):  # mixed text: put the two kinds back in reading order
        order = np.argsort(starts, kind="stable")
        starts, ends, is_char = starts[order], ends[order], is_char[order]

    raw = [text[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    if has_skip:
        drop = {
            int(u): None for u, k in zip(uniq.tolist(), cls_u.tolist(), strict=True) if k == SKIP
        }
        raw = [r.translate(drop) for r in raw]
    _fold_chars({r for r, ch in zip(raw, is_char.tolist(), strict=True) if ch})
    toks = [
        _CHAR_CACHE[r] if ch else _fold_word(r) for r, ch in zip(raw, is_char.tolist(), strict=True)
    ]
    return Tokens(toks, starts, ends, int(is_char.sum()))
