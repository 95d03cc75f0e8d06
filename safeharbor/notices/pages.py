"""The public complaint channel (Reg 14, DSA 16: easy to find, electronic): a page that
says how to complain and what happens next, and a web form that files a notice.

No account is needed: the notice is filed under the account of the sender's email address
(made on first use), exactly as a notice sent by email. Everything shown is escaped.
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from safeharbor.api import ClientIP, Svc
from safeharbor.errors import SafeharborError
from safeharbor.profiles import Profile

router = APIRouter(include_in_schema=False)

LABELS = {
    "notifier_name": ("Your name (or organisation)", "权利人姓名(名称)"),
    "notifier_contact": ("How to contact you", "联系方式"),
    "notifier_address": ("Postal address", "地址"),
    "notifier_phone": ("Telephone", "电话"),
    "notifier_email": ("Email", "电子邮箱"),
    "work": ("The work infringed", "被侵权作品的名称"),
    "location": (
        "Addresses of the infringing content (one per line)",
        "侵权内容的网络地址(每行一个)",
    ),
    "title": ("Or: the title of the infringing item", "或:侵权内容的标题"),
    "evidence": ("Preliminary proof of infringement", "构成侵权的初步证明材料"),
    "explanation": ("Why the content is illegal", "说明理由"),
    "signature": ("Signature (type your full name)", "签名"),
    "good_faith": (
        "I believe in good faith the use is not authorised",
        "本人善意相信该使用未经授权",
    ),
    "accuracy": ("The notice is accurate (under penalty of perjury)", "本通知内容真实准确"),
    "authorisation": ("Agents: the holder's authorisation", "代理人:权利人授权书"),
}
_BOOLEAN = {"good_faith", "accuracy"}


def _input(name: str) -> str:
    en, zh = LABELS.get(name, (name.replace("_", " "), ""))
    label = f"{html.escape(en)} / {html.escape(zh)}" if zh else html.escape(en)
    if name in _BOOLEAN:
        return (
            f'<p><input type="checkbox" id="{name}" name="{name}" value="yes">'
            f' <label for="{name}">{label}</label></p>'
        )
    tag = (
        f'<textarea id="{name}" name="{name}" rows="3"></textarea>'
        if name in ("location", "evidence", "explanation")
        else f'<input id="{name}" name="{name}">'
    )
    return f'<p><label for="{name}">{label}</label><br>{tag}</p>'


def _page(body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        "<title>Copyright complaints / 版权投诉</title></head><body><main>"
        f"{body}</main></body></html>"
    )


def _form(prof: Profile, intake_address: str) -> str:
    # every sender gives an email address: it is how they are told what happened
    fields = [f for f in prof.notice.required if f not in ("location", "notifier_email")]
    inputs = "".join(_input(n) for n in ["location", "title", "notifier_email", *fields])
    return (
        "<h1>Copyright complaints / 版权投诉</h1>"
        f"<p>Profile: {html.escape(prof.title)}.</p>"
        "<h2>What happens next / 处理流程</h2><ol>"
        f"<li>A complete notice is acted on within {prof.clocks.act_hours:g} hours: the content "
        "is removed or blocked and the uploader is told. / 合格通知将在"
        f"{prof.clocks.act_hours:g}小时内处理。</li>"
        "<li>The uploader may answer with a counter-notice; you are told, and the law's "
        "clock decides whether the content comes back. / 上传者可提交反通知。</li>"
        "<li>An incomplete notice is kept; you are told what is missing. / "
        "不完整的通知会被保留并告知缺少的内容。</li></ol>"
        f'<p>Also by email: <a href="mailto:{html.escape(intake_address)}">'
        f'{html.escape(intake_address)}</a>, or the API (<a href="/docs">/docs</a>).</p>'
        f'<form method="post" action="/complaints"><input type="hidden" name="profile" '
        f'value="{html.escape(prof.name)}">{inputs}'
        '<p><button type="submit">File the notice / 提交通知</button></p></form>'
    )


@router.get("/complaints", response_class=HTMLResponse)
def complaint_page(svc: Svc, profile: str | None = None) -> str:
    prof = svc.notices.profile(profile)
    return _page(_form(prof, svc.platform.settings.intake_address))


@router.post("/complaints", response_class=HTMLResponse)
async def complaint_submit(
    request: Request, svc: Svc, ip: ClientIP, profile: Annotated[str | None, Form()] = None
) -> HTMLResponse:
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    fields.pop("profile", None)
    urls = fields.pop("location", "").split()
    title = fields.pop("title", "") or None
    try:
        email = fields.get("notifier_email", "")
        sender = svc.accounts.for_contact_email(email, fields.get("notifier_name"))
        res = svc.notices.file(
            sender, fields, urls=urls, title=title, profile=profile, channel="web", ip=ip
        )
    except SafeharborError as exc:
        return HTMLResponse(
            _page(
                f"<h1>Not filed / 未提交</h1><p>{html.escape(exc.message)}</p>"
                '<p><a href="/complaints">Back / 返回</a></p>'
            ),
            status_code=exc.status,
        )
    view = res.view()
    if view["missing"]:
        body = (
            f"<h1>Notice {view['notice_id']} is incomplete / 通知不完整</h1>"
            "<p>It is kept; complete it by email or the API. Missing / 缺少:</p><ul>"
            + "".join(f"<li>{html.escape(m)}</li>" for m in view["missing"])
            + "</ul>"
        )
        return HTMLResponse(_page(body), status_code=422)
    done = "".join(f"<li>{html.escape(c)}</li>" for c in view["located"])
    missed = "".join(f"<li>{html.escape(u)}</li>" for u in view["unlocated"])
    body = (
        f"<h1>Notice {view['notice_id']} received / 已收到</h1>"
        f"<p>Taken down / 已删除:</p><ul>{done or '<li>-</li>'}</ul>"
        + (
            f"<p>Not found, passed to a reviewer / 未找到,转人工:</p><ul>{missed}</ul>"
            if missed
            else ""
        )
    )
    return HTMLResponse(_page(body), status_code=201)
