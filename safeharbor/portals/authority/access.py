"""Who may use the authority portal: an active authority account. Authorities receive
records through reviewed disclosure requests, not by role (accounts.permissions), so each
page still asks the permission of what it does, as the API does."""

from __future__ import annotations

from safeharbor.accounts.models import Role, User
from safeharbor.accounts.permissions import Perm
from safeharbor.errors import Forbidden
from safeharbor.web.page import Page


def authority(page: Page, perm: Perm) -> User:
    user = page.require(perm)
    if user.role != Role.AUTHORITY:
        raise Forbidden("the authority portal is for the accounts of authorities")
    return user
