"""Tables of the evidence domain: the ledger's Merkle nodes and its signed tree heads.

The log itself is the ``records`` table (``audit/models.py``): record ``id`` is leaf index
+ 1. ``LedgerNode`` holds the hash of every COMPLETE perfect subtree (2**level leaves from
leaf ``index * 2**level``), level 0 being the leaf hashes as they were when sealed; each is
written once, when its last leaf is integrated, so neither a proof nor a new tree head
ever recomputes the tree. Keeping level 0 lets ``verify`` name the very record whose row
was rewritten, even when the row was rewritten consistently (document and leaf hash).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from safeharbor.db import Base


class LedgerNode(Base):
    __tablename__ = "ledger_nodes"

    # (level, index) is the key: unique, and the one lookup a proof makes
    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class TreeHead(Base):
    __tablename__ = "tree_heads"

    id: Mapped[int] = mapped_column(primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root_hash: Mapped[str] = mapped_column(String(64))  # hex
    timestamp: Mapped[int] = mapped_column(BigInteger)  # ms since the epoch, as signed
    signature: Mapped[str] = mapped_column(String(100))  # base64 Ed25519
    key_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
