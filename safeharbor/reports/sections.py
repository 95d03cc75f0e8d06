"""The report's content as rows, one per metric, shared by every format (HTML, PDF, CSV,
JSON), so that each shows the same figures under the same names.

Labels are English msgids marked with ``N_`` (they are translated when rendered, with the
catalogues of ``safeharbor.i18n``); ``tests/test_reports.py`` checks that every one has a
Chinese translation. A value of ``None`` means the platform has no source for the figure:
the row's ``note`` says why, and no format prints it as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from safeharbor.reports.figures import Durations, Figures


def N_(msgid: str) -> str:
    """Mark a string for translation without translating it (gettext_noop)."""
    return msgid


Value = int | float | str | None


@dataclass
class Metric:
    key: str  # stable, for CSV and JSON: "notices.received"
    label: str  # English msgid
    value: Value
    unit: str = "count"  # count | hours | share | ms | text
    #: a breakdown value shown after the label ("image", "holder"...), translated if known
    detail: str | None = None
    qualifier: str | None = None  # msgid shown after the label: "(median)"
    note: str | None = None  # msgid: why there is no figure, or what it means
    cite: str | None = None  # the legal row the metric answers (LEGAL.md)


@dataclass
class Section:
    key: str
    title: str  # msgid
    metrics: list[Metric] = field(default_factory=list)

    def add(
        self,
        key: str,
        label: str,
        value: Value,
        unit: str = "count",
        *,
        detail: str | None = None,
        qualifier: str | None = None,
        note: str | None = None,
        cite: str | None = None,
    ) -> None:
        self.metrics.append(
            Metric(f"{self.key}.{key}", label, value, unit, detail, qualifier, note, cite)
        )

    def breakdown(self, key: str, label: str, counts: dict[str, int], cite: str = "") -> None:
        if not counts:
            self.add(key, label, 0, cite=cite or None)  # an observed zero: nothing in the period
        for name, n in counts.items():
            self.add(f"{key}.{name}", label, n, detail=name, cite=cite or None)

    def durations(self, key: str, label: str, d: Durations, cite: str = "") -> None:
        self.add(
            f"{key}.median",
            label,
            d.median_hours,
            "hours",
            qualifier=N_("(median)"),
            note=NOTHING if d.median_hours is None else None,
            cite=cite or None,
        )
        self.add(
            f"{key}.p95",
            label,
            d.p95_hours,
            "hours",
            qualifier=N_("(95th percentile)"),
            note=NOTHING if d.p95_hours is None else None,
            cite=cite or None,
        )


NOTHING = N_("nothing in the period to measure")
NO_TRUSTED_FLAGGERS = N_("no trusted flaggers designated (DSA art. 22)")
NO_RECIPIENTS = N_("not measured: the platform does not record visits by recipients of the service")
NO_AUTHORITY_ORDERS = N_(
    "no intake for authority orders to act: authorities' information requests are "
    "counted under disclosures"
)
TOOL_PURPOSE = N_(
    "fingerprint matching of uploads against registered works and the stay-down list "
    "(exact hash, image, video, audio, text and code signals)"
)
TOOL_SAFEGUARDS = N_(
    "uncertain matches are held for a person to review; uploaders are told why and may "
    "prove a licence or file a counter-notice; thresholds are set per work type"
)
TOOL_ACCURACY = N_(
    "share of automated restrictions that reviewers released (an upper bound on the error "
    "rate of the decisions that were reviewed)"
)


def sections(f: Figures, profile: str) -> list[Section]:
    n, c, s, e, d = f.notices, f.counters, f.screening, f.enforcement, f.disclosure
    notices = Section("notices", N_("Notices"))
    notices.add("received", N_("Notices received"), n.received)
    notices.add("valid", N_("Valid notices"), n.valid)
    notices.add("incomplete", N_("Incomplete notices, kept for completion"), n.incomplete)
    notices.breakdown("by_type", N_("Notices by type"), n.by_type, "DSA 15(1)(b)")
    notices.breakdown("by_sender", N_("Notices by sender kind"), n.by_sender_kind)
    notices.breakdown("by_channel", N_("Notices by channel"), n.by_channel)
    notices.breakdown("by_profile", N_("Notices by profile"), n.by_profile)
    notices.add(
        "trusted_flaggers",
        N_("Notices from trusted flaggers"),
        n.trusted_flaggers,
        note=NO_TRUSTED_FLAGGERS,
        cite="DSA 15(1)(b), 22",
    )
    notices.add("unfounded", N_("Notices found unfounded"), n.unfounded, cite="Reg 24; DSA 23")

    acting = Section("acting", N_("Action on notices"))
    acting.add("items_named", N_("Items named in valid notices"), n.items_named)
    acting.add("items_acted", N_("Items acted on"), n.items_acted, cite="Reg 15; 512(c)(1)(C)")
    acting.breakdown("by_measure", N_("Items acted on by measure"), n.items_by_measure)
    acting.breakdown("by_location", N_("Items acted on, located by"), n.items_by_location)
    acting.add("automated", N_("Acted on automatically"), n.acted_automatically)
    acting.add("after_review", N_("Acted on after human review"), n.acted_after_review)
    acting.add("dismissed", N_("Items dismissed by a reviewer"), n.items_dismissed)
    acting.add("unlocated", N_("Items that could not be located"), n.items_unlocated)
    acting.durations("time_to_act", N_("Time to act"), n.time_to_act, "C3")
    tta = n.time_to_act
    acting.add("within_24h", N_("Items acted on within 24 hours"), tta.within_24h, cite="C3")
    acting.add(
        "share_within_24h",
        N_("Share acted on within 24 hours"),
        tta.share_within_24h,
        "share",
        note=NOTHING if tta.share_within_24h is None else None,
        cite="C3",
    )
    acting.add("overdue", N_("Act clocks that ran out"), n.overdue)

    counters = Section("complaints", N_("Counter-notices and complaints"))
    counters.add("filed", N_("Counter-notices filed"), c.filed, cite="Reg 16; 512(g); DSA 20")
    counters.add("incomplete", N_("Incomplete counter-notices"), c.incomplete)
    counters.breakdown("by_outcome", N_("Counter-notices by outcome"), c.by_outcome)
    counters.durations("time_to_decide", N_("Time to decide a counter-notice"), c.time_to_decide)
    counters.add("reversals", N_("Decisions reversed on a counter-notice"), c.reversals)
    counters.add("restorations", N_("Restorations"), c.restorations, cite="C4; C5; C10")
    counters.breakdown("restored_by", N_("Restorations by reason"), c.restorations_by_reason)

    screening = Section("screening", N_("Own-initiative measures: upload screening"))
    screening.add("uploads", N_("Uploads screened"), s.uploads)
    screening.breakdown("decisions", N_("Upload decisions"), s.upload_decisions)
    screening.add("restricted", N_("Uploads restricted automatically"), s.restricted_automatically)
    screening.add("reviewed", N_("Automated decisions reviewed by a person"), s.reviewed)
    screening.add("released", N_("Released by a reviewer"), s.review_released)
    screening.add("blocked", N_("Blocked by a reviewer"), s.review_blocked)
    screening.add(
        "overturn_rate",
        N_("Reviewed restrictions released"),
        s.overturn_rate,
        "share",
        note=TOOL_ACCURACY if s.overturn_rate is not None else NOTHING,
    )
    screening.add("median_ms", N_("Screening time (median)"), s.median_screening_ms, "ms")

    strikes = Section("enforcement", N_("Repeat infringers"))
    strikes.add("strikes_added", N_("Strikes given"), e.strikes_added, cite="512(i)")
    strikes.breakdown("strikes_removed", N_("Strikes removed, by reason"), e.strikes_removed)
    strikes.add("appeals", N_("Strike appeals"), e.appeals)
    strikes.add("appeals_decided", N_("Strike appeals decided"), e.appeals_decided)
    strikes.breakdown("levels", N_("Account level changes"), e.level_changes)
    strikes.add("suspensions", N_("Accounts suspended for repeat infringement"), e.suspensions)
    strikes.add("terminations", N_("Accounts terminated"), e.terminations, cite="512(i)")
    strikes.add(
        "status_suspended", N_("Accounts suspended by an administrator"), e.accounts_suspended
    )
    strikes.add("evasions", N_("Attempts to evade a measure detected"), e.evasions)
    strikes.add("authority_reports", N_("Reports to the copyright authority"), e.authority_reports)
    strikes.add(
        "senders_flagged",
        N_("Senders flagged for unfounded notices"),
        n.senders_flagged,
        cite="DSA 23",
    )

    disclosure = Section("disclosure", N_("Disclosure of uploader details"))
    disclosure.breakdown(
        "requests", N_("Disclosure requests"), d.requests_by_kind, "Reg 13; 512(h)"
    )
    disclosure.add("granted", N_("Disclosures granted"), d.granted)
    disclosure.add("refused", N_("Disclosures refused"), d.refused)
    disclosure.durations("time_to_answer", N_("Time to answer a request"), d.time_to_answer)

    lists = Section("lists", N_("Blacklists and sharing"))
    lists.add("blacklist_added", N_("Sites and apps blacklisted"), f.lists.blacklist_added)
    lists.add("links_blocked", N_("Links blocked"), f.lists.links_blocked)
    lists.add("share_imports", N_("Lists imported from partners"), f.lists.share_imports)

    decisions = Section("decisions", N_("Automated and human decisions"))
    decisions.add("automated", N_("Automated decisions"), f.decisions.automated)
    decisions.add("human", N_("Human decisions"), f.decisions.human)
    decisions.add("active_uploaders", N_("Active uploaders"), f.active_uploaders)

    out = [notices, acting, counters, screening, strikes, disclosure, lists, decisions]
    if profile == "eu":
        out.insert(0, dsa_section(f))
    return out


def dsa_section(f: Figures) -> Section:
    """The fields DSA arts. 15 and 24 ask of a transparency report, each answered or
    said to have no source (LEGAL.md, "Transparency report")."""
    n, c, s = f.notices, f.counters, f.screening
    dsa = Section("dsa", N_("DSA transparency fields (arts. 15 and 24)"))
    dsa.add(
        "authority_orders",
        N_("Orders from authorities"),
        f.authority_orders,
        note=NO_AUTHORITY_ORDERS,
        cite="DSA 15(1)(a)",
    )
    dsa.breakdown(
        "authority_requests",
        N_("Information requests from authorities"),
        {k: v for k, v in f.disclosure.requests_by_kind.items() if k == "authority"}
        or {"authority": 0},
        "DSA 15(1)(a)",
    )
    dsa.add("notices", N_("Notices received"), n.received, cite="DSA 15(1)(b)")
    dsa.breakdown("notices_by_type", N_("Notices by type"), n.by_type, "DSA 15(1)(b)")
    dsa.add(
        "trusted_flaggers",
        N_("Notices from trusted flaggers"),
        n.trusted_flaggers,
        note=NO_TRUSTED_FLAGGERS,
        cite="DSA 15(1)(b)",
    )
    dsa.add(
        "legal_ground",
        N_("Items acted on, on legal grounds (copyright)"),
        n.items_acted,
        cite="DSA 15(1)(b)",
    )
    dsa.add(
        "terms_ground",
        N_("Items acted on under the terms and conditions only"),
        0,
        note=N_("every measure on a notice is taken on copyright grounds"),
        cite="DSA 15(1)(b)",
    )
    dsa.add(
        "notices_automated",
        N_("Acted on automatically"),
        n.acted_automatically,
        cite="DSA 15(1)(b)",
    )
    dsa.durations("time_to_act", N_("Time to act"), n.time_to_act, "DSA 15(1)(b)")
    dsa.add(
        "own_initiative",
        N_("Uploads restricted automatically"),
        s.restricted_automatically,
        cite="DSA 15(1)(c)",
    )
    dsa.add("complaints", N_("Counter-notices filed"), c.filed, cite="DSA 15(1)(d)")
    dsa.breakdown(
        "complaint_outcomes", N_("Counter-notices by outcome"), c.by_outcome, "DSA 15(1)(d)"
    )
    dsa.durations(
        "complaint_time", N_("Time to decide a counter-notice"), c.time_to_decide, "DSA 15(1)(d)"
    )
    dsa.add(
        "reversals", N_("Decisions reversed on a counter-notice"), c.reversals, cite="DSA 15(1)(d)"
    )
    dsa.add(
        "tool_purpose", N_("Automated tools: purpose"), TOOL_PURPOSE, "text", cite="DSA 15(1)(e)"
    )
    dsa.add(
        "tool_accuracy",
        N_("Automated tools: accuracy and error rate"),
        s.overturn_rate,
        "share",
        note=TOOL_ACCURACY if s.overturn_rate is not None else NOTHING,
        cite="DSA 15(1)(e)",
    )
    dsa.add(
        "tool_safeguards",
        N_("Automated tools: safeguards"),
        TOOL_SAFEGUARDS,
        "text",
        cite="DSA 15(1)(e)",
    )
    dsa.add(
        "misuse_suspensions",
        N_("Suspensions for misuse"),
        f.enforcement.suspensions + f.enforcement.terminations,
        cite="DSA 23; 24(1)(b)",
    )
    dsa.add(
        "misuse_senders",
        N_("Senders flagged for unfounded notices"),
        n.senders_flagged,
        cite="DSA 23; 24(1)(b)",
    )
    dsa.add(
        "recipients",
        N_("Average monthly active recipients"),
        f.monthly_active_recipients,
        note=NO_RECIPIENTS,
        cite="DSA 24(2)",
    )
    return dsa


#: breakdown values the platform writes (states, measures, channels, kinds...), marked so
#: the catalogues translate them; a value not listed here is shown as stored
DETAIL_WORDS = (
    N_("image"),
    N_("video"),
    N_("audio"),
    N_("text"),
    N_("code"),
    N_("film"),
    N_("tv"),
    N_("music"),
    N_("literary"),
    N_("software"),
    N_("other"),
    N_("unspecified"),
    N_("holder"),
    N_("agent"),
    N_("email"),
    N_("uploader"),
    N_("reviewer"),
    N_("admin"),
    N_("authority"),
    N_("web"),
    N_("api"),
    N_("csv"),
    N_("cli"),
    N_("remove"),
    N_("block"),
    N_("disable"),
    N_("forward"),
    N_("url"),
    N_("id"),
    N_("title"),
    N_("fingerprint"),
    N_("pending"),
    N_("upheld"),
    N_("rejected"),
    N_("contested"),
    N_("allow"),
    N_("allow-licensed"),
    N_("hold"),
    N_("review"),
    N_("upload"),
    N_("promotion"),
    N_("counter_notice"),
    N_("unfounded_notice"),
    N_("period_expired"),
    N_("appeal"),
    N_("expired"),
    N_("warning"),
    N_("restricted"),
    N_("watched"),
    N_("suspended"),
    N_("terminated"),
)

#: the built-in profiles' titles (profiles/*.toml), translated where shown; a deployment's
#: own profile title is shown as written
PROFILE_TITLES = (
    N_("China: Regulation arts. 14-17, Civil Code arts. 1195-1196"),
    N_("European Union: DSA art. 16 notices, art. 20 complaints; DSM art. 17"),
    N_("United States: DMCA §512(c) and (g)"),
)
