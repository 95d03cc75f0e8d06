"""The ``safeharbor`` command. Thin: it parses, calls services, prints.

Whoever can run this command can read the data folder, so the CLI acts as the platform's
operator (the ``admin`` account made at ``init``) unless a command names another user.
Exit status is 0 on success, non-zero with a one-line reason on standard error on failure;
``--json`` output goes to standard output and progress bars only to a terminal's stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from safeharbor.accounts.models import User
from safeharbor.accounts.service import user_view
from safeharbor.audit.service import history, record_view
from safeharbor.blacklists import cli as blacklists_cli
from safeharbor.cli_common import (
    OPERATOR,
    JsonOpt,
    _emit,
    _expand,
    _fail,
    _operator,
    _parse_date,
    _platform,
    _progress,
    _run,
    _state,
    ensure_operator,
    err,
    out,
)
from safeharbor.disclosure import cli as disclosure_cli
from safeharbor.enforcement import cli as enforcement_cli
from safeharbor.errors import InvalidInput, SafeharborError
from safeharbor.evidence import cli as evidence_cli
from safeharbor.evidence import package_cli  # noqa: F401  (its commands join evidence_app)
from safeharbor.naming import display_name
from safeharbor.platform import Platform, Services
from safeharbor.registry.service import ProofInput, work_view
from safeharbor.reports import cli as reports_cli
from safeharbor.screening.service import UPLOAD_WARNING, content_view
from safeharbor.sharing import cli as sharing_cli
from safeharbor.signals.base import SignalError

app = typer.Typer(
    help="safeharbor: copyright protection for online platforms.", no_args_is_help=True
)
users_app = typer.Typer(help="Accounts and API keys.", no_args_is_help=True)
works_app = typer.Typer(
    help="The copyright database: works and their review.", no_args_is_help=True
)
licences_app = typer.Typer(help="Licences granted by rights holders.", no_args_is_help=True)
priority_app = typer.Typer(
    help="Priority lists: authority notices, release windows.", no_args_is_help=True
)
content_app = typer.Typer(
    help="Uploaded content: state, history, promotion, review.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
app.add_typer(works_app, name="works")
app.add_typer(licences_app, name="licences")
app.add_typer(priority_app, name="priority")
app.add_typer(content_app, name="content")
notices_app = typer.Typer(help="Notices, counter-notices and their cases.", no_args_is_help=True)
scheduler_app = typer.Typer(help="The clocks of every case.", no_args_is_help=True)
profiles_app = typer.Typer(help="Jurisdiction profiles.", no_args_is_help=True)
app.add_typer(notices_app, name="notices")
app.add_typer(scheduler_app, name="scheduler")
app.add_typer(profiles_app, name="profiles")
# After an infringement (each domain keeps its own commands beside its services)
app.add_typer(evidence_cli.ledger_app, name="ledger")
app.add_typer(evidence_cli.evidence_app, name="evidence")
app.add_typer(
    disclosure_cli.app, name="disclosure", help="Disclosure requests: ask, review, grant."
)
app.add_typer(enforcement_cli.app, name="strikes", help="Strikes and repeat-infringer status.")
app.add_typer(blacklists_cli.app, name="blacklist", help="Blacklisted sites and apps; link checks.")
app.add_typer(sharing_cli.app, name="share", help="Hash lists and blacklists shared with partners.")
app.command("report")(reports_cli.report)


@app.callback()
def _root(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", envvar="SAFEHARBOR_HOME", help="Data folder (created on first use)."
        ),
    ] = None,
) -> None:
    _state["home"] = home


# -- service -------------------------------------------------------------------------------


@app.command()
def init() -> None:
    """Create the data folder and database, and the operator account with its API key."""
    from safeharbor.evidence import keys

    platform = Platform.open(_state.get("home"))
    with platform.unit() as svc:
        _, key = ensure_operator(svc)
        signing_key = keys.load_or_create(platform.settings)  # signs tree heads from now on
        svc.ledger.integrate()
    out.print(f"safeharbor data folder: {platform.settings.home}")
    out.print(
        f"ledger signing key: {keys.key_path(platform.settings)} "
        f"(key id {keys.key_id(signing_key)})"
    )
    if key:
        out.print(f"operator API key (also in {platform.settings.home / 'admin-api-key'}): {key}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the service: REST API (docs at /docs) and web pages."""
    import uvicorn

    from safeharbor.app import create_app

    platform = _platform()
    key_file = platform.settings.home / "admin-api-key"
    h = platform.settings.host = host or platform.settings.host
    p = platform.settings.port = port or platform.settings.port
    err.print(f"safeharbor on http://{h}:{p}  (API docs: http://{h}:{p}/docs)")
    with platform.unit() as svc:
        ensure_operator(svc)  # an install made before the portals gets its first password
    if key_file.exists():
        err.print(f"operator API key: {key_file}")
    password_file = platform.settings.home / "admin-password"
    if password_file.exists():
        err.print(
            f"portals: http://{h}:{p}/login as '{OPERATOR}' with the password in "
            f"{password_file} (change it at /account)"
        )
    from safeharbor.notices.scheduler import Scheduler

    scheduler = Scheduler(platform)
    scheduler.start()
    intake = None
    if platform.settings.intake_port is not None:
        from safeharbor.notices.email_intake import start_intake

        intake = start_intake(platform, h, platform.settings.intake_port)
        err.print(
            f"notices by mail: {platform.settings.intake_address} via smtp://{h}:{intake.port}"
        )
    try:
        uvicorn.run(create_app(platform), host=h, port=p, log_level="info")
    finally:
        scheduler.stop()
        if intake is not None:
            intake.stop()


