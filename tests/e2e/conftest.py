"""End-to-end fixtures: the real service (uvicorn on 127.0.0.1, a fresh SQLite platform)
and Debian's Chromium driven by Playwright.

Chromium is found at ``SAFEHARBOR_CHROMIUM`` or on the PATH (``chromium``; `.ci/run`
installs Debian's package). Without it the tests are skipped, except where
``SAFEHARBOR_REQUIRE_BROWSER=1`` (CI), where a missing browser is an error.

``SAFEHARBOR_SCREENSHOTS=1`` keeps the pictures a journey takes under ``docs/screenshots``
(``scripts/screenshots.sh``); otherwise they go to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from safeharbor.app import create_app
from safeharbor.clock import FrozenClock
from safeharbor.config import load_settings
from safeharbor.platform import Platform

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium() -> str | None:
    return os.environ.get("SAFEHARBOR_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    exe = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        exe = None
    if exe is None:
        if os.environ.get("SAFEHARBOR_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium and Playwright are required here (SAFEHARBOR_REQUIRE_BROWSER=1)")
        pytest.skip("no Chromium (apt-get install chromium) or no playwright package")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


class LiveServer:
    """The service on a free loopback port, with the platform it serves (shared with the
    test, so a test can prepare data or move the clock as a scheduler would)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(
            create_app(platform), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the service did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def e2e_clock() -> FrozenClock:
    # now, to the second: dates on the pages read as they would today, and a test can
    # move time on (a counter-notice's waiting period) without waiting
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def live(tmp_path: Path, e2e_clock: FrozenClock) -> Iterator[LiveServer]:
    settings = load_settings(tmp_path / "home", web_timezone="Asia/Shanghai")
    platform = Platform(settings, e2e_clock)
    platform.migrate()
    server = LiveServer(platform).start()
    yield server
    server.stop()
    platform.close()


@pytest.fixture
def context(browser: Any, live: LiveServer) -> Iterator[Any]:
    ctx = browser.new_context(
        base_url=live.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def shot(tmp_path: Path) -> Any:
    """``shot(page, "holder")`` keeps a full-page screenshot of ``page``."""
    keep = os.environ.get("SAFEHARBOR_SCREENSHOTS") == "1"

    def take(page: Any, name: str) -> Path:
        if not re.fullmatch(r"[a-z0-9\-]+", name):
            raise ValueError(name)
        folder = SHOTS if keep else tmp_path / "shots"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def check_accessible(page: Any) -> None:
    """axe-core's WCAG 2.1 A and AA rules on the page as it is now: no violation
    (labels, contrast, landmarks, names of buttons and links, lang, headings...)."""
    from axe_playwright_python.sync_playwright import Axe

    options = {
        "resultTypes": ["violations"],
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    }
    results = Axe().run(page, options=options)
    assert results.violations_count == 0, results.generate_report()


def sign_up(page: Any, name: str, role: str, password: str = "a long passphrase 1") -> None:
    """A new person creates an account from the home page, as they would."""
    page.goto("/signup")
    page.select_option("#f-role", role)
    page.fill("#f-name", name)
    page.fill("#f-email", f"{name}@example.org")
    page.fill("#f-password", password)
    page.click("button[type=submit].btn-primary")


def sign_in(page: Any, name: str, password: str = "a long passphrase 1") -> None:
    page.goto("/login")
    page.fill("#f-name", name)
    page.fill("#f-password", password)
    page.click("main button[type=submit]")
