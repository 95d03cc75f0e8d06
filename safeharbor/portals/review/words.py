"""Words the review pages show that come from data (statuses, decisions, clocks, signals,
modalities) and the services' messages a reviewer meets on a form, marked here so the
catalogue tools find them: a template shows them with ``_(value)``."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


WORDS = [
    # work statuses
    N_("pending"),
    N_("needs_info"),
    N_("conflict"),
    N_("approved"),
    N_("rejected"),
    N_("withdrawn"),
    # work types
    N_("image"),
    N_("film"),
    N_("music"),
    N_("literary"),
    N_("software"),
    N_("other"),
    # content states and screening decisions
    N_("available"),
    N_("held"),
    N_("blocked"),
    N_("removed"),
    N_("disabled"),
    N_("restored"),
    N_("allow"),
    N_("allow-licensed"),
    N_("hold"),
    N_("block"),
    N_("review"),
    # modalities and signals
    N_("video"),
    N_("audio"),
    N_("text"),
    N_("document"),
    N_("code"),
    N_("archive"),
    N_("binary"),
    N_("exact"),
    N_("object_code"),
    # units of a matched span: characters, lines, seconds
    N_("char"),
    N_("line"),
    N_("s"),
    # proofs of ownership, conflicts
    N_("certificate"),
    N_("statement"),
    N_("resolved"),
    # hold answers
    N_("licence"),
    N_("ownership"),
    N_("open"),
    N_("accepted"),
    N_("refused"),
    # notices, items, clocks
    N_("valid"),
    N_("acted"),
    N_("countered"),
    N_("closed"),
    N_("incomplete"),
    N_("located"),
    N_("unlocated"),
    N_("candidate"),
    N_("dismissed"),
    N_("duplicate"),
    N_("act"),
    N_("restore"),
    N_("done"),
    N_("overdue"),
    N_("cancelled"),
    N_("url"),
    N_("id"),
    N_("title"),
    N_("fingerprint"),
    # disclosure
    N_("granted"),
    N_("revoked"),
    N_("holder"),
    N_("authority"),
    N_("identity"),
    N_("contact"),
    N_("network"),
    N_("uploads"),
    # strikes and appeals
    N_("notice"),
    N_("manual"),
    N_("upheld"),
]

#: the services' refusals a reviewer may meet on these forms
MESSAGES = [
    N_("note is required"),
    N_("reason is required"),
    N_("say what information is needed (note)"),
    N_("a decision on a disclosure request gives its reason"),
    N_("a grant lasts between 1 and 365 days"),
    N_("give the reason for the decision"),
    N_("nothing was located for this item: dismiss it"),
    N_("choose a decision"),
    N_("days must be a whole number"),
]
