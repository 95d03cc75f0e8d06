"""Every domain's models, imported together so the metadata (and Alembic) sees them all."""

from safeharbor.accounts.models import ApiKey, TermsAcceptance, User
from safeharbor.audit.models import Record
from safeharbor.db import Base
from safeharbor.notices.models import CounterNotice, Deadline, Message, Notice, NoticeItem
from safeharbor.registry.models import (
    Licence,
    OwnershipConflict,
    OwnershipProof,
    PriorityEntry,
    Reference,
    ReferenceFingerprint,
    Work,
)
from safeharbor.screening.models import Content, HoldResponse, Screening

__all__ = [
    "ApiKey",
    "Base",
    "Content",
    "CounterNotice",
    "Deadline",
    "HoldResponse",
    "Licence",
    "Message",
    "Notice",
    "NoticeItem",
    "OwnershipConflict",
    "OwnershipProof",
    "PriorityEntry",
    "Record",
    "Reference",
    "ReferenceFingerprint",
    "Screening",
    "TermsAcceptance",
    "User",
    "Work",
]
