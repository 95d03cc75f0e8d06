"""The comparison as one self-contained HTML page: the reference and the upload side by
side, each matched passage highlighted in both and numbered, with a table that links
each pair. Everything taken from the files is escaped; the page loads nothing."""

from __future__ import annotations

import html
from collections.abc import Iterable

from safeharbor.compare.service import Comparison, Passage, Side

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1b1b}
h1{font-size:1.3rem}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #bbb;padding:.25rem .5rem;text-align:left}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
pre{white-space:pre-wrap;word-break:break-word;font-size:.85rem;background:#fafafa;
border:1px solid #ddd;padding:.5rem;max-height:80vh;overflow:auto}
mark{background:#ffe08a;color:#000}mark:target{outline:3px solid #b00020}
.n{font-size:.7rem;vertical-align:super;color:#7a4d00;font-weight:bold}
.lines mark{display:block}
"""


def render(c: Comparison, *, title: str = "Comparison / 比对") -> str:
    """The page for ``c``."""
    out = [
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body><main>",
        f"<h1>{html.escape(title)}</h1>",
        "<table><tr><th>Reference / 参考作品</th><th>Upload / 上传内容</th>",
        "<th>Score / 得分</th></tr>",
        f"<tr><td>{_e(c.reference.name)} ({_e(c.reference.modality)})</td>",
        f"<td>{_e(c.upload.name)} ({_e(c.upload.modality)})</td>",
        f"<td>{c.score:.2f}</td></tr></table>",
    ]
    if c.matches:
        out.append("<table><tr><th>Signal / 信号</th><th>Score</th><th>Upload span</th>")
        out.append("<th>Reference span</th></tr>")
        for m in c.matches:
            q = _span(m.query_span.as_list(), m.query_span.unit) if m.query_span else "-"
            r = (
                _span(m.reference_span.as_list(), m.reference_span.unit)
                if m.reference_span
                else "-"
            )
            out.append(
                f"<tr><td>{_e(m.signal)}</td><td>{m.score:.2f}</td><td>{q}</td><td>{r}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>No match found / 未发现匹配。</p>")
    if c.passages:
        out.append("<h2>Passages / 匹配段落</h2><table><tr><th>#</th><th>Signal</th>")
        out.append("<th>Upload / 上传</th><th>Reference / 参考</th><th>Weight</th></tr>")
        for i, p in enumerate(c.passages, 1):
            out.append(
                f"<tr><td>{i}</td><td>{_e(p.signal)}</td>"
                f'<td><a href="#u{i}">{_e(p.query_file)} {_span(list(p.query), p.unit)}</a></td>'
                f'<td><a href="#r{i}">{_e(p.reference_file)} {_span(list(p.reference), p.unit)}</a>'
                f"</td><td>{p.weight:g}</td></tr>"
            )
        out.append("</table>")
    notes = c.reference.notes + c.upload.notes
    if notes:
        out.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    if c.reference.texts or c.upload.texts:
        out.append('<div class="cols">')
        out.append(passage_column(c.reference, c.passages, "r", "Reference / 参考作品"))
        out.append(passage_column(c.upload, c.passages, "u", "Upload / 上传内容"))
        out.append("</div>")
    out.append("</main></body></html>")
    return "".join(out)


def _e(s: object) -> str:
    return html.escape(str(s))


def _span(v: list[float], unit: str) -> str:
    if unit == "line":
        return f"lines {int(v[0])}-{int(v[1])}"
    if unit == "char":
        return f"chars {int(v[0])}-{int(v[1])}"
    return f"{v[0]:.1f}-{v[1]:.1f} s"


def passage_column(side: Side, passages: list[Passage], tag: str, heading: str) -> str:
    """One side's text with its passages marked, as HTML (the text escaped; ``heading`` must
    be escaped by the caller): the CLI's report and the review console's comparison."""
    parts = [f"<section><h2>{heading}</h2>"]
    files = list(side.texts)
    for name in files:
        mine = [
            (i, p)
            for i, p in enumerate(passages, 1)
            if p.unit in ("char", "line") and _in_file(_file_of(p, tag), name, len(files))
        ]
        if name:
            parts.append(f"<h3>{_e(name)}</h3>")
        text = side.texts[name]
        if any(p.unit == "line" for _, p in mine):
            parts.append(_lines(text, [(i, _range(p, tag)) for i, p in mine], tag))
        else:
            parts.append(_chars(text, [(i, _range(p, tag)) for i, p in mine], tag))
    parts.append("</section>")
    return "".join(parts)


def _in_file(passage_file: str, name: str, n_files: int) -> bool:
    # a signal that names no file (prose) points into the one text there is
    return passage_file == name or (not passage_file and n_files == 1)


def _file_of(p: Passage, tag: str) -> str:
    return p.reference_file if tag == "r" else p.query_file


def _range(p: Passage, tag: str) -> tuple[float, float]:
    return p.reference if tag == "r" else p.query


def _chars(text: str, marks: Iterable[tuple[int, tuple[float, float]]], tag: str) -> str:
    """``text`` with character ranges marked (overlaps: the earlier passage keeps them)."""
    spans = sorted((int(a), int(b), i) for i, (a, b) in marks)
    out, at = ["<pre>"], 0
    for a, b, i in spans:
        a, b = max(a, at), min(b, len(text))
        if b <= a:
            continue
        out.append(html.escape(text[at:a]))
        out.append(f'<mark id="{tag}{i}"><span class="n">{i}</span>{html.escape(text[a:b])}</mark>')
        at = b
    out.append(html.escape(text[at:]) + "</pre>")
    return "".join(out)


def _lines(text: str, marks: Iterable[tuple[int, tuple[float, float]]], tag: str) -> str:
    """``text`` line by line (numbered from 1), the lines of each passage marked."""
    owner: dict[int, int] = {}
    for k, (a, b) in marks:
        for ln in range(int(a), int(b) + 1):
            owner.setdefault(ln, k)
    out: list[str] = ['<pre class="lines">']
    open_: int | None = None
    seen: set[int] = set()
    for ln, line in enumerate(text.splitlines(), 1):
        i = owner.get(ln)
        if i != open_:
            if open_ is not None:
                out.append("</mark>")
            if i is not None:
                # the first piece of a passage is the link target; a passage split by
                # another's lines continues unnamed
                out.append(f'<mark id="{tag}{i}">' if i not in seen else "<mark>")
                seen.add(i)
            open_ = i
        out.append(f"{ln:5d}  {html.escape(line)}\n")
    if open_ is not None:
        out.append("</mark>")
    out.append("</pre>")
    return "".join(out)
