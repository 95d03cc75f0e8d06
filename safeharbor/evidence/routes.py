"""API routes of the evidence domain (included in `safeharbor/app.py`).

The ledger: tree heads and the public key are public (hashes, sizes and times, no personal
data), so anyone can hold the platform to its history; proofs are staff-only
(``Perm.VIEW_LEDGER``): they are hashes too, but they are about records, which are not.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from safeharbor.accounts.permissions import Perm, require
from safeharbor.api import Caller, Svc

router = APIRouter(prefix="/api", tags=["evidence"])

# -- the ledger ----------------------------------------------------------------------------


@router.get("/ledger/head")
def ledger_head(svc: Svc) -> dict[str, Any]:
    """The latest signed tree head (public)."""
    return svc.ledger.head()


@router.get("/ledger/heads")
def ledger_heads(
    svc: Svc,
    after: Annotated[int, Query(description="Only heads larger than this size.")] = -1,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000,
) -> dict[str, Any]:
    """Every signed tree head in order of size, with the key that signed them (public:
    what ``safeharbor ledger publish`` writes)."""
    svc.ledger.integrate()
    return {**svc.ledger.key_document(), "heads": svc.ledger.heads(after, limit)}


@router.get("/ledger/key", response_class=PlainTextResponse)
def ledger_key(svc: Svc) -> str:
    """The public key tree heads are signed with, PEM (public)."""
    return svc.ledger.public_key_pem()


@router.get("/ledger/proof/{record_id}")
def ledger_proof(
    record_id: int, svc: Svc, caller: Caller, tree_size: int | None = None
) -> dict[str, Any]:
    """The audit path of a record to a signed head (the latest unless ``tree_size``)."""
    require(caller, Perm.VIEW_LEDGER)
    return svc.ledger.inclusion(record_id, tree_size)


@router.get("/ledger/consistency")
def ledger_consistency(first: int, second: int, svc: Svc, caller: Caller) -> dict[str, Any]:
    """The proof that the signed tree of size ``first`` is a prefix of that of ``second``."""
    require(caller, Perm.VIEW_LEDGER)
    return svc.ledger.consistency(first, second)
