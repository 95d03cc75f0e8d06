"""Words the uploader's pages show that come from data or from the services (states,
decisions, levels, the upload terms, error messages), marked here so the catalogue tools
find them: a template shows them with ``_(value)``, a page with ``page._(exc.message)``.

``TERMS`` must read exactly as ``screening.service.UPLOAD_WARNING`` (a test checks it), so
that the warning shown before the first upload is the one the service records."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


TERMS = N_(
    "Upload only what you made yourself or are licensed to share. Uploading others' works "
    "without permission infringes copyright: such uploads are blocked or removed, and "
    "repeat infringement leads to restrictions and termination of your account."
)

WORDS = [
    # content states
    N_("available"),
    N_("held"),
    N_("blocked"),
    N_("removed"),
    N_("disabled"),
    N_("restored"),
    # notice statuses
    N_("incomplete"),
    N_("valid"),
    N_("acted"),
    N_("review"),
    N_("countered"),
    N_("closed"),
    N_("rejected"),
    # counter-notice statuses
    N_("upheld"),
    N_("contested"),
    # clocks, hold answers and appeals
    N_("open"),
    N_("done"),
    N_("overdue"),
    N_("cancelled"),
    N_("accepted"),
    N_("refused"),
    N_("licence"),
    N_("ownership"),
    # measures and notice items
    N_("remove"),
    N_("block"),
    N_("disable"),
    N_("forward"),
    N_("located"),
    N_("unlocated"),
    N_("candidate"),
    N_("dismissed"),
    N_("duplicate"),
    # kinds of content
    N_("image"),
    N_("video"),
    N_("audio"),
    N_("text"),
    N_("document"),
    N_("code"),
    N_("archive"),
    N_("binary"),
    # how a match was found
    N_("exact"),
    N_("object_code"),
    # a stay-down match whose notice named no registered work
    N_("content taken down earlier"),
    # jurisdiction profiles
    N_("China: Regulation arts. 14-17, Civil Code arts. 1195-1196"),
    N_("United States: DMCA §512(c) and (g)"),
    N_("European Union: DSA art. 16 notices, art. 20 complaints; DSM art. 17"),
]

ERRORS = [
    # the portal's own form checks
    N_("Give the upload a title."),
    N_("Choose a file to upload."),
    # what the services answer to a form (shown with page._(exc.message))
    N_("file is empty (0 bytes)"),
    N_("title is longer than 500 characters"),
    N_("a title cannot be empty"),
    N_("send a document or a statement"),
    N_("kind must be 'licence' or 'ownership'"),
    N_("only the uploader may answer for this upload"),
    N_("only the uploader and reviewers may see an upload's screening"),
    N_("only the sender, the uploaders concerned and reviewers may see a notice"),
    N_("only the uploader of the content taken down may counter-notify"),
    N_("only the user who has the strike may appeal it"),
    N_("an appeal needs a statement of 1 to 5,000 characters"),
]
