"""`safeharbor evidence export` and `safeharbor evidence verify` (on ``evidence_app``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from safeharbor.cli_common import JsonOpt, _emit, _fail, _operator, _run, out
from safeharbor.evidence.cli import evidence_app
from safeharbor.evidence.verify_package import verify_package
from safeharbor.platform import Services


@evidence_app.command("export")
def export(
    out_file: Annotated[Path, typer.Option("--out", help="The ZIP to write.")],
    notice: Annotated[int | None, typer.Option(help="A notice's case.")] = None,
    work: Annotated[int | None, typer.Option(help="A work's case.")] = None,
    user: Annotated[str | None, typer.Option(help="An uploader's case.")] = None,
    for_name: Annotated[
        str | None,
        typer.Option("--for", help="The receiver: what they are entitled to is included."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write an evidence package: records, proofs, hashes (content and uploader records
    where the receiver is entitled), signed."""

    def run(svc: Services) -> dict[str, Any]:
        receiver = svc.accounts.get(for_name) if for_name else None
        res = svc.evidence.export(
            out_file,
            notice_id=notice,
            work_id=work,
            user=user,
            receiver=receiver,
            actor=_operator(svc),
        )
        return {
            "path": str(res.path),
            "records": res.records,
            "withheld": res.withheld,
            "content_files": res.content_files,
            "bytes": res.size,
            "tree_size": res.tree_size,
            "personal_data": res.entitlement.personal_data,
            "why": res.entitlement.why,
        }

    view = _run(run)
    if as_json:
        _emit(view)
    else:
        out.print(
            f"{view['path']}: {view['records']} records ({view['withheld']} withheld), "
            f"{view['content_files']} content files, {view['bytes']} bytes; {view['why']}"
        )


@evidence_app.command("verify")
def verify(
    package: Path,
    key: Annotated[Path, typer.Option(help="The platform's public key (PEM).")],
    published: Annotated[
        Path | None, typer.Option(help="Published tree heads to hold the package to.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a package offline; exit 0 only when every part of it verifies."""
    try:
        pem = key.read_bytes()
    except OSError as exc:
        _fail(f"cannot read the key: {exc}")
        return
    result = verify_package(package, pem, published=published)
    if as_json:
        _emit(result.view())
    else:
        for c in result.checks:
            out.print(f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}")
    if not result.ok:
        raise typer.Exit(1)
