"""Every domain's models, imported together so the metadata (and Alembic) sees them all."""

# Domains whose tables are read through their own modules register them by import.
import safeharbor.blacklists.models  # noqa: F401
import safeharbor.disclosure.models  # noqa: F401
import safeharbor.enforcement.models  # noqa: F401
import safeharbor.evidence.models  # noqa: F401
import safeharbor.sharing.models  # noqa: F401
import safeharbor.web.models  # noqa: F401
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
