"""Every platform usage measure, defined once: id, unit, level, kind, labels and definitions.

The engine (:mod:`analysis.usage`) computes these measures, the benchmark compares them and the
reports quote the label and the one-sentence definition from here, in Dutch or English. A
measure that an export cannot support is reported as *not available* (missing), never as zero;
``needs`` says what an export must hold for the measure to be computed (see
:func:`analysis.platform_io.read_platform`, attribute ``available``).

Levels: ``user`` (one value per employee account), ``group`` (one value per platform group) and
``organisation`` (one value per organisation, from the groups). Kinds: ``share`` (a 0/1 value
per unit, summarised as the share of units), ``rate`` (a count per month or per member),
``count`` (a whole number).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

EVENT_TYPES = ("microblog", "comment", "like", "document", "page", "group_post")
# Event types that create content: a user with one of these in the window is a contributor.
CONTRIBUTION_TYPES = ("microblog", "comment", "document", "page", "group_post")
PROFILE_FIELDS = ("photo", "phone", "job_title", "department", "about", "expertise")
# Average length of a month in days (365.25 / 12): the unit of the per-month rates.
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Measure:
    """One usage measure: what it is called, what it counts and what it needs from an export."""

    id: str
    level: str          # user | group | organisation
    kind: str           # share | rate | count
    unit: str           # in English, e.g. 'per month in the window'
    label_nl: str
    label_en: str
    definition_nl: str
    definition_en: str
    needs: tuple[str, ...] = ()   # export capabilities, see analysis.platform_io.CAPABILITIES

    def label(self, language: str = "nl") -> str:
        """Return the short label in ``language`` ('nl' or 'en')."""
        return self.label_nl if language == "nl" else self.label_en

    def definition(self, language: str = "nl") -> str:
        """Return the one-sentence definition in ``language`` ('nl' or 'en')."""
        return self.definition_nl if language == "nl" else self.definition_en


_EVENT_NL = {"microblog": ("microblogs", "microblogs (berichten op de tijdlijn)"),
             "comment": ("reacties", "reacties op berichten"),
             "like": ("likes gegeven", "likes die de gebruiker gaf"),
             "document": ("documenten", "geplaatste documenten"),
             "page": ("pagina's", "aangemaakte of bewerkte pagina's"),
             "group_post": ("groepsberichten", "berichten in groepen")}
_EVENT_EN = {"microblog": ("microblogs", "microblogs (posts on the timeline)"),
             "comment": ("comments", "comments on posts"),
             "like": ("likes given", "likes the user gave"),
             "document": ("documents", "documents posted"),
             "page": ("pages", "pages created or edited"),
             "group_post": ("group posts", "posts in groups")}
# The native export and Viva Engage name the kind of each action ('event_types'); the
# Microsoft 365 reports only count posts, reads and likes per user.
_EVENT_NEEDS = {"like": ("likes",), "document": ("event_types", "documents"),
                "page": ("event_types", "pages"), "microblog": ("event_types",),
                "comment": ("event_types",), "group_post": ("event_types",)}

_PROFILE_NL = {"photo": "profielfoto", "phone": "telefoonnummer", "job_title": "functietitel",
               "department": "afdeling", "about": "over mij", "expertise": "expertise"}
_PROFILE_EN = {"photo": "profile photo", "phone": "phone number", "job_title": "job title",
               "department": "department", "about": "about me", "expertise": "expertise"}


def _build() -> dict[str, Measure]:
    out: list[Measure] = []
    for event_type in EVENT_TYPES:
        short_nl, long_nl = _EVENT_NL[event_type]
        short_en, long_en = _EVENT_EN[event_type]
        out.append(Measure(
            f"{event_type}s_per_month", "user", "rate", "per month in the window",
            f"{short_nl} per maand", f"{short_en} per month",
            f"Aantal {long_nl} in het meetvenster, gedeeld door het aantal maanden dat het "
            "account in het venster bestond.",
            f"Number of {long_en} in the observation window, divided by the months the account "
            "existed in the window.",
            _EVENT_NEEDS[event_type]))
    out += [
        Measure("posts_per_month", "user", "rate", "per month in the window",
                "bijdragen per maand", "contributions per month",
                "Aantal bijdragen (microblogs, reacties, documenten, pagina's en groepsberichten) "
                "in het meetvenster, gedeeld door het aantal maanden dat het account bestond.",
                "Number of contributions (microblogs, comments, documents, pages and group posts) "
                "in the window, divided by the months the account existed in the window.",
                ("posts",)),
        Measure("questions", "user", "count", "questions in the window",
                "vragen gesteld", "questions asked",
                "Aantal bijdragen in het meetvenster die als vraag gemarkeerd zijn of waarvan de "
                "tekst op een vraagteken eindigt.",
                "Number of contributions in the window marked as a question or whose text ends "
                "in a question mark.",
                ("questions",)),
        Measure("active", "user", "share", "share of accounts",
                "actief", "active",
                "Het account deed in het meetvenster iets dat de export vastlegt (een bijdrage, "
                "een like of, waar bekend, het lezen van een bericht).",
                "The account did anything in the window that the export records (a contribution, "
                "a like or, where recorded, reading a message).",
                ("events",)),
        Measure("contributor", "user", "share", "share of accounts",
                "bijdrager", "contributor",
                "Het account maakte in het meetvenster minstens een bijdrage (microblog, reactie, "
                "document, pagina of groepsbericht).",
                "The account created at least one contribution in the window (microblog, "
                "comment, document, page or group post).",
                ("posts",)),
        Measure("reader_only", "user", "share", "share of accounts",
                "alleen lezer", "reader only",
                "Het account was actief in het meetvenster maar maakte geen enkele bijdrage "
                "(alleen likes of, waar bekend, gelezen berichten).",
                "The account was active in the window but created no contribution (only likes "
                "or, where recorded, messages read).",
                ("events",)),
        Measure("never_posted", "user", "share", "share of accounts",
                "nooit geplaatst", "never posted",
                "Het account maakte in het meetvenster geen enkele bijdrage (lezers en inactieve "
                "accounts samen).",
                "The account created no contribution in the window (readers and inactive "
                "accounts together).",
                ("posts",)),
        Measure("groups_joined", "user", "count", "groups",
                "lid van groepen", "groups joined",
                "Aantal groepen waarvan het account lid is.",
                "Number of groups the account is a member of.",
                ("memberships",)),
        Measure("months_in_window", "user", "rate", "months",
                "maanden in venster", "months in window",
                "Aantal maanden dat het account in het meetvenster bestond (van aanmelding of "
                "begin van het venster tot verwijdering of einde van het venster).",
                "Months the account existed in the window (from joining or the window's start "
                "to deletion or the window's end).",
                ("users",)),
    ]
    for field in PROFILE_FIELDS:
        out.append(Measure(
            f"profile_{field}", "user", "share", "share of accounts",
            f"profiel: {_PROFILE_NL[field]}", f"profile: {_PROFILE_EN[field]}",
            f"Het profiel heeft een ingevuld veld '{_PROFILE_NL[field]}'.",
            f"The profile has the field '{_PROFILE_EN[field]}' filled in.",
            (f"profile_{field}",)))
    out += [
        Measure("profile_complete", "user", "share", "share of fields",
                "profiel compleet", "profile completeness",
                "Aandeel van de profielvelden die de export kent dat ingevuld is.",
                "Share of the profile fields the export holds that are filled in.",
                ("profile",)),
        # group level
        Measure("open", "group", "share", "share of groups", "open groep", "open group",
                "De groep is open: iedereen op het platform kan hem zien en eraan deelnemen.",
                "The group is open: anyone on the platform can see and join it.",
                ("groups",)),
        Measure("members_employees", "group", "count", "members",
                "leden (medewerkers)", "members (employees)",
                "Aantal leden van de groep dat medewerker is.",
                "Number of the group's members who are employees.",
                ("memberships",)),
        Measure("members_other", "group", "count", "members",
                "leden (overig)", "members (others)",
                "Aantal leden van de groep dat geen medewerker is (burgers, partners, gasten, "
                "service- en testaccounts).",
                "Number of the group's members who are not employees (citizens, partners, "
                "guests, service and test accounts).",
                ("memberships",)),
        Measure("group_posts", "group", "count", "contributions in the window",
                "bijdragen in groep", "group contributions",
                "Aantal bijdragen in de groep in het meetvenster (berichten, reacties, "
                "documenten, pagina's).",
                "Number of contributions in the group in the window (posts, comments, "
                "documents, pages).",
                ("group_activity",)),
        Measure("posts_per_member", "group", "rate", "per member",
                "bijdragen per lid", "contributions per member",
                "Aantal bijdragen in de groep in het meetvenster, gedeeld door het aantal leden.",
                "Number of contributions in the group in the window, divided by its members.",
                ("group_activity", "member_counts")),
        Measure("contributing_members", "group", "share", "share of members",
                "bijdragende leden", "contributing members",
                "Aandeel van de leden dat in het meetvenster iets in de groep bijdroeg.",
                "Share of the members who contributed something in the group in the window.",
                ("memberships", "events")),
        Measure("group_active", "group", "share", "share of groups",
                "actieve groep", "active group",
                "De groep is actief: minstens het ingestelde aandeel (standaard 5%) van de leden "
                "droeg in het meetvenster bij.",
                "The group is active: at least the configured share (5% by default) of its "
                "members contributed in the window.",
                ("memberships", "events")),
        # organisation level, from the groups
        Measure("groups_open", "organisation", "count", "groups",
                "open groepen", "open groups",
                "Aantal open groepen (niet verwijderd) van de organisatie.",
                "Number of open groups (not deleted) of the organisation.", ("groups",)),
        Measure("groups_closed", "organisation", "count", "groups",
                "gesloten groepen", "closed groups",
                "Aantal gesloten groepen (niet verwijderd) van de organisatie.",
                "Number of closed groups (not deleted) of the organisation.", ("groups",)),
        Measure("share_open_groups_active", "organisation", "share", "share of groups",
                "actieve open groepen", "active open groups",
                "Aandeel van de open groepen van de organisatie dat actief is.",
                "Share of the organisation's open groups that are active.",
                ("memberships", "events")),
        Measure("share_closed_groups_active", "organisation", "share", "share of groups",
                "actieve gesloten groepen", "active closed groups",
                "Aandeel van de gesloten groepen van de organisatie dat actief is.",
                "Share of the organisation's closed groups that are active.",
                ("memberships", "events")),
    ]
    return {m.id: m for m in out}


MEASURES: dict[str, Measure] = _build()


def get(measure_id: str) -> Measure:
    """Return the measure called ``measure_id``; raise KeyError naming the known ids if absent.

    Examples
    --------
    >>> get("likes_per_month").unit
    'per month in the window'
    """
    try:
        return MEASURES[measure_id]
    except KeyError:
        raise KeyError(f"unknown measure {measure_id!r}; known: {', '.join(MEASURES)}") from None


def ids(level: str | None = None) -> list[str]:
    """Return the measure ids of one level ('user', 'group', 'organisation'), or all of them.

    Examples
    --------
    >>> ids("organisation")[:2]
    ['groups_open', 'groups_closed']
    """
    return [m.id for m in MEASURES.values() if level is None or m.level == level]


def available(capabilities: set[str] | frozenset[str]) -> dict[str, bool]:
    """Tell, per measure, whether an export with these ``capabilities`` can support it.

    Examples
    --------
    >>> available({"events", "posts"})["likes_per_month"]
    False
    """
    return {m.id: set(m.needs) <= set(capabilities) for m in MEASURES.values()}


def table(language: str = "nl") -> pd.DataFrame:
    """Return every measure as a table for a report: id, level, kind, unit, label, definition.

    Examples
    --------
    >>> table("en").set_index("id").loc["contributor", "label"]
    'contributor'
    """
    if language not in {"nl", "en"}:
        raise ValueError(f"language must be 'nl' or 'en', not {language!r}")
    return pd.DataFrame(
        [{"id": m.id, "level": m.level, "kind": m.kind, "unit": m.unit,
          "label": m.label(language), "definition": m.definition(language)}
         for m in MEASURES.values()]
    )
