"""Jinja2 templates for the portals: one environment per language, with gettext installed
from the catalogues (``{% trans %}`` and ``_()`` in templates), autoescaping on, and the
filters that put dates in the viewer's time zone.

Templates live beside their portal (``safeharbor/portals/<name>/templates/<name>/``); the
shared layout and macros in ``safeharbor/web/templates``.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from safeharbor import i18n
from safeharbor.clock import as_utc

WEB = Path(__file__).parent
PORTALS = WEB.parent / "portals"


def template_dirs() -> list[Path]:
    return [WEB / "templates", *sorted(p for p in PORTALS.glob("*/templates") if p.is_dir())]


def domain_of(template: str) -> str | None:
    """The catalogue a template's words are looked up in first: its portal's."""
    head = template.split("/", 1)[0]
    return head if "/" in template and (PORTALS / head).is_dir() else None


@cache
def environment(lang: str, domain: str | None = None) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs()]),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # newstyle: ``_("%(n)s files", n=3)`` formats after translating and escapes the values
    env.install_gettext_translations(i18n.translations(lang, domain), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    env.globals["html_lang"] = "zh-CN" if lang == "zh_CN" else lang
    return env


def when(dt: datetime | None, lang: str, tz: str) -> Markup:
    """A moment as a ``<time>`` element: machine-readable UTC, shown in the viewer's zone."""
    if dt is None:
        return Markup("&ndash;")
    dt = as_utc(dt)
    return Markup('<time datetime="{}">{}</time>').format(
        dt.isoformat(), i18n.format_datetime(dt, lang, tz)
    )


def render(lang: str, name: str, context: dict[str, Any]) -> str:
    return environment(lang, domain_of(name)).get_template(name).render(context)


def text(value: object) -> Markup:
    return escape(str(value))
