"""Keeping the translation catalogues in step with the code: which English strings the
templates and page code use, per catalogue, and which of them lack a translation.

``python -m safeharbor.web.catalogues update [DOMAIN]`` adds every new string to its catalogue (an
empty translation for a translator to fill in) and drops the ones no longer used;
``check`` lists the strings without a Chinese translation (a test runs it too).

The catalogue of a string is decided by where it is used: ``web`` for the shared layout
and sign-in (``safeharbor/web``), ``<portal>`` for ``safeharbor/portals/<portal>``.
``messages.po`` (reports) is kept by ``safeharbor/reports`` as before.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from safeharbor import i18n
from safeharbor.portals import PORTALS

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def domains() -> dict[str, Path]:
    return {"web": ROOT / "web", **{name: ROOT / "portals" / name for name in PORTALS}}


def used_strings(folder: Path) -> dict[str, list[str]]:
    """Each msgid used under ``folder`` with the files that use it."""
    found: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _ctx in extract_from_dir(
        str(folder), METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(str(Path(folder.name) / filename))
    return found


def catalogue_file(lang: str, domain: str) -> Path:
    return i18n.TRANSLATIONS / lang / "LC_MESSAGES" / f"{domain}.po"


def update(only: str | None = None) -> None:
    for domain, folder in domains().items():
        if only is not None and domain != only:
            continue
        strings = used_strings(folder)
        for lang in i18n.LANGUAGES:
            path = catalogue_file(lang, domain)
            old = read_po(path.open("rb"), locale=lang) if path.exists() else Catalog(locale=lang)
            new = Catalog(locale=lang, project="safeharbor", fuzzy=False)
            for msgid, files in sorted(strings.items()):
                kept = old.get(msgid)
                new.add(
                    msgid,
                    kept.string if kept is not None else "",
                    locations=[(f, 0) for f in sorted(set(files))],
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                write_po(fh, new, width=100, omit_header=False, include_lineno=False)


def untranslated(lang: str = "zh_CN") -> list[tuple[str, str]]:
    """(domain, msgid) of every string in use that no catalogue ``lang``'s pages of that
    domain read has a translation for (a translation may equal the English: "SHA-256")."""
    missing = []
    for domain, folder in domains().items():
        done: set[str] = set()
        for path in i18n.catalogue_paths(lang, domain):
            done |= {str(m.id) for m in i18n.read_catalogue(lang, path) if m.id and m.string}
        for msgid in used_strings(folder):
            if msgid not in done and any(ch.isalpha() for ch in msgid):
                missing.append((domain, msgid))
    return missing


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update(argv[1] if len(argv) > 1 else None)  # update [DOMAIN]: one catalogue only
        return 0
    missing = untranslated()
    for domain, msgid in missing:
        print(f"{domain}: {msgid}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
