"""The risk score kept on each upload: how likely it is to infringe, and why.

It sums weighted reasons, each of them a factor the courts list as making a platform
"should have known" (SPC Provisions arts. 9-12, Beijing High Court guideline 9.12-9.13):
a near match to a registered work, a priority work, a complete professional film or
album, a title like a known work, an uploader with blocked uploads. Reviewers see the
reasons; the score orders their queue.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from safeharbor.config import ProfessionalWorkHeuristic
from safeharbor.screening.policy import MatchFacts

# Release-group and quality markers that accompany ripped films and albums.
_QUALITY = re.compile(
    r"(?<![a-z0-9])(2160p|1080p|720p|4k|uhd|blu-?ray|bdrip|brrip|web-?dl|webrip|hdrip|dvdrip|"
    r"remux|x264|x265|hevc|flac|320kbps|lossless|hi-?res)(?![a-z0-9])|"
    r"(蓝光|高清|超清|完整版|全集|无损|未删减|抢先版|枪版|院线)",
    re.IGNORECASE,
)


@dataclass
class Reason:
    code: str
    weight: float
    detail: str

    def view(self) -> dict[str, Any]:
        return {"code": self.code, "weight": self.weight, "detail": self.detail}


def normalise_title(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _QUALITY.sub(" ", text)
    text = re.sub(r"\.[a-z0-9]{2,4}$", "", text)  # extension
    text = re.sub(r"[\W_]+", " ", text)
    return re.sub(r"\b(19|20)\d{2}\b", " ", text).strip()


def title_like(candidate: str, known: Iterable[str]) -> str | None:
    """The known title ``candidate`` resembles, if any (containment or close spelling)."""
    cand = normalise_title(candidate)
    if len(cand) < 2:
        return None
    for title in known:
        k = normalise_title(title)
        if len(k) < 2:
            continue
        # a short known title must appear as a whole word (scripts without spaces: as a
        # run of characters); a long one may also be misspelt
        cjk = any(ord(ch) > 0x2E80 for ch in k)
        if (k in cand if cjk else re.search(rf"(^| ){re.escape(k)}( |$)", cand)) or (
            len(k) >= 6 and SequenceMatcher(None, cand, k).ratio() >= 0.85
        ):
            return title
    return None


def _tokens(normalised: str) -> set[str]:
    """Words, and character pairs of scripts written without spaces (Chinese, Japanese)."""
    out: set[str] = set()
    for word in normalised.split():
        if any(ord(ch) > 0x2E80 for ch in word):
            out.update(word[i : i + 2] for i in range(max(1, len(word) - 1)))
        elif len(word) >= 2:
            out.add(word)
    return out


class TitleIndex:
    """Known titles by token, so an upload's title is compared with the few that share a
    word with it rather than with every registered title."""

    def __init__(self, titles: Iterable[str]) -> None:
        self._by_token: dict[str, set[str]] = {}
        for title in titles:
            for tok in _tokens(normalise_title(title)):
                self._by_token.setdefault(tok, set()).add(title)

    def like(self, candidate: str) -> str | None:
        found: set[str] = set()
        for tok in _tokens(normalise_title(candidate)):
            found |= self._by_token.get(tok, set())
        return title_like(candidate, sorted(found, key=len, reverse=True)) if found else None


def professional_complete(
    modality: str, size: int, info: dict[str, Any], h: ProfessionalWorkHeuristic
) -> str | None:
    """Why the upload looks like a complete professionally made film or album, if it does."""
    duration = info.get("duration")
    if modality == "video":
        if duration is not None:
            height = info.get("height") or 0
            if duration >= h.min_film_seconds and height >= h.min_video_height:
                return f"a {duration / 60:.0f}-minute video at {height}p"
            return None
        if size >= h.min_bytes:
            return f"a {size / 2**30:.1f} GiB video"
    if modality == "audio":
        if duration is not None:
            rate = info.get("audio_bit_rate") or info.get("bit_rate") or 0
            if duration >= h.min_album_seconds and rate >= h.min_audio_bitrate:
                return f"{duration / 60:.0f} minutes of audio at {rate // 1000} kbit/s"
            return None
        if size >= h.min_bytes:
            return f"{size / 2**30:.1f} GiB of audio"
    return None


def assess(
    *,
    modality: str,
    size: int,
    title: str,
    info: dict[str, Any],
    matches: list[MatchFacts],
    known_titles: TitleIndex,
    uploader_blocked: int,
    heuristic: ProfessionalWorkHeuristic,
    match_threshold: float,
) -> tuple[float, list[Reason], bool]:
    """(score in [0, 1], reasons, looks like a complete professional work)."""
    reasons: list[Reason] = []
    for m in matches:
        if m.licence_id is not None:
            continue
        if m.score >= match_threshold:
            reasons.append(Reason("match", 0.6, f"matches '{m.title}' ({m.score:.2f})"))
        else:
            reasons.append(Reason("near_match", 0.3, f"resembles '{m.title}' ({m.score:.2f})"))
        if m.priority:
            reasons.append(Reason("priority_work", 0.3, f"'{m.title}' is a priority work"))
        break  # the best match speaks for the others
    professional = professional_complete(modality, size, info, heuristic)
    if professional:
        reasons.append(
            Reason("professional_complete", 0.3, f"looks like a complete work: {professional}")
        )
    markers = _QUALITY.search(title) is not None
    if markers:
        reasons.append(Reason("release_markers", 0.1, "title carries release/quality markers"))
    like = known_titles.like(title)
    if like is not None:
        reasons.append(Reason("title_like_known_work", 0.25, f"title resembles '{like}'"))
    if uploader_blocked:
        reasons.append(
            Reason(
                "uploader_history",
                min(0.3, 0.1 * uploader_blocked),
                f"uploader has {uploader_blocked} blocked or removed upload(s)",
            )
        )
    score = min(1.0, sum(r.weight for r in reasons))
    # "Titled like a known work": a registered or listed title, or the release markers that
    # pirated copies of films and albums carry.
    looks_pirated = professional is not None and (like is not None or markers)
    return round(score, 3), reasons, looks_pirated
