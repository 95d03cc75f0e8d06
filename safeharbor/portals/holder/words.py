"""Words the holder portal shows that come from data: statuses, steps of a case, clocks,
notice fields. Marked with N_ so the catalogue tools find them; a template shows them with
``_(value)`` or through the label tables below."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


#: the label of each notice field a profile may ask for (cn, us, eu and agents)
FIELD_LABELS = {
    "notifier_name": N_("Your name (the rights holder or their agent)"),
    "notifier_contact": N_("How to reach you (email or phone)"),
    "notifier_address": N_("Your postal address"),
    "notifier_phone": N_("Your phone number"),
    "notifier_email": N_("Your email address"),
    "work": N_("The work infringed (its title and what it is)"),
    "evidence": N_("Preliminary proof of infringement and of your rights"),
    "explanation": N_("Why the content is illegal"),
    "signature": N_("Signature (your full name)"),
    "good_faith": N_("I believe in good faith that this use is not authorised"),
    "accuracy": N_("The information in this notice is accurate"),
    "authorisation": N_("The rights holder's authorisation (for an agent)"),
    "location": N_("Where the content is (addresses)"),
    "title": N_("Title"),
    "work_id": N_("Registered work"),
}
#: fields written in a larger box
_LONG = {"notifier_address", "evidence", "explanation", "authorisation", "work"}


def field_kind(name: str) -> str:
    if name == "notifier_email":
        return "email"
    return "textarea" if name in _LONG else "text"


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " "))


#: what each recorded step of a case is called on the case page
STEP_LABELS = {
    "notice.file": N_("Notice received"),
    "notice.valid": N_("Notice validated: every required field is present"),
    "notice.measure": N_("Measure taken on the content"),
    "notice.superseded": N_("Replaced by the completed notice"),
    "notice.item_dismissed": N_("An item was dismissed by a reviewer"),
    "notice.overdue": N_("A clock ran out: the copyright team was alerted"),
    "notice.relay": N_("Message sent to the uploader"),
    "notice.restore": N_("Content restored"),
    "notice.unfounded": N_("The notice was found unfounded"),
    "counter.file": N_("Counter-notice received from the uploader"),
    "counter.forward": N_("Counter-notice forwarded to you"),
    "counter.holder_action": N_("You reported a complaint or lawsuit: the measure stays"),
    "counter.toll": N_("The waiting period was extended"),
    "counter.rejected": N_("The counter-notice was not upheld"),
    "evidence.export": N_("Evidence package exported"),
}

CLOCK_LABELS = {
    "act": N_("Act on the notice"),
    "restore": N_("Restoration unless you act"),
    "review": N_("Human review of the complaint"),
}

#: what each part of a disclosure request covers (disclosure.service.SCOPES)
SCOPE_LABELS = {
    "identity": N_("Identity: account name, real name, date of registration"),
    "contact": N_("Contact: email address and phone number"),
    "network": N_("Network: registration and upload IP addresses"),
    "uploads": N_("Uploads: the uploads your notice names"),
}

#: the grounds a profile names for a holder's disclosure request (profiles/*.toml)
BASES = [
    N_("a valid notice of yours about the uploader's content (CC 1195)"),
    N_("a valid notice of yours, and the legal ground for the request (Directive 2004/48 art. 8)"),
    N_("a subpoena issued under 17 U.S.C. 512(h) (give its docket number)"),
]

#: the titles of the built-in jurisdiction profiles (profiles/*.toml)
PROFILE_TITLES = [
    N_("China: Regulation arts. 14-17, Civil Code arts. 1195-1196"),
    N_("European Union: DSA art. 16 notices, art. 20 complaints; DSM art. 17"),
    N_("United States: DMCA §512(c) and (g)"),
]

WORDS = [
    # work statuses
    N_("pending"),
    N_("needs_info"),
    N_("conflict"),
    N_("approved"),
    N_("rejected"),
    N_("withdrawn"),
    # notice statuses
    N_("incomplete"),
    N_("valid"),
    N_("acted"),
    N_("review"),
    N_("countered"),
    N_("restored"),
    N_("closed"),
    # item states, content states and measures
    N_("located"),
    N_("unlocated"),
    N_("candidate"),
    N_("dismissed"),
    N_("duplicate"),
    N_("available"),
    N_("held"),
    N_("blocked"),
    N_("removed"),
    N_("disabled"),
    N_("remove"),
    N_("block"),
    N_("disable"),
    N_("forward"),
    N_("url"),
    N_("id"),
    N_("fingerprint"),
    # clocks
    N_("open"),
    N_("done"),
    N_("overdue"),
    N_("cancelled"),
    # licences
    N_("in force"),
    N_("not yet in force"),
    N_("expired"),
    N_("revoked"),
    # disclosure
    N_("granted"),
    N_("refused"),
    N_("identity"),
    N_("contact"),
    N_("network"),
    N_("uploads"),
    # proofs
    N_("document"),
    N_("certificate"),
    N_("statement"),
    # work types
    N_("film"),
    N_("tv"),
    N_("music"),
    N_("image"),
    N_("literary"),
    N_("software"),
    N_("other"),
    # who did a step
    N_("you"),
    N_("the platform"),
    N_("the copyright team"),
    N_("the uploader"),
]

#: messages of the services a holder's form may show (translated where they are caught)
ERRORS = [
    N_("choose the work's file"),
    N_("add a document or write an answer"),
    N_("choose the CSV file"),
    N_("the CSV has no rows under its header"),
    N_("choose one of your works"),
    N_("choose at least one kind of record"),
    N_("fill in at least one of the missing fields"),
    N_("the licence must end after it starts"),
    N_("a message of 1 to 5,000 characters"),
    N_("the CSV needs a url, title or work_id column"),
    N_("the CSV is empty: the first line must name the columns"),
    N_("only the holder and reviewers may see a work's registration"),
    N_("only the notice's sender may write to its uploaders"),
    N_("write what you filed (the complaint or lawsuit, its number, the court or authority)"),
]
