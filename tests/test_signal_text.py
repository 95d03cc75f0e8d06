"""The text signal: copied passages found and placed through the edits a copier makes, in
English and Chinese; unrelated text, common phrases and short quotations not matched."""

from __future__ import annotations

import random
import re
import time

import numpy as np
import opencc
import pytest

from safeharbor.signals import text as T
from safeharbor.signals.base import Fingerprint, Media, Role, SignalError, SignalMatch, Span
from safeharbor.signals.text import TextIndex, TextSignal
from safeharbor.signals.text_normalize import tokenize

SIG = TextSignal()
S2T = opencc.OpenCC("s2t")

# --------------------------------------------------------------------------- test text

_SYL = ["ka", "lo", "mi", "ren", "tas", "vo", "pel", "dri", "sun", "ber", "ot", "ia", "mor",
        "qui", "fal", "den", "sha", "lin", "cor", "bex"]  # fmt: skip


def _vocab(seed: int, n: int = 1500) -> list[str]:
    r = random.Random(seed)
    out = {"".join(r.choice(_SYL) for _ in range(r.randint(1, 3))) for _ in range(3 * n)}
    return sorted(out)[:n]


_EN_VOCAB = _vocab(0)
# Zipf-like: function words dominate real prose and make the chance sharing realistic
_EN_WEIGHTS = [1.0 / (i + 1) for i in range(len(_EN_VOCAB))]


def english(n_words: int, seed: int) -> str:
    """Generated prose: sentences of 6-18 words, capitals, commas, paragraphs."""
    r = random.Random(seed)
    words = r.choices(_EN_VOCAB, _EN_WEIGHTS, k=n_words)
    out: list[str] = []
    i = 0
    while i < n_words:
        n = r.randint(6, 18)
        s = words[i : i + n]
        i += n
        if len(s) > 4 and r.random() < 0.5:
            s[2] += ","
        sent = " ".join(s)
        out.append(sent[:1].upper() + sent[1:] + r.choice([".", ".", "?", "!"]))
        if r.random() < 0.15:
            out.append("\n\n")
    return " ".join(out)


# common Chinese characters, most frequent first
_ZH_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
    "子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制"
    "机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正"
    "心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党"
    "程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角"
    "期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压"
    "志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万"
    "每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林"
)
_ZH_WEIGHTS = [1.0 / (i + 1) ** 0.8 for i in range(len(_ZH_CHARS))]


def chinese(n_chars: int, seed: int) -> str:
    """Generated simplified Chinese: clauses of 4-14 characters with Chinese punctuation."""
    r = random.Random(seed)
    chars = r.choices(_ZH_CHARS, _ZH_WEIGHTS, k=n_chars)
    out: list[str] = []
    i = 0
    while i < n_chars:
        n = r.randint(4, 14)
        out.append("".join(chars[i : i + n]) + r.choice("，，。；："))
        i += n
        if r.random() < 0.08:
            out.append("\n")
    return "".join(out)


def index_of(*refs: str) -> TextIndex:
    idx = SIG.new_index()
    assert isinstance(idx, TextIndex)
    for i, ref in enumerate(refs):
        idx.add(100 + i, SIG.extract_text(ref, Role.REFERENCE))
    return idx


def search(idx: TextIndex, query: str, min_score: float = 0.0) -> list[SignalMatch]:
    return idx.search(SIG.extract_text(query, Role.QUERY), min_score)


def match_for(idx: TextIndex, query: str, ref_id: int) -> SignalMatch:
    found = [m for m in search(idx, query) if m.ref_id == ref_id]
    assert found, f"reference {ref_id} not found"
    return found[0]


def overlap(span: Span | None, lo: int, hi: int) -> float:
    """Share of the true range [lo, hi) that the reported span covers."""
    assert span is not None and span.unit == "char"
    return max(0.0, min(span.end, hi) - max(span.start, lo)) / (hi - lo)


def within(span: Span | None, lo: int, hi: int, slack: int = 5) -> bool:
    """The reported span lies inside the true range (give or take ``slack`` characters)."""
    assert span is not None
    return lo - slack <= span.start and span.end <= hi + slack


