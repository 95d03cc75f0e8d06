"""Words the admin console shows that come from data (actions, lists, trust levels,
kinds of blacklist entry), marked here so the catalogue tools find them."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


WORDS = [
    # what a match does (config.MatchAction)
    N_("block"),
    N_("hold"),
    N_("review"),
    # work types (config.WORK_TYPES)
    N_("film"),
    N_("tv"),
    N_("music"),
    N_("image"),
    N_("literary"),
    N_("software"),
    N_("other"),
    # priority lists
    N_("authority"),
    N_("release_window"),
    # blacklist entry kinds
    N_("domain"),
    N_("url"),
    N_("app"),
    # partner trust
    N_("trusted"),
    N_("ignore"),
    # roles and statuses
    N_("holder"),
    N_("uploader"),
    N_("reviewer"),
    N_("admin"),
    N_("active"),
    N_("suspended"),
    N_("terminated"),
    N_("restricted"),
    # the profile's rules (notice fields, restoration rules)
    N_("civil_code"),
    N_("regulation"),
    N_("business_days"),
    N_("human_review"),
]

#: the console's and the services' refusals that carry no values, so they read translated
MESSAGES = [
    N_("the priority threshold may not be above the match threshold"),
    N_("the review threshold may not be above the match threshold"),
    N_("choose the work"),
    N_("give the site, address or app to list"),
    N_("choose the file to import"),
    N_("a blacklist entry needs a reason"),
    N_("a release window needs a start and an end date"),
    N_("the window must end after it starts"),
    N_("a partner needs a name (1-100 characters)"),
    N_("status must be 'active' or 'suspended'"),
]
