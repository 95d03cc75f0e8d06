"""Settings: environment variables (``SAFEHARBOR_*``) over an optional ``safeharbor.toml`` in the
data folder, over the defaults below.

The embedded default needs nothing installed: SQLite and blobs live under the data folder
(``--home`` / ``SAFEHARBOR_HOME``, ``~/.safeharbor`` if unset). A scaled-out deployment
points ``SAFEHARBOR_DATABASE_URL`` at PostgreSQL.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

WorkType = Literal["film", "tv", "music", "image", "literary", "software", "other"]
WORK_TYPES: tuple[str, ...] = ("film", "tv", "music", "image", "literary", "software", "other")
MatchAction = Literal["block", "hold", "review"]


class Thresholds(BaseModel):
    """Score thresholds shared by every signal (each signal calibrates its score to them).

    ``match``: a match this strong is acted on (fewer than 1 in 10,000 unrelated items
    reach it). ``priority``: the weaker match that is enough for a priority work (authority
    protection list, release window) and for content about to be promoted or monetised
    (fewer than 1 in 1,000 reach it). ``review``: below ``match`` but worth a human look.
    """

    match: float = 0.80
    priority: float = 0.65
    review: float = 0.60


class WorkTypePolicy(BaseModel):
    """What the screen does with an upload that matches a work of this type."""

    #: action on a match at or above the ``match`` threshold by someone not licensed
    on_match: MatchAction = "hold"
    #: action on an exact (byte-identical) copy
    on_exact: MatchAction = "block"


def _default_policies() -> dict[str, WorkTypePolicy]:
    # Professionally made films, series and music are the works the courts treat as
    # obviously unlicensed when uploaded whole (guideline 9.13), so they block; pictures,
    # writing and software are often licensed or quoted, so they are held for proof.
    strict = WorkTypePolicy(on_match="block", on_exact="block")
    held = WorkTypePolicy(on_match="hold", on_exact="block")
    return {
        "film": strict,
        "tv": strict,
        "music": strict,
        "image": held,
        "literary": held,
        "software": held,
        "other": held,
    }


class ProfessionalWorkHeuristic(BaseModel):
    """When an unmatched upload looks like a complete professionally made film or album."""

    min_film_seconds: float = 60 * 60
    min_album_seconds: float = 25 * 60
    min_video_height: int = 720
    min_audio_bitrate: int = 192_000
    #: size at which a video or audio file counts as "long, high-quality" when its
    #: duration cannot be read
    min_bytes: int = 700 * 1024 * 1024


class RepeatInfringerPolicy(BaseModel):
    """The repeat-infringer policy (US 512(i), EU DSA 23, CN SPC Prov 9): levels by the
    number of active strikes, each applied as soon as a strike is added and re-evaluated
    when one is removed or expires.

    1 ``warning``: the uploader is told; nothing else changes. 2 ``restricted``: every
    upload waits for a reviewer before it is published. 3 ``higher_duty``: the stricter
    (priority) match threshold for every work, and every upload reviewed. 4 ``suspended``
    for ``suspension_days`` (uploads and API keys refused), then back to ``higher_duty``
    while the strikes last. 5 ``terminated``: the account is closed for good (expiring
    strikes do not reopen it; a strike lifted on appeal or counter-notice does), and
    reported to the copyright authority where ``report_authority`` (unset: the ``cn``
    profile reports, NCAC practice under Reg 13; ``us`` and ``eu`` do not).
    """

    #: a strike stops counting this many days after it was given (it is kept)
    strike_days: int = 365
    warning: int = 1
    restricted: int = 2
    higher_duty: int = 3
    suspended: int = 4
    terminated: int = 5
    suspension_days: int = 30
    report_authority: bool | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEHARBOR_", env_nested_delimiter="__")

    home: Path = Field(default_factory=lambda: Path.home() / ".safeharbor")
    database_url: str | None = None
    profile: Literal["cn", "us", "eu"] = "cn"
    host: str = "127.0.0.1"
    port: int = 8000
    #: the platform's address, for the links to uploads (``/c/ID``) it hands out
    public_url: str | None = None
    thresholds: Thresholds = Field(default_factory=Thresholds)
    policies: dict[str, WorkTypePolicy] = Field(default_factory=_default_policies)
    professional: ProfessionalWorkHeuristic = Field(default_factory=ProfessionalWorkHeuristic)
    repeat_infringer: RepeatInfringerPolicy = Field(default_factory=RepeatInfringerPolicy)
    #: largest upload accepted, in bytes
    max_upload_bytes: int = 4 * 1024**3
    #: largest decoded picture, in pixels (decompression bombs are refused above it)
    max_image_pixels: int = 60_000_000
    terms_version: str = "2026-11"
    #: what a takedown does to hosted content: remove, block, disable (a link), or forward
    #: (only forward the notice, where partial removal is impossible: a whole shared space)
    takedown_measure: Literal["remove", "block", "disable", "forward"] = "remove"
    #: CN restoration rule: "civil_code" (default, CC 1196) or "regulation" (Reg 17)
    cn_restoration: Literal["civil_code", "regulation"] = "civil_code"
    #: outgoing mail (the outbox is kept either way)
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "copyright@safeharbor.invalid"
    #: incoming notices by mail: the address and the port the listener takes
    intake_address: str = "notices@safeharbor.invalid"
    intake_port: int | None = None
    max_intake_bytes: int = 25 * 1024 * 1024
    #: a sender with this many unfounded notices, making up this share of theirs, is flagged
    unfounded_flag_count: int = 3
    unfounded_flag_share: float = 0.3
    #: the Ed25519 key that signs tree heads, evidence packages and shared lists; kept
    #: outside the database (default ``HOME/keys/ledger-ed25519.pem``)
    signing_key_path: Path | None = None
    #: the portals: language and time zone for a visitor who has not chosen one
    web_language: Literal["zh_CN", "en"] = "zh_CN"
    web_timezone: str = "Asia/Shanghai"
    #: a browser session ends after this long without a page being read
    session_hours: float = 12.0
    #: the session cookie's Secure flag: "auto" sets it except for plain http to a
    #: loopback address (a local trial); behind TLS "always"
    secure_cookies: Literal["auto", "always"] = "auto"
    #: failed sign-ins allowed per account and per address in the window
    signin_failures_per_account: int = 5
    signin_failures_per_address: int = 20
    signin_window_minutes: int = 15
    #: the platform's designated contact for copyright matters, shown on the public page
    #: (Reg 14 and DMCA 512(c)(2) ask it to be easy to find)
    contact_name: str = "Copyright team"
    contact_email: str | None = None
    contact_phone: str | None = None
    contact_address: str | None = None

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'safeharbor.db'}"

    @property
    def base_url(self) -> str:
        """Where the platform is reached: ``public_url``, else the address it listens on."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    def policy_for(self, work_type: str) -> WorkTypePolicy:
        return self.policies.get(work_type) or self.policies.get("other") or WorkTypePolicy()


def load_settings(home: Path | str | None = None, **overrides: object) -> Settings:
    """Settings for a data folder: defaults < ``HOME/safeharbor.toml`` < env < ``overrides``."""
    home_path = Path(home or os.environ.get("SAFEHARBOR_HOME") or Path.home() / ".safeharbor")
    home_path = home_path.expanduser()
    file_values: dict[str, object] = {}
    toml_path = home_path / "safeharbor.toml"
    if toml_path.is_file():
        with toml_path.open("rb") as fh:
            file_values = tomllib.load(fh)
    env_settings = Settings(home=home_path)
    merged = {**file_values, **env_settings.model_dump(exclude_unset=True), **overrides}
    merged["home"] = home_path
    return Settings(**merged)
