"""Words the pages show that come from data (roles, statuses, decisions), marked here so
the catalogue tools find them: a template shows them with ``_(value)``."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


WORDS = [
    # roles
    N_("holder"),
    N_("uploader"),
    N_("reviewer"),
    N_("admin"),
    N_("authority"),
    # account statuses
    N_("active"),
    N_("suspended"),
    N_("terminated"),
    N_("restricted"),
]

SIGNIN = [
    N_("wrong account name or password"),
    N_("too many failed sign-ins: wait 15 minutes and try again"),
    N_("choose a rights holder or an uploader account"),
    N_("an email address is required"),
    N_("the password must be at least 10 characters long"),
    N_("the password may not contain the account name"),
    N_("sign in to see this page"),
    N_("the form has expired or did not come from this site: reload the page and try again"),
]

ERRORS = [
    N_("there is no such page"),
]
