"""Words the public pages show that come from data: the labels of the notice fields a
profile asks for (a profile names its fields; the form shows these labels)."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


#: the label of each notice field a profile may ask for (English msgid)
FIELD_LABELS = {
    "notifier_name": N_("Your name (or your organisation's)"),
    "notifier_contact": N_("How to contact you"),
    "notifier_address": N_("Postal address"),
    "notifier_phone": N_("Telephone"),
    "notifier_email": N_("Email"),
    "work": N_("The work infringed"),
    "location": N_("Addresses of the infringing content (one per line)"),
    "title": N_("Or: the title of the infringing item"),
    "evidence": N_("Preliminary proof of infringement (e.g. your registration certificate)"),
    "explanation": N_("Why the content is illegal"),
    "signature": N_("Signature (type your full name)"),
    "good_faith": N_("I believe in good faith that the use is not authorised"),
    "accuracy": N_("The notice is accurate, and I am the rights holder or act for them"),
    "authorisation": N_("Agents: the rights holder's authorisation"),
}