def embed(host: str, passage: str, at: float = 0.5) -> tuple[str, int, int]:
    """``passage`` put into ``host`` at a word or sentence break near ``at``."""
    cut = max(host.rfind(" ", 0, int(len(host) * at)), host.rfind("。", 0, int(len(host) * at))) + 1
    q = host[:cut] + passage + " " + host[cut:]
    return q, cut, cut + len(passage)


def words_of(text: str, start: int, n: int) -> tuple[str, int, int]:
    """``n`` words of ``text`` from word ``start``, with their character range."""
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    lo, hi = spans[start][0], spans[start + n - 1][1]
    return text[lo:hi], lo, hi


REF_EN = english(3000, seed=1)
OTHER_EN = [english(3000, seed=s) for s in (2, 3, 4)]
HOST_EN = english(1200, seed=50)
REF_ZH = chinese(6000, seed=11)
OTHER_ZH = [chinese(6000, seed=s) for s in (12, 13)]
HOST_ZH = chinese(2500, seed=60)


@pytest.fixture(scope="module")
def idx_en() -> TextIndex:
    return index_of(REF_EN, *OTHER_EN)


@pytest.fixture(scope="module")
def idx_zh() -> TextIndex:
    return index_of(REF_ZH, *OTHER_ZH)


# --------------------------------------------------------------------------- normalisation


def test_tokens_ignore_case_punctuation_width_and_white_space() -> None:
    a = tokenize("The Quick, brown  fox -- jumped!\nOver the ＬＡＺＹ dog.")
    b = tokenize("the quick brown fox jumped over the lazy dog")
    assert a.tokens == b.tokens


def test_token_offsets_point_at_the_original_characters() -> None:
    text = "Ｈello, wörld!  臺灣的後裡 and ﬁne"
    toks = tokenize(text)
    assert toks.tokens == ["hello", "wörld", "台", "湾", "的", "后", "里", "and", "fine"]
    for tok, a, b in zip(toks.tokens, toks.start.tolist(), toks.end.tolist(), strict=True):
        assert tokenize(text[a:b]).tokens == [tok]


def test_traditional_and_simplified_chinese_give_the_same_tokens() -> None:
    assert (
        tokenize("於是他在裡面寫下了後來的發展").tokens
        == tokenize("于是他在里面写下了后来的发展").tokens
    )
    assert tokenize(S2T.convert(REF_ZH[:500])).tokens == tokenize(REF_ZH[:500]).tokens


def test_mixed_chinese_and_english_tokens_are_characters_and_words() -> None:
    toks = tokenize("使用Debian系统 version 12")
    assert toks.tokens == ["使", "用", "debian", "系", "统", "version", "12"]
    assert toks.chars == 4


def test_soft_hyphen_inside_a_word_does_not_split_it() -> None:
    assert tokenize("exam\u00adple").tokens == ["example"]


# --------------------------------------------------------------------------- fingerprints


def test_fingerprint_packs_hashes_with_offsets_and_says_what_it_holds() -> None:
    fps = SIG.extract_text(REF_EN[:5000], Role.REFERENCE)
    assert [fp.kind for fp in fps] == ["words"]
    fp = fps[0]
    h, t, s, e = T.unpack(fp.value)
    assert len(h) == fp.meta["hashes"] > 0
    assert np.all(s < e) and int(e.max()) <= 5000
    assert fp.meta["tokens"] == len(tokenize(REF_EN[:5000]))
    assert fp.meta["language"]["words"] == 1.0
    # references are winnowed more sparsely than queries (a smaller index)
    q = SIG.extract_text(REF_EN[:5000], Role.QUERY)[0]
    assert q.meta["hashes"] > fp.meta["hashes"]


def test_a_short_query_keeps_every_k_gram_and_a_long_one_is_winnowed() -> None:
    # a substituted word beside a hash the reference kept can lose it from a winnowed
    # query; a short query has few shared hashes and keeps them all
    short = SIG.extract_text(REF_EN[:2000], Role.QUERY)[0]
    assert short.meta["w"] == 1
    assert short.meta["hashes"] == short.meta["tokens"] - T.PROFILES["words"].k + 1
    long_text = " ".join([REF_EN, *OTHER_EN] * 2)
    assert len(tokenize(long_text)) > T.SHORT_QUERY_TOKENS
    winnowed = SIG.extract_text(long_text, Role.QUERY)[0]
    assert winnowed.meta["w"] == T.PROFILES["words"].w_query
    assert winnowed.meta["hashes"] < 0.8 * winnowed.meta["tokens"]


