"""What the review pages share: a service call whose refusal the page shows in its form."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from safeharbor.errors import SafeharborError
from safeharbor.web.page import Page


@contextmanager
def attempt(page: Page) -> Iterator[None]:
    """Run a decision in a savepoint: a refused call (some services change a row before
    they find a value wrong) leaves nothing behind, while the page's own unit of work (the
    browser session, its flash) still commits. The API needs none: its error rolls the
    whole unit back."""
    savepoint = page.svc.session.begin_nested()
    try:
        yield
    except SafeharborError:
        savepoint.rollback()
        raise
    savepoint.commit()