# -- users -----------------------------------------------------------------------------------


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="holder, uploader, reviewer, admin or authority")],
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    real_name: Annotated[str | None, typer.Option("--real-name")] = None,
    key: Annotated[bool, typer.Option("--key", help="Also create an API key.")] = False,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a password, to sign in to the portals.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create an account."""
    secret = _ask_password(name) if password else None

    def do(svc: Services) -> dict[str, Any]:
        op = _operator(svc)
        user = svc.accounts.create_user(
            name, role, email=email, phone=phone, real_name=real_name, actor=op, password=secret
        )
        view = user_view(user, op)
        if key:
            view["api_key"] = svc.accounts.create_api_key(user)
        return view

    view = _run(do)
    if as_json:
        _emit(view)
    else:
        out.print(f"user {view['id']} {view['name']} ({view['role']})")
        if key:
            out.print(f"API key (shown once): {view['api_key']}")


def _ask_password(name: str) -> str:
    """A new password, typed twice without echo (or SAFEHARBOR_PASSWORD, for scripts),
    held to the portals' rules."""
    import os

    from safeharbor.web.signin import check_new_password

    secret = os.environ.get("SAFEHARBOR_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        return check_new_password(secret, name)
    except SafeharborError as exc:
        _fail(exc.message)
        raise


@users_app.command("passwd")
def users_passwd(name: str) -> None:
    """Set a user's password for the portals (their browser sessions end)."""
    from safeharbor.web.sessions import SessionService
    from safeharbor.web.signin import hash_password

    secret = _ask_password(name)

    def do(svc: Services) -> None:
        user = svc.accounts.get(name)
        op = _operator(svc)
        user.password_hash = hash_password(secret)
        SessionService(svc.session, svc.platform.clock).end_all(user)
        from safeharbor.audit import service as audit

        audit.append(
            svc.session,
            at=svc.platform.clock.now(),
            action="user.password",
            subject_type="user",
            subject_id=user.id,
            actor_id=op.id,
            payload={},
        )

    _run(do)
    out.print(f"password set for {name}")


@users_app.command("key")
def users_key(name: str, label: Annotated[str | None, typer.Option()] = None) -> None:
    """Create an API key for a user (shown once)."""
    key = _run(lambda svc: svc.accounts.create_api_key(svc.accounts.get(name), label))
    out.print(key)


@users_app.command("revoke-key")
def users_revoke_key(name: str, prefix: str) -> None:
    """Revoke a user's API key, named by its first characters."""
    n = _run(
        lambda svc: svc.accounts.revoke_api_key(svc.accounts.get(name), prefix, _operator(svc))
    )
    out.print(f"{n} key(s) revoked")


@users_app.command("suspend")
def users_suspend(name: str) -> None:
    """Suspend an account: it can no longer sign in, upload or use its keys."""
    _run(lambda svc: svc.accounts.set_status(svc.accounts.get(name), "suspended", _operator(svc)))
    out.print(f"{name} suspended")


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """List accounts."""
    from sqlalchemy import select

    rows = _run(
        lambda svc: [
            svc.accounts.view_for(u, _operator(svc))
            for u in svc.session.scalars(select(User).order_by(User.id))
        ]
    )
    if as_json:
        for r in rows:
            _emit(r)
        return
    table = Table("id", "name", "role", "status", "email")
    for r in rows:
        table.add_row(str(r["id"]), r["name"], r["role"], r["status"], r.get("email") or "")
    out.print(table)


# -- works -----------------------------------------------------------------------------------


@works_app.command("add")
def works_add(
    paths: Annotated[list[Path], typer.Argument(help="Files, or folders to register whole.")],
    holder: Annotated[str, typer.Option(help="The rights holder (created if new).")],
    title: Annotated[str | None, typer.Option(help="Title (default: the file's name).")] = None,
    work_type: Annotated[
        str | None, typer.Option("--type", help="film, tv, music, image, literary, software, other")
    ] = None,
    certificate: Annotated[
        str | None, typer.Option(help="Copyright registration certificate number.")
    ] = None,
    statement: Annotated[str | None, typer.Option(help="Ownership statement.")] = None,
    proof: Annotated[
        list[Path] | None, typer.Option(help="Ownership document (repeatable).")
    ] = None,
    approve: Annotated[bool, typer.Option(help="Approve at once (administrator).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Register files as reference works of a rights holder."""
    files = list(_expand(paths))
    if not files:
        _fail("no files to register")
    platform = _platform()
    failures = 0
    with _progress() as progress:
        task = progress.add_task("registering", total=len(files))
        for path in files:
            try:
                with platform.unit() as svc:
                    view = _register_one(
                        svc, path, holder, title, work_type, certificate, statement, proof, approve
                    )
            except SafeharborError as exc:
                failures += 1
                err.print(f"error: {display_name(path)}: {exc.message}", markup=False)
                if as_json:
                    _emit({"path": display_name(path), "error": exc.message})
            else:
                if as_json:
                    _emit(view)
                else:
                    out.print(
                        f"work {view['id']} '{view['title']}' {view['status']}"
                        + (
                            f" (conflicts with {view['conflicts_with']})"
                            if view["conflicts_with"]
                            else ""
                        ),
                        markup=False,
                    )
            progress.advance(task)
    if failures:
        raise typer.Exit(1)


def _register_one(
    svc: Services,
    path: Path,
    holder_name: str,
    title: str | None,
    work_type: str | None,
    certificate: str | None,
    statement: str | None,
    proof: list[Path] | None,
    approve: bool,
) -> dict[str, Any]:
    op = _operator(svc)
    holder = svc.accounts.get_or_create(holder_name, "holder", actor=op)
    proofs = [ProofInput("document", p) for p in proof or []]
    if statement:
        proofs.append(ProofInput("statement", note=statement))
    if certificate:
        proofs.append(ProofInput("certificate", note=certificate))
    reg = svc.registry.register(
        holder,
        path,
        title=title,
        work_type=work_type,
        certificate_number=certificate,
        statement=statement,
        proofs=proofs,
        actor=op,
    )
    if approve and not reg.conflicts:
        svc.registry.review(reg.work.id, "approve", op, note="approved at registration")
    view = work_view(reg.work)
    view["path"] = display_name(path)
    view["conflicts_with"] = [c.other_work_id for c in reg.conflicts]
    return view


@works_app.command("list")
def works_list(
    status: Annotated[str | None, typer.Option(help="Only works in this status.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List registered works."""
    rows = _run(lambda svc: [work_view(w) for w in svc.registry.list_works(_operator(svc), status)])
    if as_json:
        for r in rows:
            _emit(r)
        return
    table = Table("id", "title", "type", "holder", "status")
    for r in rows:
        table.add_row(str(r["id"]), r["title"], r["work_type"], str(r["holder_id"]), r["status"])
    out.print(table)


@works_app.command("show")
def works_show(work_id: int, as_json: JsonOpt = False) -> None:
    """A work, its proofs, licences and history."""

    def do(svc: Services) -> dict[str, Any]:
        view = work_view(svc.registry.get(work_id))
        view["licences"] = [
            {
                "id": lic.id,
                "licensee_id": lic.licensee_id,
                "starts_at": lic.starts_at.isoformat(),
                "ends_at": lic.ends_at.isoformat() if lic.ends_at else None,
                "revoked": lic.revoked_at is not None,
            }
            for lic in svc.registry.licences(work_id)
        ]
        view["history"] = [record_view(r) for r in history(svc.session, "work", work_id)]
        return view

    view = _run(do)
    if as_json:
        _emit(view)
        return
    out.print(f"work {view['id']}: {view['title']} [{view['status']}] ({view['work_type']})")
    for h in view["history"]:
        out.print(f"  {h['at']}  {h['action']}", markup=False)


@works_app.command("review")
def works_review(
    work_id: int,
    action: Annotated[str, typer.Argument(help="approve, reject or request-info")],
    note: Annotated[str | None, typer.Option(help="Reason, or what is needed.")] = None,
    reviewer: Annotated[
        str | None, typer.Option(help="Reviewer account (default: operator).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide on a work's ownership claim."""
    view = _run(
        lambda svc: work_view(
            svc.registry.review(work_id, action.replace("-", "_"), _operator(svc, reviewer), note)
        )
    )
    if as_json:
        _emit(view)
    else:
        out.print(f"work {view['id']} is now {view['status']}")


@works_app.command("conflicts")
def works_conflicts(as_json: JsonOpt = False) -> None:
    """Open ownership conflicts: two holders claiming the same content."""
    rows = _run(
        lambda svc: [
            {
                "id": c.id,
                "work_id": c.work_id,
                "other_work_id": c.other_work_id,
                "signal": c.signal,
                "score": c.score,
                "created_at": c.created_at.isoformat(),
            }
            for c in svc.registry.conflicts()
        ]
    )
    if as_json:
        for r in rows:
            _emit(r)
        return
    table = Table("id", "work", "other work", "signal", "score")
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["work_id"]),
            str(r["other_work_id"]),
            str(r["signal"]),
            f"{r['score']:.2f}",
        )
    out.print(table)


# -- licences and priority lists -------------------------------------------------------------


@licences_app.command("grant")
def licences_grant(
    work_id: int,
    to: Annotated[str | None, typer.Option("--to", help="Licensee (default: everyone).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="Start date (default: now).")] = None,
    until: Annotated[str | None, typer.Option(help="End date (default: open-ended).")] = None,
    terms: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Grant a licence for a work."""

    def do(svc: Services) -> dict[str, Any]:
        work = svc.registry.get(work_id)
        holder = svc.accounts.get(work.holder_id)
        licensee = svc.accounts.get(to) if to else None
        lic = svc.registry.grant_licence(
            work_id,
            holder,
            licensee=licensee,
            starts_at=_parse_date(start),
            ends_at=_parse_date(until),
            terms=terms,
        )
        return {"id": lic.id, "work_id": work_id, "licensee": to or "*"}

    view = _run(do)
    if as_json:
        _emit(view)
    else:
        out.print(f"licence {view['id']} for work {work_id} to {view['licensee']}")


@licences_app.command("revoke")
def licences_revoke(licence_id: int) -> None:
    """Revoke a licence."""
    _run(lambda svc: svc.registry.revoke_licence(licence_id, _operator(svc)))
    out.print(f"licence {licence_id} revoked")


@priority_app.command("add")
def priority_add(
    work_id: int,
    list_name: Annotated[str, typer.Option("--list", help="authority or release_window")],
    start: Annotated[str | None, typer.Option("--from", help="Window start.")] = None,
    until: Annotated[str | None, typer.Option(help="Window end.")] = None,
    source: Annotated[
        str | None, typer.Option(help="The authority notice, e.g. its number.")
    ] = None,
    note: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Put a work on a priority list."""

    def do(svc: Services) -> dict[str, Any]:
        e = svc.registry.add_priority(
            work_id,
            list_name,
            _operator(svc),
            starts_at=_parse_date(start),
            ends_at=_parse_date(until),
            source=source,
            note=note,
        )
        return {"id": e.id, "work_id": work_id, "list": e.list_name}

    view = _run(do)
    if as_json:
        _emit(view)
    else:
        out.print(f"priority entry {view['id']}: work {work_id} on {view['list']}")


@priority_app.command("list")
def priority_list(as_json: JsonOpt = False) -> None:
    """Priority entries in force."""
    rows: list[dict[str, Any]] = _run(
        lambda svc: [
            {
                "id": e.id,
                "work_id": e.work_id,
                "list": e.list_name,
                "source": e.source,
                "starts_at": e.starts_at.isoformat(),
                "ends_at": e.ends_at.isoformat() if e.ends_at else None,
            }
            for e in svc.registry.priority_entries()
        ]
    )
    if as_json:
        for r in rows:
            _emit(r)
        return
    table = Table("id", "work", "list", "source", "from", "until")
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["work_id"]),
            r["list"],
            r["source"] or "",
            r["starts_at"],
            r["ends_at"] or "",
        )
    out.print(table)


@priority_app.command("remove")
def priority_remove(entry_id: int) -> None:
    """Take an entry off its priority list."""
    _run(lambda svc: svc.registry.remove_priority(entry_id, _operator(svc)))
    out.print(f"priority entry {entry_id} removed")


# -- screening -------------------------------------------------------------------------------


@app.command()
def scan(paths: list[Path], as_json: JsonOpt = False) -> None:
    """Screen files exactly as uploads would be screened, without storing them."""
    files = list(_expand(paths))
    platform = _platform()
    failures = 0
    with _progress() as progress:
        task = progress.add_task("screening", total=len(files))
        for path in files:
            try:
                with platform.unit() as svc:
                    res = svc.screening.screen_file(path, uploader=None)
                view = res.view()
                row = {
                    "path": display_name(path),
                    "sha256": view["sha256"],
                    "modality": view["modality"],
                    "decision": view["decision"],
                    "reason": view["reason"],
                    "matches": view["matches"],
                    "risk_score": view["risk_score"],
                    "notes": view["notes"],
                    "elapsed_ms": view["elapsed_ms"],
                }
            except (SafeharborError, OSError) as exc:
                failures += 1
                message = exc.message if isinstance(exc, SafeharborError) else str(exc)
                row = {"path": display_name(path), "decision": "error", "error": message}
                err.print(f"error: {display_name(path)}: {message}", markup=False)
            if as_json:
                _emit(row)
            elif row["decision"] != "error":
                best = row["matches"][0] if row["matches"] else None
                desc = (
                    f" -> work {best['work_id']} '{best['title']}'"
                    f" ({best['score']:.2f}, {best['signal']})"
                    if best
                    else ""
                )
                out.print(f"{row['path']}: {row['decision']}{desc}")
            progress.advance(task)
    if failures:
        raise typer.Exit(1)


@app.command()
def compare(
    reference: Annotated[Path, typer.Argument(help="The registered work (or its file).")],
    upload_file: Annotated[Path, typer.Argument(metavar="UPLOAD", help="The upload.")],
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write the side-by-side report here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare an upload with a reference: matched passages (text, code), spans (audio,
    video) and scores, side by side for a reviewer."""
    from safeharbor.compare.report_html import render
    from safeharbor.compare.service import compare_files

    for path in (reference, upload_file):
        if not path.is_file():
            _fail(f"{display_name(path)}: no such file")
    try:
        with _progress() as progress:
            progress.add_task("comparing", total=None)
            result = compare_files(reference, upload_file)
    except SignalError as exc:
        _fail(f"could not compare: {exc}")
    if html_out is not None:
        html_out.write_text(
            render(result, title=f"{reference.name} / {upload_file.name}"), encoding="utf-8"
        )
    if as_json:
        _emit(result.view())
        return
    out.print(f"score {result.score:.2f}; {len(result.passages)} passage(s)", markup=False)
    for i, ps in enumerate(result.passages, 1):
        out.print(
            f"  {i}. {ps.signal}: upload {_where(ps.query_file, ps.query, ps.unit)}"
            f" ~ reference {_where(ps.reference_file, ps.reference, ps.unit)}",
            markup=False,
        )
    if html_out is not None:
        out.print(f"report written to {html_out}", markup=False)


def _where(file: str, span: tuple[float, float], unit: str) -> str:
    place = f"{span[0]:g}-{span[1]:g} {'lines' if unit == 'line' else unit}"
    return f"{file}:{place}" if file else place


@app.command()
def upload(
    path: Path,
    user: Annotated[str, typer.Option(help="The uploader's account.")],
    ip: Annotated[str | None, typer.Option(help="The uploader's IP address.")] = None,
    title: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Upload a file as a user: stored, screened and recorded."""
    if not path.is_file():
        _fail(f"{display_name(path)}: no such file")

    def do(svc: Services) -> dict[str, Any]:
        uploader = svc.accounts.get(user)
        if uploader.terms_version != svc.platform.settings.terms_version:
            # The operator uploads on the user's behalf: the warning is shown here and the
            # acceptance recorded, as the web form does on the first upload.
            err.print(f"notice: {UPLOAD_WARNING}", markup=False)
            svc.accounts.accept_terms(uploader, svc.platform.settings.terms_version, ip)
        content, res = svc.screening.upload(uploader, path, title=title, ip=ip, client="cli")
        view = content_view(content, base_url=svc.platform.settings.base_url)
        view["matches"] = res.view()["matches"]
        view["notes"] = res.notes
        return view

    view = _run(do)
    if as_json:
        _emit(
            {
                k: view[k]
                for k in (
                    "content_id",
                    "url",
                    "sha256",
                    "modality",
                    "decision",
                    "state",
                    "reason",
                    "next_step",
                    "matches",
                    "risk_score",
                    "notes",
                )
            }
        )
    else:
        out.print(f"{view['content_id']}: {view['decision']} ({view['state']})", markup=False)
        out.print(view["reason"], markup=False)
        if view["next_step"]:
            out.print(f"next: {view['next_step']}", markup=False)


@content_app.command("show")
def content_show(content_id: str, as_json: JsonOpt = False) -> None:
    """A content's state and history."""

    def do(svc: Services) -> dict[str, Any]:
        c = svc.screening.get(content_id)
        view = content_view(c)
        view["history"] = [record_view(r) for r in history(svc.session, "content", c.public_id)]
        return view

    view = _run(do)
    if as_json:
        _emit(view)
        return
    out.print(f"{view['content_id']} {view['title']}: {view['state']}", markup=False)
    out.print(view["reason"], markup=False)
    for h in view["history"]:
        out.print(f"  {h['at']}  {h['action']}  {h['payload'].get('decision', '')}", markup=False)


@content_app.command("promote")
def content_promote(
    content_id: str,
    kind: Annotated[str, typer.Option(help="feature, recommend, rank, chart, ads or paid")],
    as_json: JsonOpt = False,
) -> None:
    """Re-screen strictly before featuring, ranking or monetising an upload."""

    def do(svc: Services) -> dict[str, Any]:
        c, res, promoted = svc.screening.promote(content_id, kind, _operator(svc))
        return {**content_view(c), "promoted": promoted, "screen": res.view()}

    view = _run(do)
    if as_json:
        _emit(view)
    else:
        verdict = "promoted" if view["promoted"] else f"not promoted: {view['screen']['decision']}"
        out.print(f"{view['content_id']}: {verdict}. {view['screen']['reason']}", markup=False)


@content_app.command("review")
def content_review(
    content_id: str,
    action: Annotated[str, typer.Argument(help="allow or block")],
    note: Annotated[str | None, typer.Option()] = None,
    reviewer: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Release or block a held upload."""
    c = _run(lambda svc: svc.screening.review(content_id, action, _operator(svc, reviewer), note))
    out.print(f"{c.public_id} is now {c.state}")


@app.command("queue")
def review_queue(as_json: JsonOpt = False) -> None:
    """What waits for a reviewer: works, conflicts, held uploads."""

    def do(svc: Services) -> dict[str, Any]:
        op = _operator(svc)
        return {
            "works": [
                work_view(w)
                for status in ("pending", "needs_info", "conflict")
                for w in svc.registry.list_works(op, status)
            ],
            "conflicts": [c.id for c in svc.registry.conflicts()],
            "held": [content_view(c) for c in svc.screening.review_queue()],
        }

    view = _run(do)
    if as_json:
        _emit(view)
        return
    out.print(
        f"works to review: {len(view['works'])}; conflicts: {len(view['conflicts'])};"
        f" held uploads: {len(view['held'])}"
    )
    for c in view["held"]:
        out.print(f"  {c['content_id']}  risk {c['risk_score']:.2f}  {c['reason']}", markup=False)


# -- notices ---------------------------------------------------------------------------------


def _fields(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            _fail(f"--field {pair!r}: use KEY=VALUE")
        out[key.strip()] = value
    return out


FieldOpt = Annotated[
    list[str] | None, typer.Option("--field", help="A notice field, KEY=VALUE (repeatable).")
]


@notices_app.command("file")
def notices_file(
    sender: Annotated[str, typer.Option("--from", help="The sender's account.")],
    profile: Annotated[str | None, typer.Option(help="cn, us or eu (default: settings).")] = None,
    work: Annotated[int | None, typer.Option("--work", help="The registered work.")] = None,
    title: Annotated[str | None, typer.Option(help="Title of the infringing item.")] = None,
    url: Annotated[list[str] | None, typer.Option("--url", help="Address (repeatable).")] = None,
    field: FieldOpt = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Bulk: one item per row.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """File a notice (acted on at once when valid), or a CSV of many."""
    if csv_file is not None:
        _file_csv(sender, csv_file, profile, _fields(field), as_json)
        return

    def do(svc: Services) -> dict[str, Any]:
        return svc.notices.file(
            svc.accounts.get(sender),
            _fields(field),
            urls=url or [],
            work_id=work,
            title=title,
            profile=profile,
            channel="cli",
        ).view()

    view = _run(do)
    if as_json:
        _emit(view)
        return
    out.print(f"notice {view['notice_id']}: {view['status']}")
    if view["missing"]:
        out.print("missing: " + ", ".join(view["missing"]))
    for c in view["located"]:
        out.print(f"  taken down: {c}")
    for u in view["unlocated"]:
        out.print(f"  not found: {u}")


def _file_csv(
    sender: str, path: Path, profile: str | None, common: dict[str, str], as_json: bool
) -> None:
    from safeharbor.notices import bulk

    platform = _platform()
    try:
        rows = bulk.read_rows(path.read_bytes())
        with platform.unit() as svc:
            user = svc.accounts.get(sender)
    except (SafeharborError, OSError) as exc:
        _fail(exc.message if isinstance(exc, SafeharborError) else str(exc))
        return
    counts: dict[str, int] = {}
    with _progress() as progress:
        task = progress.add_task("notices", total=len(rows))
        for res in bulk.file_rows(
            platform,
            user,
            rows,
            common=common,
            profile=profile,
            channel="csv",
            progress=lambda n: progress.advance(task, n),
        ):
            key = "error" if "error" in res else res["status"]
            counts[key] = counts.get(key, 0) + 1
            if as_json:
                _emit(res)
    if not as_json:
        out.print(", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no rows")


@notices_app.command("show")
def notices_show(notice_id: int, as_json: JsonOpt = False) -> None:
    """A case: steps, items and clocks."""
    from safeharbor.notices.service import notice_view

    view = _run(lambda svc: notice_view(svc, svc.notices.get(notice_id)))
    if as_json:
        _emit(view)
        return
    out.print(f"notice {view['notice_id']} [{view['status']}] profile {view['profile']}")
    for st in view["steps"]:
        out.print(f"  {st['at']}  {st['step']}")
    for it in view["items"]:
        out.print(f"  item {it['content_id'] or it['locator']}: {it['item_state']} ({it['state']})")
    for d in view["deadlines"]:
        out.print(f"  clock {d['clock']}: due {d['due']} [{d['status']}]")


@notices_app.command("counter")
def notices_counter(
    notice_id: int,
    user: Annotated[str, typer.Option(help="The uploader answering.")],
    field: FieldOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File a counter-notice for an uploader."""

    def do(svc: Services) -> dict[str, Any]:
        c = svc.notices.counter(notice_id, svc.accounts.get(user), _fields(field))
        return {"counter_id": c.id, "status": c.status, "missing": c.missing}

    view = _run(do)
    if as_json:
        _emit(view)
    else:
        out.print(f"counter-notice {view['counter_id']}: {view['status']}")
        if view["missing"]:
            out.print("missing: " + ", ".join(view["missing"]))


@notices_app.command("list")
def notices_list(
    status: Annotated[str | None, typer.Option()] = None, as_json: JsonOpt = False
) -> None:
    """Notices, oldest first."""
    rows = _run(
        lambda svc: [
            {
                "notice_id": n.id,
                "status": n.status,
                "profile": n.profile,
                "sender_id": n.sender_id,
                "created_at": n.created_at.isoformat(),
            }
            for n in svc.notices.list_notices(_operator(svc), status)
        ]
    )
    if as_json:
        for r in rows:
            _emit(r)
        return
    table = Table("notice", "status", "profile", "sender", "filed")
    for r in rows:
        table.add_row(
            str(r["notice_id"]),
            str(r["status"]),
            str(r["profile"]),
            str(r["sender_id"]),
            str(r["created_at"]),
        )
    out.print(table)


@notices_app.command("decide")
def notices_decide(
    notice_id: int,
    action: Annotated[str, typer.Argument(help="restore or keep")],
    note: Annotated[str, typer.Option(help="The reason, told to both sides.")],
) -> None:
    """A reviewer decides a counter-notice or complaint."""
    if action not in ("restore", "keep"):
        _fail("action must be restore or keep")
    _run(
        lambda svc: svc.notices.decide_complaint(
            notice_id, action == "restore", _operator(svc), note
        )
    )
    out.print(f"notice {notice_id}: {action}")


@scheduler_app.command("run")
def scheduler_run(
    once: Annotated[bool, typer.Option(help="One pass, then exit.")] = False,
    now: Annotated[
        str | None, typer.Option(help="Stand-in for the current time (ISO 8601).")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between passes.")] = 60.0,
) -> None:
    """Run the clocks: reminders, escalations, scheduled restorations, mail."""
    from safeharbor.notices.scheduler import Scheduler, tick

    platform = _platform()
    when = _parse_date(now)
    if once or when is not None:
        done = tick(platform, when)
        out.print(", ".join(f"{k}: {v}" for k, v in done.items()))
        return
    scheduler = Scheduler(platform, interval)
    err.print(f"scheduler running every {interval:g} s (Ctrl-C to stop)")
    scheduler.start()
    try:
        while True:
            import time

            time.sleep(3600)
    except KeyboardInterrupt:
        scheduler.stop()


@app.command("mail-intake")
def mail_intake(
    port: Annotated[int, typer.Option(help="SMTP port to listen on.")] = 2525,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Receive notices by email (an SMTP listener for the intake address)."""
    import time

    from safeharbor.notices.email_intake import start_intake

    platform = _platform()
    server = start_intake(platform, host, port)
    err.print(f"accepting notices for {platform.settings.intake_address} on {host}:{server.port}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


@profiles_app.command("show")
def profiles_show(name: str, as_json: JsonOpt = False) -> None:
    """A jurisdiction profile: required fields and clocks."""
    prof = _run(lambda svc: svc.notices.profile(name))
    view = prof.model_dump()
    if as_json:
        _emit(view)
        return
    out.print(f"{prof.name}: {prof.title}")
    out.print("notice fields: " + ", ".join(prof.notice.required))
    out.print("counter-notice fields: " + ", ".join(prof.counter.required))
    out.print(f"act within {prof.clocks.act_hours:g} h; restoration: {prof.clocks.restoration}")


def main() -> None:
    try:
        app()
    except InvalidInput as exc:  # pragma: no cover - surfaced through _run normally
        _fail(exc.message)


if __name__ == "__main__":
    main()
