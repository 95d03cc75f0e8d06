"""The text benchmark's corpus and transformations (real prose, English and Chinese).

Usage: ``python bench/text_corpus.py`` prints the corpus summary (the benchmark calls
``build`` itself; fetching is idempotent).

Corpus (Debian packages, ``/work/shared/corpora/fetch text-en`` / ``text-zh`` into
``~/.cache/safeharbor-bench/text/{en,zh}``):

* the Debian Reference manual (``debian-reference-en``, ``debian-reference-zh-cn``): every
  HTML chapter cut into its sections (``div.section`` at the second level: "1.2", "3.5");
  a section is one work, its paragraphs and list items the text (``pre`` blocks of shell
  commands are left out: they are not prose). The Chinese manual is a translation of the
  English one: a Chinese section and its English original are different works;
* ``fortunes`` (English quotations, one work per batch of ``FORTUNE_BATCH`` consecutive
  fortunes of one file); ``fortunes-zh``: Tang and Song poems grouped into collections of
  ``POEM_BATCH`` poems, Chinese quotations in batches of ``FORTUNE_BATCH``.

Works shorter than ``MIN_WORDS`` words (``MIN_HAN`` characters for Chinese) are dropped,
and byte-identical works are kept once. References and distractors are split by a hash of
the work's name (about half each), never by position.

Transformations (``apply``): seeded, deterministic; each returns the upload text and where
the passage lies in it.
"""

from __future__ import annotations

import hashlib
import html
import os
import random
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("SAFEHARBOR_BENCH_CACHE", Path.home() / ".cache" / "safeharbor-bench"))
TEXT = CACHE / "text"
SHARED_FETCH = Path("/work/shared/corpora/fetch")
FORTUNE_BATCH = 25
POEM_BATCH = 8
MIN_WORDS = 250
MIN_HAN = 500

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"\S+")
_TOK = re.compile(r"[\u3400-\u9fff]|[^\W_]+")
DUP_K = 12


@dataclass(frozen=True)
class Work:
    name: str
    lang: str  # "en" / "zh"
    source: str  # "manual" / "fortunes" / "poems"
    text: str
    is_reference: bool


