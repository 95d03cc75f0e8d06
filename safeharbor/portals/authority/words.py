"""Words the authority portal shows that come from data (request statuses, scopes),
marked here so the catalogue tools find them."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


#: what each scope of a disclosure request covers (court guideline 9.10(3))
SCOPE_LABELS = {
    "identity": N_("Identity: account name, real name, registration time"),
    "contact": N_("Contact details: email, telephone"),
    "network": N_("Network: registration and upload IP addresses"),
    "uploads": N_("Uploads: titles, files, hashes, times"),
}

WORDS = [
    N_("pending"),
    N_("granted"),
    N_("refused"),
    N_("revoked"),
    N_("expired"),
    N_("authority"),
    N_("holder"),
    # content states
    N_("available"),
    N_("held"),
    N_("blocked"),
    N_("removed"),
    N_("disabled"),
    N_("restored"),
]

#: refusals that carry no values, so they read translated
MESSAGES = [
    N_("the authority portal is for the accounts of authorities"),
    N_("that person is not covered by this request"),
    N_("give the investigation's reference (case number)"),
    N_("name the users or the uploads the request is about"),
    N_("only the requester reads what a disclosure grants"),
]
