"""Translations and locale-aware formatting for what people read: reports now, the web
portals later.

The catalogues are ordinary gettext ``.po`` files under ``safeharbor/web/translations``
(``<lang>/LC_MESSAGES/*.po``: ``messages.po`` for reports and shared words, one file per
portal beside it), keyed by the English text (the msgid). They are read
at run time and compiled to ``.mo`` in memory with Babel, once per language, so editing a
catalogue needs no build step. A string with no translation reads as its English msgid.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from safeharbor.errors import InvalidInput

TRANSLATIONS = Path(__file__).parent / "web" / "translations"
#: the languages a catalogue exists for; English is the msgid language
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "en"

Translate = Callable[[str], str]


def check_language(lang: str | None) -> str:
    """``lang`` spelled the catalogue's way (``zh-CN`` and ``zh_cn`` are ``zh_CN``)."""
    if not lang:
        return DEFAULT_LANGUAGE
    wanted = lang.replace("-", "_").lower()
    for known in LANGUAGES:
        if known.lower() == wanted or known.split("_")[0] == wanted:
            return known
    raise InvalidInput(f"unknown language {lang!r} (one of {', '.join(LANGUAGES)})")


def catalogue_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def catalogue_paths(lang: str, first: str | None = None) -> list[Path]:
    """Every catalogue file of ``lang`` in lookup order: ``first`` (a portal's own
    catalogue), then ``web.po`` and ``messages.po`` (shared words), then the rest. A word
    two portals translate differently ("Upload" as a noun in one, a verb in another) is
    each portal's own."""
    folder = TRANSLATIONS / check_language(lang) / "LC_MESSAGES"
    order = [first, "web", "messages"] if first else ["messages", "web"]
    paths = [folder / f"{name}.po" for name in order if name]
    paths += sorted(p for p in folder.glob("*.po") if p not in paths)
    return [p for p in dict.fromkeys(paths) if p.exists()]


def read_catalogue(lang: str, path: Path | None = None) -> Catalog:
    with (path or catalogue_path(check_language(lang))).open("rb") as fh:
        return read_po(fh, locale=lang)


@cache
def translations(lang: str, first: str | None = None) -> gettext.NullTranslations:
    """The compiled catalogues of ``lang``, chained with ``first`` looked up first
    (cached for the life of the process)."""
    lang = check_language(lang)
    chain: gettext.NullTranslations | None = None
    for path in reversed(catalogue_paths(lang, first)):
        # compiled afresh for each chain: add_fallback links the objects themselves
        buf = io.BytesIO()
        write_mo(buf, read_catalogue(lang, path))
        buf.seek(0)
        t = gettext.GNUTranslations(buf)
        if chain is not None:
            t.add_fallback(chain)
        chain = t
    return chain or gettext.NullTranslations()


def gettext_for(lang: str | None, first: str | None = None) -> Translate:
    """The ``_`` function of a language (``first``: a portal's catalogue looked up
    before the shared ones): English text in, the translation out."""
    return translations(check_language(lang), first).gettext


def _locale(lang: str | None) -> Locale:
    try:
        return Locale.parse(check_language(lang))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LANGUAGE)


def format_datetime(dt: datetime, lang: str | None, tz: str | ZoneInfo = "UTC") -> str:
    """A moment as the viewer reads it: in their time zone, in their language's style
    (the zone is named, so a reader in another zone is not misled)."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return _babel_datetime(dt, "medium", tzinfo=zone, locale=_locale(lang)) + (f" ({zone.key})")


def format_period(
    start: datetime, end: datetime, lang: str | None, tz: str | ZoneInfo = "UTC"
) -> str:
    """A period ``start <= t < end`` as people say it: whole days in the viewer's zone read
    as dates with the last day included ("1 Jan 2026 – 31 Dec 2026"), anything else as
    times."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    a, b = start.astimezone(zone), end.astimezone(zone)
    if a.time() == b.time() == time(0) and b > a:
        last = (b - timedelta(days=1)).date()
        loc = _locale(lang)
        return (
            f"{_babel_date(a.date(), 'long', locale=loc)} – "
            f"{_babel_date(last, 'long', locale=loc)} ({zone.key})"
        )
    return f"{format_datetime(start, lang, zone)} – {format_datetime(end, lang, zone)}"


def format_number(value: float | int, lang: str | None, digits: int = 2) -> str:
    """A number with the language's grouping and decimal marks, at most ``digits`` places."""
    fmt = "#,##0" + ("." + "#" * digits if digits > 0 else "")
    return format_decimal(value, format=fmt, locale=_locale(lang))


def format_share(value: float, lang: str | None) -> str:
    """A share (0..1) as a percentage with one decimal."""
    return format_percent(value, format="#,##0.0%", locale=_locale(lang))