def fetch(lang: str) -> Path:
    root = TEXT / lang / "root"
    if (root / "usr" / "share" / "debian-reference").is_dir():
        return root
    kind = "text-en" if lang == "en" else "text-zh"
    out = subprocess.run(
        [str(SHARED_FETCH), kind, str(TEXT / lang)], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def is_reference(name: str) -> bool:
    return hashlib.sha1(split_group(name).encode()).digest()[0] % 2 == 0


def split_group(name: str) -> str:
    """What is split as one: a manual chapter in both languages (the Chinese manual is a
    translation of the English one and quotes its commands and prompts word for word, so
    a Chinese distractor would "match" its English original), any other work alone."""
    parts = name.split("/")
    if len(parts) > 2 and parts[1] == "manual":
        return "manual/" + parts[2].split(".")[0]
    return name


def _clean(s: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(s)).strip()


def manual_sections(path: Path) -> list[tuple[str, str]]:
    """(section title, text) for every second-level section of one manual chapter."""
    from lxml import html as lh

    doc = lh.fromstring(path.read_bytes())
    out = []
    for sec in doc.xpath("//div[@class='section' and not(ancestor::div[@class='section'])]"):
        title = sec.xpath("string(.//h2[1])").strip() or f"section{len(out)}"
        paras = []
        for el in sec.iter("p", "li", "dd"):  # not table cells: lists of packages
            if el.xpath("ancestor::pre") or el.xpath("ancestor::li") and el.tag == "p":
                continue
            t = _clean(el.text_content())
            if t:
                paras.append(t)
        # a list item holding paragraphs gave its text once (as the li)
        out.append((title, "\n\n".join(paras)))
    return out


def fortunes(path: Path) -> list[str]:
    raw = _ANSI.sub("", path.read_text(encoding="utf-8", errors="replace"))
    return [f.strip("\n") for f in raw.split("\n%\n") if f.strip()]


def _size(text: str, lang: str) -> int:
    return len(_HAN.findall(text)) if lang == "zh" else len(_WORD.findall(text))


def _grams(text: str) -> set[int]:
    toks = _TOK.findall(text.lower())
    return {hash(" ".join(toks[i : i + DUP_K])) for i in range(len(toks) - DUP_K + 1)}


def build(verbose: bool = True) -> list[Work]:
    """All works, with text that appears twice in the corpus kept only once.

    Real collections repeat themselves (the same fortune in two files, a Linux tip of the
    Chinese fortunes quoting the manual, English command output inside the Chinese manual,
    a famous line of a Tang poem among the quotations). A distractor that shares such text
    with a reference is a genuine copy, not a false match, so every paragraph (manual) or
    item (fortune, poem) sharing a run of ``DUP_K`` tokens with anything earlier in the
    corpus is dropped, in a fixed order (manuals first, then fortunes, then poems).
    """
    raw: list[tuple[str, str, str, list[str]]] = []  # name, lang, source, units
    for lang in ("en", "zh"):
        root = fetch(lang)
        man = root / "usr" / "share" / "debian-reference"
        suffix = ".en.html" if lang == "en" else ".zh-cn.html"
        for ch in sorted(man.glob("*" + suffix)):
            if ch.name.startswith("index"):
                continue
            for title, text in manual_sections(ch):
                name = f"{lang}/manual/{ch.name}/{title[:60]}"
                raw.append((name, lang, "manual", text.split("\n\n")))
    for lang in ("en", "zh"):
        fdir = fetch(lang) / "usr" / "share" / "games" / "fortunes"
        for f in sorted(fdir.iterdir()):
            if f.suffix in (".dat", ".u8") or f.is_symlink() or not f.is_file():
                continue
            items = fortunes(f)
            poems = lang == "zh" and f.name in ("tang300", "song100")
            batch = POEM_BATCH if poems else FORTUNE_BATCH
            src = "poems" if poems else "fortunes"
            for i in range(0, len(items), batch):
                raw.append((f"{lang}/{src}/{f.name}/{i // batch}", lang, src, items[i : i + batch]))
    raw.sort(key=lambda r: ("manual", "fortunes", "poems").index(r[2]))
    seen: set[int] = set()
    kept = []
    dropped = 0
    for name, lang, src, units in raw:
        keep = []
        for u in units:
            g = _grams(u)
            if g & seen:
                dropped += 1
                continue
            seen |= g
            keep.append(u)
        text = "\n\n".join(keep)
        if _size(text, lang) < (MIN_HAN if lang == "zh" else MIN_WORDS):
            continue
        kept.append(Work(name, lang, src, text, is_reference(name)))
    if verbose:
        print(f"  {dropped} repeated paragraphs / items dropped", file=sys.stderr)
        for lang in ("en", "zh"):
            for ref in (True, False):
                ws = [w for w in kept if w.lang == lang and w.is_reference == ref]
                print(
                    f"  {lang} {'references' if ref else 'distractors'}: {len(ws)} works, "
                    f"{sum(len(w.text) for w in ws) / 1e6:.2f} M characters",
                    file=sys.stderr,
                )
    return kept


# --------------------------------------------------------------------------- transforms

TRANSFORMS = (
    "clean",
    "case",
    "punct_space",
    "rewrap",
    "s2t",
    "subst10",
    "reorder",
    "embed",
    "near_dup",
)
#: passage lengths: words (English) / Chinese characters
LENGTHS = {"short": (50, 100), "long": (200, 400)}
_PUNCT_EN = re.compile(r"[.,;:!?\"'()\-]")
_ZH_TO_ASCII = {"，": ",", "。": ".", "；": ";", "：": ":", "！": "!", "？": "?", "、": ","}
_SENT = {"en": re.compile(r"(?<=[.!?])\s+"), "zh": re.compile(r"(?<=[。！？；])")}


@dataclass
class Query:
    text: str
    q_start: int  # where the passage lies in the upload (characters)
    q_end: int


def passage(work: Work, size: int, rng: random.Random) -> tuple[int, int]:
    """Character span [a, b) of a passage of ``size`` words (Chinese: Han characters)
    starting at a random word (character) of the work."""
    text = work.text
    if work.lang == "zh":
        pos = [m.start() for m in _HAN.finditer(text)]
    else:
        pos = [m.start() for m in _WORD.finditer(text)]
    if len(pos) <= size:
        return 0, len(text)
    i = rng.randrange(0, len(pos) - size)
    end = pos[i + size] if i + size < len(pos) else len(text)
    return pos[i], len(text[:end].rstrip()) if end > pos[i] else end


def _s2t() -> object:
    import opencc

    return opencc.OpenCC("s2t")


_CONVERTER: object | None = None


def s2t(text: str) -> str:
    global _CONVERTER
    if _CONVERTER is None:
        _CONVERTER = _s2t()
    return str(_CONVERTER.convert(text))  # type: ignore[attr-defined]


def change_case(text: str, rng: random.Random) -> str:
    mode = rng.choice(("upper", "lower", "title", "swap"))
    return {
        "upper": text.upper(),
        "lower": text.lower(),
        "title": text.title(),
        "swap": text.swapcase(),
    }[mode]


def punct_space(text: str, lang: str, rng: random.Random) -> str:
    if lang == "zh":
        out = []
        for ch in text:
            if ch in _ZH_TO_ASCII and rng.random() < 0.7:
                ch = _ZH_TO_ASCII[ch] + (" " if rng.random() < 0.5 else "")
            elif _HAN.match(ch) and rng.random() < 0.05:
                ch += " "
            out.append(ch)
        return "".join(out)

    def sub(m: re.Match[str]) -> str:
        r = rng.random()
        if r < 0.5:
            return ""
        if r < 0.75:
            return rng.choice(".,;:!? -")
        return m.group(0)

    text = _PUNCT_EN.sub(sub, text)
    return re.sub(r" ", lambda m: rng.choice(("  ", " ", " ", "\t", " \n")), text)


def rewrap(text: str, lang: str, rng: random.Random) -> str:
    width = rng.randrange(30, 100)
    if lang == "zh":
        flat = re.sub(r"\s*\n\s*", "", text)
        width //= 2
        return "\n".join(flat[i : i + width] for i in range(0, len(flat), width))
    paras = re.split(r"\n\s*\n", text)
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width) for p in paras)


