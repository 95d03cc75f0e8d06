"""Runs the clocks: inside ``safeharbor serve`` (a background thread), or on its own
(``safeharbor scheduler run``) for deployments that run it as a separate process.

Each tick runs every due clock (reminders, escalations, restorations) in one transaction,
then mails the outbox. Ticks are idempotent, so two schedulers never act twice on a clock:
a deadline moves out of "open" in the same transaction that acts on it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from safeharbor.notices import messages
from safeharbor.platform import Platform

log = logging.getLogger("safeharbor.scheduler")


def tick(platform: Platform, now: datetime | None = None) -> dict[str, int]:
    with platform.unit() as svc:
        done = svc.notices.run_clocks(now)
        # strikes expire and suspensions end on the same clock
        done.update(svc.enforcement.expire(now))
        # browser sessions past their expiry (anonymous visitors' included) are dropped
        from safeharbor.web.sessions import SessionService

        done["sessions_ended"] = SessionService(svc.session, platform.clock).purge_expired()
    try:
        with platform.unit() as svc:
            done["mailed"] = messages.deliver(svc.session, platform.settings, platform.clock)
    except OSError as exc:  # the mail server is down: the outbox keeps the messages
        log.warning("mail delivery failed: %s", exc)
        done["mailed"] = 0
    # Seal what this tick (and every request since the last) appended: the ledger's
    # maximum merge delay is one tick (see evidence/ledger.py).
    with platform.unit() as svc:
        before = svc.ledger.latest()
        head = svc.ledger.integrate()
        done["sealed"] = head.tree_size - (before.tree_size if before else 0)
    return done


class Scheduler:
    def __init__(self, platform: Platform, interval_s: float = 60.0) -> None:
        self.platform = platform
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="safeharbor-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                done = tick(self.platform)
                if any(done.values()):
                    log.info("clocks: %s", done)
            except Exception:  # a bad tick must not stop the clocks for good
                log.exception("scheduler tick failed")
            self._stop.wait(self.interval_s)
