"""Registry API: works with their proofs, reviews, conflicts, licences, priority lists."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel

from safeharbor.accounts.permissions import Perm, has, require
from safeharbor.api import Caller, ClientIP, Svc, saved_upload
from safeharbor.errors import Forbidden
from safeharbor.registry.models import Licence, PriorityEntry, Work
from safeharbor.registry.service import ProofInput, work_view

router = APIRouter(prefix="/api", tags=["registry"])


def _visible(work: Work, caller: Any) -> Work:
    if work.holder_id != caller.id and not has(caller, Perm.REVIEW):
        raise Forbidden("only the holder and reviewers may see a work's registration")
    return work


@router.post("/works", status_code=201)
def register_work(
    svc: Svc,
    caller: Caller,
    ip: ClientIP,
    file: Annotated[UploadFile, File(description="The work's content.")],
    title: Annotated[str | None, Form()] = None,
    work_type: Annotated[str | None, Form()] = None,
    certificate_number: Annotated[str | None, Form()] = None,
    statement: Annotated[str | None, Form()] = None,
    holder: Annotated[str | None, Form(description="Administrators only.")] = None,
    proofs: Annotated[list[UploadFile] | None, File(description="Ownership documents.")] = None,
) -> dict[str, Any]:
    """Register a work with its ownership proof; it waits for a reviewer."""
    require(caller, Perm.REGISTER_WORK)
    owner = svc.accounts.get(holder) if holder else caller
    with ExitStack() as stack:
        path = stack.enter_context(saved_upload(file, svc.platform))
        proof_inputs = []
        for doc in proofs or []:
            doc_path = stack.enter_context(saved_upload(doc, svc.platform))
            proof_inputs.append(ProofInput("document", doc_path, filename=doc.filename))
        if certificate_number:
            proof_inputs.append(ProofInput("certificate", note=certificate_number))
        if statement:
            proof_inputs.append(ProofInput("statement", note=statement))
        reg = svc.registry.register(
            owner,
            path,
            title=title,
            work_type=work_type,
            certificate_number=certificate_number,
            statement=statement,
            proofs=proof_inputs,
            filename=file.filename or "upload",
            actor=caller,
            ip=ip,
        )
    view = work_view(reg.work)
    view["conflicts_with"] = [c.other_work_id for c in reg.conflicts]
    return view


@router.get("/works")
def list_works(svc: Svc, caller: Caller, status: str | None = None) -> list[dict[str, Any]]:
    """Your works (holders), or every work (reviewers)."""
    return [work_view(w) for w in svc.registry.list_works(caller, status)]


@router.get("/works/{work_id}")
def get_work(work_id: int, svc: Svc, caller: Caller) -> dict[str, Any]:
    return work_view(_visible(svc.registry.get(work_id), caller))


class ReviewBody(BaseModel):
    action: str  # approve | reject | request_info
    note: str | None = None


@router.post("/works/{work_id}/review")
def review_work(
    work_id: int, body: ReviewBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    return work_view(svc.registry.review(work_id, body.action, caller, body.note, ip))


@router.post("/works/{work_id}/proofs", status_code=201)
def add_proof(
    work_id: int,
    svc: Svc,
    caller: Caller,
    ip: ClientIP,
    document: Annotated[UploadFile | None, File()] = None,
    note: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """Answer a reviewer's request for more information."""
    if document is None:
        return work_view(
            svc.registry.add_proof(work_id, ProofInput("statement", note=note), caller, ip)
        )
    with saved_upload(document, svc.platform) as path:
        proof = ProofInput("document", path, note=note, filename=document.filename)
        return work_view(svc.registry.add_proof(work_id, proof, caller, ip))


@router.get("/conflicts")
def list_conflicts(svc: Svc, caller: Caller, status: str | None = "open") -> list[dict[str, Any]]:
    require(caller, Perm.REVIEW)
    return [
        {
            "id": c.id,
            "work_id": c.work_id,
            "other_work_id": c.other_work_id,
            "signal": c.signal,
            "score": c.score,
            "status": c.status,
            "resolution": c.resolution,
            "created_at": c.created_at.isoformat(),
        }
        for c in svc.registry.conflicts(status)
    ]


class LicenceBody(BaseModel):
    licensee: str | None = None  # a user name; omitted: everyone
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    terms: str | None = None


def licence_view(lic: Licence) -> dict[str, Any]:
    return {
        "id": lic.id,
        "work_id": lic.work_id,
        "licensee_id": lic.licensee_id,
        "starts_at": lic.starts_at.isoformat(),
        "ends_at": lic.ends_at.isoformat() if lic.ends_at else None,
        "terms": lic.terms,
        "revoked_at": lic.revoked_at.isoformat() if lic.revoked_at else None,
    }


@router.post("/works/{work_id}/licences", status_code=201)
def grant_licence(
    work_id: int, body: LicenceBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    licensee = svc.accounts.get(body.licensee) if body.licensee else None
    lic = svc.registry.grant_licence(
        work_id,
        caller,
        licensee=licensee,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        terms=body.terms,
        ip=ip,
    )
    return licence_view(lic)


@router.get("/works/{work_id}/licences")
def list_licences(work_id: int, svc: Svc, caller: Caller) -> list[dict[str, Any]]:
    _visible(svc.registry.get(work_id), caller)
    return [licence_view(lic) for lic in svc.registry.licences(work_id)]


@router.delete("/licences/{licence_id}")
def revoke_licence(licence_id: int, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    return licence_view(svc.registry.revoke_licence(licence_id, caller, ip))


class PriorityBody(BaseModel):
    work_id: int
    list: str  # authority | release_window
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    source: str | None = None
    note: str | None = None


def priority_view(e: PriorityEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "work_id": e.work_id,
        "list": e.list_name,
        "source": e.source,
        "starts_at": e.starts_at.isoformat(),
        "ends_at": e.ends_at.isoformat() if e.ends_at else None,
        "note": e.note,
    }


@router.post("/priority", status_code=201)
def add_priority(body: PriorityBody, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    entry = svc.registry.add_priority(
        body.work_id,
        body.list,
        caller,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        source=body.source,
        note=body.note,
        ip=ip,
    )
    return priority_view(entry)


@router.get("/priority")
def list_priority(svc: Svc, caller: Caller) -> list[dict[str, Any]]:
    require(caller, Perm.REVIEW)
    return [priority_view(e) for e in svc.registry.priority_entries()]


@router.delete("/priority/{entry_id}")
def remove_priority(entry_id: int, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    return priority_view(svc.registry.remove_priority(entry_id, caller, ip))
