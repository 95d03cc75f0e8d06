"""The composition root: one object per running process that holds the settings, the
database, the blob store, the reference indexes and the clock, and hands out services
bound to a database session. The API, the CLI and the tests all start from here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from safeharbor.clock import Clock
from safeharbor.config import Settings, load_settings
from safeharbor.db import Database
from safeharbor.index.references import ReferenceIndex
from safeharbor.screening.blobstore import BlobStore

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from safeharbor.accounts.service import AccountService
    from safeharbor.blacklists.service import BlacklistService
    from safeharbor.disclosure.service import DisclosureService
    from safeharbor.enforcement.service import EnforcementService
    from safeharbor.evidence.ledger import LedgerService
    from safeharbor.evidence.package import EvidenceService
    from safeharbor.notices.service import NoticeService
    from safeharbor.registry.service import RegistryService
    from safeharbor.reports.service import ReportService
    from safeharbor.screening.service import ScreeningService
    from safeharbor.sharing.service import SharingService


class Platform:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        settings.home.mkdir(parents=True, exist_ok=True)
        self.db = Database(settings.db_url)
        self.blobs = BlobStore(settings.blob_dir)
        #: what uploads are screened against: registered works, the stay-down list and
        #: partners' shared items
        cache = settings.home / "index-cache"
        self.index = ReferenceIndex(sources=("work", "staydown", "shared"), cache_dir=cache)
        # kept where it was before shared items joined, so a kept copy is still adopted
        # (adoption checks every reference it keeps against the loaded ones)
        self.index.cache_dir = cache / "work-staydown"
        #: stored uploads, searched when a notice names a work but gives no address
        self.content_index = ReferenceIndex(sources=("content",), cache_dir=cache)
        #: derived data that is cheap to check and costly to rebuild (e.g. known titles)
        self.cache: dict[str, Any] = {}
        self._migrated = False
        self._signing_key: Ed25519PrivateKey | None = None

    @classmethod
    def open(cls, home: Path | str | None = None, clock: Clock | None = None) -> Platform:
        platform = cls(load_settings(home), clock)
        platform.migrate()
        return platform

    def migrate(self) -> None:
        if not self._migrated:
            self.db.migrate()
            self._migrated = True

    @contextmanager
    def unit(self) -> Iterator[Services]:
        """Services sharing one transaction: all of it is stored, or none of it."""
        with self.db.session() as session:
            yield Services(self, session)

    def signing_key(self) -> Ed25519PrivateKey:
        """The platform's Ed25519 key (tree heads, evidence packages, shared lists), read
        from its file once per process and made there if missing."""
        if self._signing_key is None:
            from safeharbor.evidence import keys

            self._signing_key = keys.load_or_create(self.settings)
        return self._signing_key

    def close(self) -> None:
        self.db.dispose()


@dataclass
class Services:
    """Domain services over one session (imported lazily: they import this module)."""

    platform: Platform
    session: Session

    @property
    def accounts(self) -> AccountService:
        from safeharbor.accounts.service import AccountService

        return AccountService(self.session, self.platform.clock)

    @property
    def registry(self) -> RegistryService:
        from safeharbor.registry.service import RegistryService

        return RegistryService(self)

    @property
    def screening(self) -> ScreeningService:
        from safeharbor.screening.service import ScreeningService

        return ScreeningService(self)

    @property
    def notices(self) -> NoticeService:
        from safeharbor.notices.service import NoticeService

        return NoticeService(self)

    @property
    def ledger(self) -> LedgerService:
        from safeharbor.evidence.ledger import LedgerService

        return LedgerService(self)

    @property
    def evidence(self) -> EvidenceService:
        from safeharbor.evidence.package import EvidenceService

        return EvidenceService(self)

    @property
    def disclosure(self) -> DisclosureService:
        from safeharbor.disclosure.service import DisclosureService

        return DisclosureService(self)

    @property
    def enforcement(self) -> EnforcementService:
        from safeharbor.enforcement.service import EnforcementService

        return EnforcementService(self)

    @property
    def blacklists(self) -> BlacklistService:
        from safeharbor.blacklists.service import BlacklistService

        return BlacklistService(self)

    @property
    def sharing(self) -> SharingService:
        from safeharbor.sharing.service import SharingService

        return SharingService(self)

    @property
    def reports(self) -> ReportService:
        from safeharbor.reports.service import ReportService

        return ReportService(self)