def test_chinese_text_gets_the_character_profile() -> None:
    fps = SIG.extract_text(REF_ZH[:2000], Role.QUERY)
    assert [fp.kind for fp in fps] == ["chars"]
    assert fps[0].meta["language"]["cjk"] > 0.9


# --------------------------------------------------------------------------- English


def test_verbatim_english_passage_in_unrelated_text_is_found_and_placed(idx_en: TextIndex) -> None:
    passage, r0, r1 = words_of(REF_EN, 1200, 50)
    q, q0, q1 = embed(HOST_EN, passage)
    m = match_for(idx_en, q, 100)
    assert m.score >= 0.80
    assert overlap(m.query_span, q0, q1) > 0.9 and within(m.query_span, q0, q1)
    assert overlap(m.reference_span, r0, r1) > 0.9 and within(m.reference_span, r0, r1)
    assert [x.ref_id for x in search(idx_en, q, 0.65)] == [100]


def test_case_punctuation_white_space_and_line_wrapping_changes_still_match(
    idx_en: TextIndex,
) -> None:
    passage, r0, r1 = words_of(REF_EN, 400, 55)
    edited = re.sub(r"[,.?!]", " ; ", passage.upper())
    words = edited.split()
    edited = "\n".join("   ".join(words[i : i + 7]) for i in range(0, len(words), 7))
    q, q0, q1 = embed(HOST_EN, edited)
    m = match_for(idx_en, q, 100)
    assert m.score >= 0.80
    assert overlap(m.query_span, q0, q1) > 0.8
    assert overlap(m.reference_span, r0, r1) > 0.8


@pytest.mark.parametrize("edit", ["substituted", "dropped"])
def test_english_passage_with_a_tenth_of_its_words_changed_matches(
    idx_en: TextIndex, edit: str
) -> None:
    r = random.Random(5 if edit == "substituted" else 6)
    passage, r0, r1 = words_of(REF_EN, 2100, 50)
    words = passage.split()
    for i in r.sample(range(len(words)), 5):
        words[i] = r.choice(_EN_VOCAB[500:]) if edit == "substituted" else ""
    q, q0, q1 = embed(HOST_EN, " ".join(w for w in words if w))
    m = match_for(idx_en, q, 100)
    assert m.score >= 0.65
    assert overlap(m.query_span, q0, q1) > 0.7 and within(m.query_span, q0, q1)
    assert overlap(m.reference_span, r0, r1) > 0.7 and within(m.reference_span, r0, r1)


def test_sentences_reordered_within_a_paragraph_still_form_one_passage(idx_en: TextIndex) -> None:
    passage, r0, r1 = words_of(REF_EN, 1600, 110)
    sentences = re.findall(r"[^.?!]+[.?!]", passage)
    assert len(sentences) >= 5
    r = random.Random(3)
    shuffled = sentences[:]
    while shuffled == sentences:
        r.shuffle(shuffled)
    q, q0, q1 = embed(HOST_EN, " ".join(s.strip() for s in shuffled))
    m = match_for(idx_en, q, 100)
    assert m.score >= 0.80
    assert overlap(m.query_span, q0, q1) > 0.8
    assert overlap(m.reference_span, r0, r1) > 0.7
    # the reordered paragraph is reported as one passage, not split into sentences
    assert m.evidence["passages"][0]["hashes"] == m.evidence["shared_hashes"]
    assert m.evidence["passage_count"] <= 2


