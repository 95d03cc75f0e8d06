"""Every portal's words are in the catalogues, in Chinese; every template renders in both
languages; every form that changes something carries the CSRF token."""

from __future__ import annotations

import re

import pytest
from jinja2 import Environment

from safeharbor import i18n
from safeharbor.web import catalogues, templating


def test_every_string_a_portal_shows_has_a_chinese_translation() -> None:
    missing = catalogues.untranslated("zh_CN")
    assert missing == [], "untranslated (run python -m safeharbor.web.catalogues): " + "; ".join(
        f"{d}: {m}" for d, m in missing[:20]
    )


def test_the_catalogue_tool_finds_template_and_page_strings() -> None:
    # the tool must see strings in templates ({{ _("...") }}) and in Python (page._, N_):
    # a tool that found nothing would let the test above pass on an untranslated portal
    web = catalogues.used_strings(catalogues.domains()["web"])
    assert "Skip to the content" in web  # base.html
    assert "You are signed out." in web  # routes.py, page._()
    assert "suspended" in web  # words.py, N_()


def _templates() -> list[str]:
    names = []
    for folder in templating.template_dirs():
        names += [str(p.relative_to(folder)) for p in folder.rglob("*.html")]
    return sorted(names)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_template_compiles_in_both_languages(lang: str) -> None:
    env: Environment = templating.environment(lang)
    for name in _templates():
        env.get_template(name)  # raises on a syntax error


_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def test_every_post_form_carries_the_csrf_token() -> None:
    offenders = []
    for folder in templating.template_dirs():
        for path in folder.rglob("*.html"):
            for attrs, body in _FORM.findall(path.read_text(encoding="utf-8")):
                if re.search(r"method\s*=\s*[\"']?post", attrs, re.I) and not (
                    "csrf()" in body or "csrf_token" in body
                ):
                    offenders.append(str(path.relative_to(folder)))
    assert offenders == []


def test_no_template_has_an_inline_script() -> None:
    # the Content-Security-Policy forbids them: they would silently not run
    for folder in templating.template_dirs():
        for path in folder.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
            assert not re.search(r"\son[a-z]+\s*=", text), path  # onclick= and the like