def substitute(text: str, lang: str, rng: random.Random, vocab: list[str], rate: float) -> str:
    """``rate`` of the words (Chinese: Han characters) replaced by a word (character) from
    unrelated text, or dropped (each half the time)."""
    if lang == "zh":
        out = []
        for ch in text:
            if _HAN.match(ch) and rng.random() < rate:
                if rng.random() < 0.5:
                    out.append(rng.choice(vocab))
            else:
                out.append(ch)
        return "".join(out)
    parts = re.split(r"(\s+)", text)
    for i in range(0, len(parts), 2):
        if parts[i] and rng.random() < rate:
            parts[i] = rng.choice(vocab) if rng.random() < 0.5 else ""
    return re.sub(r"[ \t]{2,}", " ", "".join(parts))


def reorder(text: str, lang: str, rng: random.Random) -> str:
    """Sentences shuffled within each paragraph (a paragraph of one sentence: its clauses
    for Chinese, nothing for English)."""
    paras = re.split(r"(\n\s*\n)", text)
    for i in range(0, len(paras), 2):
        sents = [s for s in _SENT[lang].split(paras[i]) if s.strip()]
        if len(sents) < 2 and lang == "zh":
            sents = [s for s in re.split(r"(?<=[，、])", paras[i]) if s]
        if len(sents) >= 2:
            for _ in range(5):
                rng.shuffle(sents)
            paras[i] = ("" if lang == "zh" else " ").join(s.strip() for s in sents)
    return "".join(paras)


def vocabulary(works: list[Work], lang: str) -> list[str]:
    """Words (Chinese: Han characters) of unrelated text, in their real frequencies."""
    out: list[str] = []
    for w in works:
        if w.lang == lang:
            out.extend(_HAN.findall(w.text) if lang == "zh" else _WORD.findall(w.text))
        if len(out) > 200_000:
            break
    return out


def filler(others: list[Work], size_chars: int, rng: random.Random) -> str:
    """Unrelated text (from distractor works) of about ``size_chars`` characters."""
    parts: list[str] = []
    n = 0
    while n < size_chars:
        w = others[rng.randrange(len(others))]
        a = rng.randrange(0, max(1, len(w.text) - size_chars))
        chunk = w.text[a : a + size_chars - n]
        parts.append(chunk)
        n += len(chunk) + 2
    return "\n\n".join(parts)


def apply(
    name: str,
    work: Work,
    span: tuple[int, int],
    rng: random.Random,
    vocab: list[str],
    others: list[Work],
) -> Query:
    """The upload for transformation ``name`` of the passage ``span`` of ``work``.

    ``others`` are distractor works of the same language (for embedding); ``vocab`` their
    words (for substitution). ``near_dup`` ignores ``span``: the whole work, edited.
    """
    a, b = span
    p = work.text[a:b]
    lang = work.lang
    if name == "clean":
        t = p
    elif name == "case":
        t = change_case(p, rng)
    elif name == "punct_space":
        t = punct_space(p, lang, rng)
    elif name == "rewrap":
        t = rewrap(p, lang, rng)
    elif name == "s2t":
        t = s2t(p)
    elif name == "subst10":
        t = substitute(p, lang, rng, vocab, 0.10)
    elif name == "reorder":
        t = reorder(p, lang, rng)
    elif name == "embed":
        before = filler(others, 2 * len(p), rng)
        after = filler(others, 2 * len(p), rng)
        t = before + "\n\n" + p + "\n\n" + after
        return Query(t, len(before) + 2, len(before) + 2 + len(p))
    elif name == "near_dup":
        # a near-duplicate of the whole document: 3 % of words changed, one paragraph in
        # ten dropped, re-wrapped
        paras = re.split(r"\n\s*\n", work.text)
        paras = [q for q in paras if rng.random() >= 0.1 or len(paras) < 3]
        t = substitute("\n\n".join(paras), lang, rng, vocab, 0.03)
        t = rewrap(t, lang, rng) if rng.random() < 0.5 else t
    else:
        raise ValueError(name)
    return Query(t, 0, len(t))


if __name__ == "__main__":
    build()