def test_near_duplicate_document_reports_coverage_of_both(idx_en: TextIndex) -> None:
    r = random.Random(9)
    words = REF_EN.split()
    for i in r.sample(range(len(words)), len(words) // 20):
        words[i] = r.choice(_EN_VOCAB)
    m = match_for(idx_en, "\n".join(words), 100)
    assert m.score == 1.0
    assert m.evidence["reference_coverage"] > 0.9
    assert m.evidence["query_coverage"] > 0.9


# --------------------------------------------------------------------------- Chinese


def test_traditional_upload_of_simplified_chinese_passage_with_changes_is_placed(
    idx_zh: TextIndex,
) -> None:
    r = random.Random(4)
    lo = REF_ZH.index("。", 3000) + 1
    hi = lo + 110  # ~100 Chinese characters and their punctuation
    chars = list(REF_ZH[lo:hi])
    han = [i for i, c in enumerate(chars) if c in _ZH_CHARS]
    for i in r.sample(han, len(han) // 10):
        chars[i] = r.choice(_ZH_CHARS[200:])
    upload = S2T.convert("".join(chars)).replace("，", " , ")
    q, q0, q1 = embed(HOST_ZH, upload)
    m = match_for(idx_zh, q, 100)
    assert m.evidence["profile"] == "chars"
    assert m.score >= 0.65
    # the edges are placed to the nearest shared k-gram: a changed character near an end
    # moves them inwards
    assert overlap(m.query_span, q0, q1) > 0.6 and within(m.query_span, q0, q1)
    assert overlap(m.reference_span, lo, hi) > 0.6 and within(m.reference_span, lo, hi)


def test_chinese_sentences_reordered_still_match(idx_zh: TextIndex) -> None:
    lo = REF_ZH.index("。", 1000) + 1
    hi = REF_ZH.index("。", lo + 150) + 1
    sentences = re.findall(r"[^。]+。", REF_ZH[lo:hi])
    shuffled = sentences[::-1]
    q, q0, q1 = embed(HOST_ZH, "".join(shuffled))
    m = match_for(idx_zh, q, 100)
    assert m.score >= 0.80
    assert overlap(m.query_span, q0, q1) > 0.8


# --------------------------------------------------------------------------- what must not match


def test_unrelated_texts_do_not_reach_the_priority_threshold(
    idx_en: TextIndex, idx_zh: TextIndex
) -> None:
    for seed in range(20, 26):
        assert search(idx_en, english(3000, seed), 0.65) == []
        assert search(idx_zh, chinese(6000, seed), 0.65) == []


def test_texts_sharing_only_common_phrases_do_not_reach_the_priority_threshold() -> None:
    phrases = [
        "at the end of the day", "on the other hand", "as a matter of fact",
        "in the middle of the night", "for the first time in", "it is important to note that",
        "one of the most", "at the same time", "in spite of the fact that",
        "there is no doubt that", "from time to time", "as far as I know",
    ]  # fmt: skip

    def with_phrases(seed: int) -> str:
        parts = english(1500, seed).split(". ")
        r = random.Random(seed)
        for i in range(0, len(parts), 6):
            parts[i] = r.choice(phrases).capitalize() + " " + parts[i]
        return ". ".join(parts)

    idx = index_of(with_phrases(31), with_phrases(32))
    for seed in (33, 34, 35):
        assert search(idx, with_phrases(seed), 0.65) == []


def test_a_shared_ten_word_phrase_does_not_match(idx_en: TextIndex) -> None:
    for start in range(100, 2900, 400):
        phrase, _, _ = words_of(REF_EN, start, 10)
        q, _, _ = embed(HOST_EN, phrase)
        assert search(idx_en, q, 0.65) == [], phrase


def test_a_shared_twenty_character_chinese_phrase_does_not_match(idx_zh: TextIndex) -> None:
    for start in range(200, 5800, 700):
        q, _, _ = embed(HOST_ZH, S2T.convert(REF_ZH[start : start + 20]))
        assert search(idx_zh, q, 0.65) == []


def test_boilerplate_held_by_many_references_counts_for_nothing() -> None:
    licence = english(120, seed=77)
    refs = [english(400, seed=200 + i) + "\n\n" + licence for i in range(T.STOP_DF_MIN + 5)]
    idx = index_of(*refs)
    q, _, _ = embed(HOST_EN, licence)
    assert search(idx, q, 0.0) == []
    # the same text held by one reference only is a copy
    assert search(index_of(refs[0]), q, 0.80)


def test_score_threshold_rises_with_upload_and_index_size() -> None:
    p = T.PROFILES["words"]
    small = T.score_from_chance(T.expected_chance(9, p, 1_000, 1_000_000))
    big_upload = T.score_from_chance(T.expected_chance(9, p, 300_000, 1_000_000))
    big_index = T.score_from_chance(T.expected_chance(9, p, 1_000, 1_000_000_000))
    assert big_upload < small and big_index < small


# --------------------------------------------------------------------------- index upkeep


def test_remove_takes_a_reference_out_and_leaves_the_others() -> None:
    passage, _, _ = words_of(REF_EN, 700, 60)
    idx = index_of(REF_EN, REF_EN[: len(REF_EN) // 2])
    q, _, _ = embed(HOST_EN, passage)
    assert {m.ref_id for m in search(idx, q, 0.8)} == {100, 101}
    idx.remove(100)
    assert len(idx) == 1
    assert [m.ref_id for m in search(idx, q, 0.8)] == [101]
    idx.remove(101)
    assert len(idx) == 0 and search(idx, q) == []
    idx.add(5, SIG.extract_text(REF_EN, Role.REFERENCE))
    assert [m.ref_id for m in search(idx, q, 0.8)] == [5]


def test_index_ignores_fingerprints_of_other_signals_and_formats() -> None:
    idx = SIG.new_index()
    fp = SIG.extract_text(REF_EN, Role.REFERENCE)[0]
    idx.add(1, [Fingerprint("code", fp.kind, fp.value, meta=fp.meta)])
    idx.add(2, [Fingerprint("text", fp.kind, fp.value, meta={**fp.meta, "format": "old"})])
    assert len(idx) == 0


# --------------------------------------------------------------------------- media


def test_media_is_read_through_the_document_extractor() -> None:
    passage, _, _ = words_of(REF_EN, 300, 60)
    data = embed(HOST_EN, passage)[0].encode("utf-16")
    fps = SIG.extract(Media("text", "text/plain", data=data, name="a.txt"), Role.QUERY)
    idx = index_of(REF_EN)
    assert idx.search(fps, 0.8)[0].ref_id == 100


def test_a_scan_without_text_layer_is_an_error_not_no_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from safeharbor.documents import extract

    scan = extract.ExtractedText(text="", format="pdf", notes=(), no_text_layer=True)
    monkeypatch.setattr(extract, "extract_text", lambda media, **kw: scan)
    with pytest.raises(SignalError, match="scan with no text layer"):
        SIG.extract(Media("document", "application/pdf", data=b"%PDF-1.4"), Role.QUERY)


def test_a_two_megabyte_upload_is_screened_in_reasonable_time(idx_en: TextIndex) -> None:
    passage, r0, r1 = words_of(REF_EN, 2500, 60)
    host = english(360_000, seed=99)
    assert len(host) > 2_000_000
    q, q0, q1 = embed(host, passage, at=0.7)
    t0 = time.perf_counter()
    m = match_for(idx_en, q, 100)
    took = time.perf_counter() - t0
    assert took < 30.0  # ~2 s here; generous for a shared CI machine
    assert m.score >= 0.80
    assert overlap(m.query_span, q0, q1) > 0.9
    assert overlap(m.reference_span, r0, r1) > 0.9


def test_a_text_cut_at_the_limit_says_so_in_the_note_the_screen_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(T, "MAX_CHARS", 1000)
    fps = TextSignal().extract_text("word " * 1000, Role.QUERY)
    assert fps and all("only the first 1,000 characters" in fp.meta["note"] for fp in fps)


def test_settling_the_index_merges_its_additions_and_changes_no_result() -> None:
    books = [english(3000, 300 + i) for i in range(30)]
    idx = index_of(*books)
    query = english(400, 999) + " " + " ".join(books[7].split()[1000:1100])
    assert any(s.pending for s in idx._stores.values())  # additions wait to be merged
    idx.settle()
    assert not any(s.pending for s in idx._stores.values())
    after = search(idx, query)
    assert after and after[0].ref_id == 107  # index_of numbers references from 100
    fresh = index_of(*books)  # merged lazily by its first search instead
    before = search(fresh, query)
    assert [(m.ref_id, m.score, m.query_span) for m in before] == [
        (m.ref_id, m.score, m.query_span) for m in after
    ]
