"""Read platform usage exports into the four pseudonymised platform tables (ingest stage).

Three export formats are read (documented in ``data/raw/README.md``, 'Platform exports'):

``native``
    The project's own export: a folder with ``users.csv``, ``events.csv``, ``groups.csv`` and
    ``memberships.csv``. Events are streamed by DuckDB, so ten million rows fit in memory.
``yammer``
    A Viva Engage (Yammer) network data export, as the zip file or its unpacked folder
    (``Messages.csv``, ``Users.csv``, ``Groups.csv``). It holds no likes, no profile photos and
    no group memberships.
``m365``
    The Microsoft 365 usage reports for Viva Engage: the activity user detail report and,
    optionally, the groups activity detail report (CSV files in one folder, or one file). They
    count posts, reads and likes per user over a report period; there are no single events.

Every reader ends in the same :class:`PlatformTables`: ``users``, ``events``, ``groups``,
``memberships`` as described in ``data/processed/README.md`` (ingest; the Microsoft 365
report's per-user counts become extra ``report_*`` columns of ``users``), plus ``available``
(measure id -> can this export support it) and ``notes`` (plain sentences for the log and the
report). Names,
e-mail addresses and principal names never leave :func:`read_platform`: user ids are replaced by
``analysis.privacy.pseudonymise(values, key)`` (namespace ``""``, as on the survey side).

Organisation and function group come from the mapping file ``function_group_map.csv``
(columns ``attribute`` [job_title|department|email_domain], ``value``, ``organisation``,
``function_group``); see :func:`assign_groups`.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from analysis import measures
from analysis.codebook import FUNCTION_GROUPS, UNKNOWN_GROUP
from analysis.errors import InputError, problem
from analysis.log import logger
from analysis.organisations import check_known
from analysis.privacy import pseudonymise

FORMATS = ("native", "yammer", "m365")
USER_TYPES = ("employee", "citizen", "partner", "guest", "service", "test")
STATES = ("active", "suspended", "deleted")
VISIBILITIES = ("open", "closed")
MAP_ATTRIBUTES = ("job_title", "department", "email_domain")
UNKNOWN = UNKNOWN_GROUP
REPORT_COUNTS = ("posted", "read", "liked")
_CONCEALED = re.compile(r"^[0-9a-fA-F]{32}$")


# --------------------------------------------------------------------------------------------
# Schemas of the four tables (data/processed/README.md, ingest)

def _is_datetime(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series)


_DATETIME = pa.Check(_is_datetime, element_wise=False, error="must be a datetime column")
_HASH = pa.Check.str_matches(r"^[0-9a-f]{20}$")

USERS_SCHEMA = pa.DataFrameSchema(
    {
        "user": pa.Column(str, _HASH, unique=True),
        "organisation": pa.Column(str),
        "function_group": pa.Column(str, pa.Check.isin([*FUNCTION_GROUPS, UNKNOWN])),
        "user_type": pa.Column(str, pa.Check.isin(USER_TYPES)),
        "state": pa.Column(str, pa.Check.isin(STATES)),
        "joined_at": pa.Column(checks=_DATETIME, nullable=True),
        "deleted_at": pa.Column(checks=_DATETIME, nullable=True),
        **{f"profile_{f}": pa.Column("boolean", nullable=True) for f in measures.PROFILE_FIELDS},
        # only the Microsoft 365 report: counts per user over its report period, no events
        "report_period_start": pa.Column(checks=_DATETIME, required=False),
        "report_period_end": pa.Column(checks=_DATETIME, required=False),
        **{f"report_{c}": pa.Column("int64", pa.Check.ge(0), required=False)
           for c in REPORT_COUNTS},
    },
    strict=True,
    name="platform_users",
)
EVENTS_SCHEMA = pa.DataFrameSchema(
    {
        "user": pa.Column(str, _HASH),
        "event_type": pa.Column(str, pa.Check.isin(measures.EVENT_TYPES)),
        "created_at": pa.Column(checks=_DATETIME),
        "group_id": pa.Column(str, nullable=True),
        "is_question": pa.Column(bool),
    },
    strict=True,
    name="platform_events",
)
GROUPS_SCHEMA = pa.DataFrameSchema(
    {
        "group_id": pa.Column(str, unique=True),
        "organisation": pa.Column(str),
        "visibility": pa.Column(str, pa.Check.isin(VISIBILITIES)),
        "created_at": pa.Column(checks=_DATETIME, nullable=True),
        "deleted": pa.Column(bool),
        # only the Microsoft 365 groups report: counts without a member list or events
        "member_count": pa.Column("Int64", nullable=True, required=False),
        "posted_count": pa.Column("Int64", nullable=True, required=False),
    },
    strict=True,
    name="platform_groups",
)
MEMBERSHIPS_SCHEMA = pa.DataFrameSchema(
    {"group_id": pa.Column(str), "user": pa.Column(str, _HASH)},
    strict=True,
    unique=["group_id", "user"],
    name="platform_memberships",
)


@dataclass
class PlatformTables:
    """The platform tables of one export, pseudonymised, plus what the export can support.

    ``events`` is a DataFrame, or the path of a parquet file when :func:`read_platform` was
    asked to stream the events to disk (``events_out``), or a :class:`NativeEvents` that reads
    them when queried (``lazy_events``). The Microsoft 365 report has no single
    events: its per-user counts are extra ``users`` columns (``report_period_start``,
    ``report_period_end``, ``report_posted``, ``report_read``, ``report_liked``) and ``events``
    is empty. ``available`` and ``notes`` are also stored in ``users.attrs`` and
    ``groups.attrs``, which pandas keeps in parquet files, so that the usage stage knows what
    the export could support without being told again.
    """

    users: pd.DataFrame
    events: pd.DataFrame | Path | NativeEvents
    groups: pd.DataFrame
    memberships: pd.DataFrame
    available: dict[str, bool]
    notes: list[str] = field(default_factory=list)
    format: str = "native"


# --------------------------------------------------------------------------------------------
# Mapping users to organisation and function group

def load_mapping(mapping: pd.DataFrame | str | Path,
                 organisations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and check the function group mapping; return it with ``value`` folded to lower case.

    Raises
    ------
    InputError
        A missing column, an unknown attribute or function group, or an organisation code
        that ``organisations`` (when given) does not list; the problem names the row.
    """
    source = "function_group_map" if isinstance(mapping, pd.DataFrame) else str(mapping)
    if isinstance(mapping, pd.DataFrame):
        frame = mapping.copy()
    else:
        if not Path(mapping).exists():
            raise InputError(problem(mapping, None, None, None,
                                     "the function group mapping (file not found)"))
        if _is_empty(Path(mapping)):
            raise InputError(problem(mapping, None, None, None,
                                     "the function group mapping with a header row attribute,"
                                     "value,organisation,function_group: the file is empty"))
        frame = pd.read_csv(mapping, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("attribute", "value", "organisation", "function_group")
               if c not in frame.columns]
    if missing:
        raise InputError(problem(source, 1, missing[0], None,
                                 "columns attribute, value, organisation, function_group"))
    frame = frame[["attribute", "value", "organisation", "function_group"]].fillna("")
    frame = frame.apply(lambda s: s.astype(str).str.strip())
    known = None if organisations is None else set(organisations["code"].astype(str))
    problems = []
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        if row.attribute not in MAP_ATTRIBUTES:
            problems.append(problem(source, i, "attribute", row.attribute,
                                    " | ".join(MAP_ATTRIBUTES)))
        if row.function_group and row.function_group not in FUNCTION_GROUPS:
            problems.append(problem(source, i, "function_group", row.function_group,
                                    " | ".join(FUNCTION_GROUPS) + " or blank"))
        if row.organisation and known is not None and row.organisation not in known:
            problems.append(problem(source, i, "organisation", row.organisation,
                                    "a code listed in organisations.csv"))
        if not row.organisation and not row.function_group:
            problems.append(problem(source, i, "function_group", "",
                                    "an organisation or a function group (both are blank)"))
    if problems:
        raise InputError(problems)
    frame["value"] = frame["value"].str.lower()
    return frame


def _fold(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").astype(str).str.strip().str.lower()


def assign_groups(attributes: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """Give each user an organisation and a function group from the mapping rows.

    Parameters
    ----------
    attributes
        One row per user with any of ``organisation``, ``job_title``, ``department``,
        ``email_domain`` (missing columns count as blank).
    mapping
        The checked mapping, from :func:`load_mapping`.

    Returns
    -------
    DataFrame with ``organisation`` and ``function_group``, aligned with ``attributes``.

    Notes
    -----
    Organisation: the user's own ``organisation`` when the export has one, else the first
    mapping row with an organisation that matches the e-mail domain, then the department,
    then the job title. Function group: the first row with a function group that matches the
    job title, then the department, then the e-mail domain, among rows whose organisation is
    blank or the user's. Matching ignores case and surrounding spaces. No match: 'unknown'.

    Examples
    --------
    >>> m = load_mapping(pd.DataFrame({"attribute": ["department"], "value": ["Burgerzaken"],
    ...     "organisation": [""], "function_group": ["external"]}))
    >>> assign_groups(pd.DataFrame({"organisation": ["G01"], "department": ["burgerzaken"]}),
    ...               m).iloc[0].tolist()
    ['G01', 'external']
    """
    n = len(attributes)
    values = {a: (_fold(attributes[a]) if a in attributes else pd.Series([""] * n,
                                                                       index=attributes.index))
              for a in MAP_ATTRIBUTES}
    own = (attributes["organisation"].astype("string").fillna("").astype(str).str.strip()
           if "organisation" in attributes else pd.Series([""] * n, index=attributes.index))
    organisation = own.astype(object).where(own != "", None)
    for attribute in ("email_domain", "department", "job_title"):
        rows = mapping[(mapping["attribute"] == attribute) & (mapping["organisation"] != "")]
        lookup = rows.drop_duplicates("value").set_index("value")["organisation"]
        organisation = organisation.fillna(values[attribute].map(lookup).astype(object))
    organisation = organisation.fillna(UNKNOWN).astype(str)

    function_group = pd.Series(None, index=attributes.index, dtype="object")
    for attribute in ("job_title", "department", "email_domain"):
        rows = mapping[(mapping["attribute"] == attribute) & (mapping["function_group"] != "")]
        # rows for one organisation first, then rows that hold for every organisation
        specific = rows[rows["organisation"] != ""]
        key = organisation + "\x1f" + values[attribute]
        lookup = (specific.assign(k=specific["organisation"] + "\x1f" + specific["value"])
                  .drop_duplicates("k").set_index("k")["function_group"])
        function_group = function_group.fillna(key.map(lookup).astype(object))
        general = rows[rows["organisation"] == ""].drop_duplicates("value")
        function_group = function_group.fillna(
            values[attribute].map(general.set_index("value")["function_group"]).astype(object))
    function_group = function_group.fillna(UNKNOWN).astype(str)
    return pd.DataFrame({"organisation": organisation, "function_group": function_group},
                        index=attributes.index)


def _email_domain(email: pd.Series) -> pd.Series:
    text = _fold(email)
    return text.str.extract(r"@([^@\s]+)$", expand=False).fillna("")


# --------------------------------------------------------------------------------------------
# Small helpers for checking columns and values

def _require(frame: pd.DataFrame, columns: list[str], source: str, header_line: int = 1):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError([problem(source, header_line, c, None, "this column in the header")
                          for c in missing])


def _check_values(frame: pd.DataFrame, column: str, allowed, source: str,
                  nullable: bool = False) -> None:
    values = frame[column]
    bad = ~values.isin(allowed)
    if nullable:
        bad &= values.notna() & (values.astype(str).str.strip() != "")
    if bad.any():
        rows = list(bad[bad].index[:5])
        raise InputError([problem(source, int(r) + 1, column, frame.at[r, column],
                                  " | ".join(allowed)) for r in rows])


def _datetimes(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    text = frame[column].fillna("").astype(str).str.strip()
    text = text.str.replace(r"\s*(UTC|Z)$", "", regex=True).str.replace("T", " ", regex=False)
    parsed = pd.to_datetime(text.where(text != ""), errors="coerce", format="mixed")
    bad = parsed.isna() & (text != "")
    if bad.any():
        r = bad[bad].index[0]
        raise InputError(problem(source, int(r) + 1, column, frame.at[r, column],
                                 "a date or date and time, e.g. 2025-09-01 14:05:00"))
    return parsed.astype("datetime64[us]")


def _flag(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    text = _fold(frame[column])
    truth = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False,
             "": False}
    bad = ~text.isin(list(truth))
    if bad.any():
        r = bad[bad].index[0]
        raise InputError(problem(source, int(r) + 1, column, frame.at[r, column],
                                 "0 or 1 (or true/false)"))
    return text.map(truth).astype(bool)


def _filled(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="boolean")
    return (_fold(frame[column]) != "").astype("boolean")


def _is_empty(file: Path | io.BytesIO) -> bool:
    """True for a file with nothing in it but perhaps a byte order mark and white space."""
    def blank(data: bytes) -> bool:
        return not data.removeprefix(b"\xef\xbb\xbf").strip()

    if isinstance(file, io.BytesIO):
        return blank(file.getvalue())
    with Path(file).open("rb") as handle:
        return blank(handle.read(4096)) and blank(Path(file).read_bytes())


def _read_csv(path: Path | io.BytesIO, source: str) -> pd.DataFrame:
    if _is_empty(path):
        raise InputError(problem(source, None, None, None,
                                 "a UTF-8 CSV file with a header row: the file is empty"))
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                           encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(problem(source, None, None, None,
                                 f"a UTF-8 CSV file with a header row ({exc})")) from None


def _user_table(raw: pd.DataFrame, key: bytes, mapping: pd.DataFrame, id_column: str,
                notes: list[str], source: str) -> pd.DataFrame:
    """Common tail of every reader: hash ids, map groups, keep only the contract columns.

    Raises :class:`InputError` naming ``source`` when the export holds no employee account:
    every usage measure counts employees, so nothing could be measured.
    """
    employees = raw["user_type"] == "employee"
    if not employees.any():
        kinds = ", ".join(f"{t} {n}" for t, n in raw["user_type"].value_counts().items())
        raise InputError(problem(source, None, None, None,
                                 "at least one employee account (user_type 'employee'): "
                                 "the usage measures count employees only, and this file has "
                                 f"no employee accounts among its {len(raw)} user rows"
                                 f"{' (' + kinds + ')' if kinds else ''}"))
    attributes = pd.DataFrame({c: raw[c] if c in raw else pd.Series("", index=raw.index)
                               for c in ("organisation", "job_title", "department")})
    attributes["email_domain"] = (_email_domain(raw["email"]) if "email" in raw
                                  else raw.get("email_domain", ""))
    groups = assign_groups(attributes, mapping)
    users = pd.DataFrame({
        "user": pseudonymise(raw[id_column], key).astype(str),
        "organisation": groups["organisation"],
        "function_group": groups["function_group"],
        "user_type": raw["user_type"],
        "state": raw["state"],
        "joined_at": raw["joined_at"],
        "deleted_at": raw["deleted_at"],
    })
    for f in measures.PROFILE_FIELDS:
        users[f"profile_{f}"] = raw[f"profile_{f}"].astype("boolean")
    employees = users["user_type"] == "employee"
    unmapped = int((employees & (users["function_group"] == UNKNOWN)).sum())
    no_org = int((employees & (users["organisation"] == UNKNOWN)).sum())
    if unmapped:
        notes.append("Employee accounts without a function group in the mapping file, counted "
                     f"as 'unknown': {unmapped} of {int(employees.sum())}.")
    if no_org:
        notes.append(f"Employee accounts without an organisation, counted as 'unknown': "
                     f"{no_org}.")
    return users.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# The native export

def _read_native(folder: Path, mapping: pd.DataFrame, key: bytes,
                 events_out: Path | None, lazy_events: bool = False,
                 organisations: pd.DataFrame | None = None) -> PlatformTables:
    notes: list[str] = []
    src = {name: folder / f"{name}.csv" for name in ("users", "events", "groups", "memberships")}
    for name, path in src.items():
        if not path.exists():
            try:
                other = detect_format(folder)
            except InputError:
                other = "native"
            hint = (f" (the folder looks like a '{other}' export: set the format to '{other}' "
                    "or 'auto')") if other != "native" else ""
            raise InputError(problem(path, None, None, None,
                                     f"the native export's {name}.csv in {folder}{hint}"))

    raw = _read_csv(src["users"], str(src["users"]))
    source = problem(src["users"]).file
    _require(raw, ["user_id", "organisation", "user_type", "state", "joined_at"], source)
    _check_values(raw, "user_type", USER_TYPES, source)
    _check_values(raw, "state", STATES, source)
    if raw["user_id"].duplicated().any():
        r = raw.index[raw["user_id"].duplicated()][0]
        raise InputError(problem(source, int(r) + 1, "user_id", raw.at[r, "user_id"],
                                 "each user_id once"))
    if organisations is not None:  # blank: taken from the mapping file, checked there
        check_known(raw["organisation"].fillna("").str.strip().replace("", None),
                    organisations, source, "organisation")
    raw["joined_at"] = _datetimes(raw, "joined_at", source)
    raw["deleted_at"] = (_datetimes(raw, "deleted_at", source) if "deleted_at" in raw
                         else pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]"))
    raw["profile_photo"] = (_flag(raw, "photo", source).astype("boolean") if "photo" in raw
                            else pd.Series(pd.NA, index=raw.index, dtype="boolean"))
    for f in ("phone", "job_title", "department", "about", "expertise"):
        raw[f"profile_{f}"] = _filled(raw, f)
    users = _user_table(raw, key, mapping, "user_id", notes, source)
    id_map = pd.DataFrame({"user_id": raw["user_id"].astype(str), "user": users["user"]})

    if lazy_events:
        events, n_unknown = NativeEvents(src["events"], id_map), 0
        notes.append("The events are read from events.csv when the measures are computed; "
                     "events of unknown user ids are counted there.")
    else:
        events, n_unknown = _native_events(src["events"], id_map, events_out)
    if n_unknown:
        notes.append("Events by user ids that users.csv does not list, left out: "
                     f"{n_unknown}.")

    graw = _read_csv(src["groups"], str(src["groups"]))
    gsource = problem(src["groups"]).file
    _require(graw, ["group_id", "organisation", "visibility"], gsource)
    _check_values(graw, "visibility", VISIBILITIES, gsource)
    if organisations is not None:
        check_known(graw["organisation"].fillna("").str.strip().replace("", None),
                    organisations, gsource, "organisation")
    groups = pd.DataFrame({
        "group_id": graw["group_id"].astype(str),
        "organisation": graw["organisation"].fillna(UNKNOWN).astype(str),
        "visibility": graw["visibility"].astype(str),
        "created_at": (_datetimes(graw, "created_at", gsource) if "created_at" in graw
                       else pd.Series(pd.NaT, index=graw.index, dtype="datetime64[us]")),
        "deleted": (_flag(graw, "deleted", gsource) if "deleted" in graw
                    else pd.Series(False, index=graw.index)),
    })

    mraw = _read_csv(src["memberships"], str(src["memberships"]))
    _require(mraw, ["group_id", "user_id"], problem(src["memberships"]).file)
    memberships = (mraw[["group_id", "user_id"]].astype(str)
                   .merge(id_map, on="user_id", how="inner")[["group_id", "user"]]
                   .drop_duplicates().reset_index(drop=True))
    lost = len(mraw) - len(memberships)
    if lost:
        notes.append(f"Memberships of unknown users or listed twice, left out: {lost}.")

    fields = {f for f in measures.PROFILE_FIELDS
              if f == "photo" and "photo" in raw or f != "photo" and f in raw}
    capabilities = {"users", "events", "event_types", "posts", "likes", "documents", "pages",
                    "questions", "memberships", "groups", "group_activity", "member_counts",
                    "profile", *(f"profile_{f}" for f in fields)}
    return PlatformTables(users, events, groups, memberships,
                          _availability(capabilities), notes, "native")


def _native_events(path: Path, id_map: pd.DataFrame,
                   events_out: Path | None) -> tuple[pd.DataFrame | Path, int]:
    """Read events.csv with DuckDB: hash users by a join, check types, derive is_question.

    Returns the events (a DataFrame, or ``events_out`` after writing it) and the number of
    events whose user id is not in users.csv (left out).
    """
    source = problem(path).file
    con = duckdb.connect()
    try:
        con.register("id_map", id_map)
        select = _native_select(con, path)
        # One pass over the CSV (the costly part). Events by unknown users are kept at first
        # (user NULL) so that they can be counted, then dropped.
        try:
            if events_out is not None:
                events_out = Path(events_out)
                events_out.parent.mkdir(parents=True, exist_ok=True)
                # streamed straight to parquet: ten million rows never sit in memory
                con.execute(f"COPY ({select}) TO {_quote(events_out)} (FORMAT parquet)")
                kept = f"read_parquet({_quote(events_out)})"
            else:
                con.execute(f"CREATE TEMP TABLE ev AS {select}")
                kept = "ev"
        except duckdb.Error:
            _diagnose_events(con, path, source)
            raise
        allowed = ", ".join(f"'{t}'" for t in measures.EVENT_TYPES)
        n_bad, n_unknown, total = con.execute(f"""
            SELECT count(*) FILTER (WHERE event_type NOT IN ({allowed})
                                       OR event_type IS NULL OR created_at IS NULL),
                   count(*) FILTER (WHERE user IS NULL), count(*)
            FROM {kept}""").fetchone()
        if n_bad:
            _diagnose_events(con, path, source)
        if n_unknown and events_out is not None:
            interim = events_out.with_suffix(".partial.parquet")
            events_out.replace(interim)
            con.execute(f"""COPY (SELECT * FROM read_parquet({_quote(interim)})
                                 WHERE user IS NOT NULL) TO {_quote(events_out)}
                            (FORMAT parquet)""")
            interim.unlink()
        elif n_unknown:
            con.execute("DELETE FROM ev WHERE user IS NULL")
        if events_out is not None:
            result: pd.DataFrame | Path = events_out
        else:
            result = con.execute("SELECT * FROM ev").df()
            result = result.astype({"user": str, "event_type": str, "group_id": "str",
                                    "is_question": bool, "created_at": "datetime64[us]"})
        logger.info("read %s: %d events", source, total)
        return result, int(n_unknown)
    finally:
        con.close()


def _native_select(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The SQL that reads events.csv as platform events; ``id_map`` must be registered.

    Events of user ids that ``id_map`` lacks get ``user`` NULL. DuckDB's CSV reader parses the
    timestamps (fast); a value it cannot parse makes the query fail, and
    :func:`_diagnose_events` then names the row.
    """
    source = problem(path).file
    if _is_empty(Path(path)):
        raise InputError(problem(source, None, None, None,
                                 "a UTF-8 CSV file with a header row: the file is empty"))
    header = con.execute(
        f"SELECT * FROM read_csv({_quote(path)}, header=true, all_varchar=true) LIMIT 0"
    ).description
    columns = [d[0] for d in header]
    missing = [c for c in ("user_id", "event_type", "created_at") if c not in columns]
    if missing:
        raise InputError([problem(source, 1, c, None, "this column in the header")
                          for c in missing])
    optional = {c: c in columns for c in ("group_id", "is_question", "text")}
    question = "FALSE"
    if optional["is_question"]:
        question = "coalesce(trim(r.is_question) IN ('1', 'true', 'True'), FALSE)"
    if optional["text"]:
        question += " OR coalesce(rtrim(r.text) LIKE '%?', FALSE)"
    group = "nullif(trim(r.group_id), '')" if optional["group_id"] else "NULL::VARCHAR"
    types = {c: "VARCHAR" for c in columns} | {"created_at": "TIMESTAMP"}
    return f"""
        SELECT m.user AS user, r.event_type AS event_type, r.created_at AS created_at,
               {group} AS group_id, ({question}) AS is_question
        FROM read_csv({_quote(path)}, header=true, columns={_struct(types)},
                      timestampformat='%Y-%m-%d %H:%M:%S') r
        LEFT JOIN id_map m ON r.user_id = m.user_id"""


class NativeEvents:
    """The native export's ``events.csv``, read by DuckDB only when queried (``lazy_events``).

    The usage engine (:func:`analysis.usage.aggregate_events`) queries it as the view
    ``events`` with the columns of ``platform_events``; events of user ids that ``users.csv``
    does not list have ``user`` missing and are counted there. To hash the events inside the
    query it keeps the export's user ids beside their hashes in memory; that map is private,
    never written and not shown by ``repr``.
    """

    def __init__(self, path: Path, id_map: pd.DataFrame):
        self.path = Path(path)
        self._id_map = id_map

    def __repr__(self) -> str:
        return f"NativeEvents({problem(self.path).file!r})"

    def register(self, con: duckdb.DuckDBPyConnection, name: str = "events") -> str:
        """Create the view ``name`` over the CSV in ``con``; return its name."""
        con.register("id_map", self._id_map)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {_native_select(con, self.path)}")
        return name

    def diagnose(self, con: duckdb.DuckDBPyConnection) -> None:
        """Raise an InputError naming the first bad rows of the CSV, if there are any."""
        _diagnose_events(con, self.path, problem(self.path).file)


def _diagnose_events(con: duckdb.DuckDBPyConnection, path: Path, source: str) -> None:
    """Find the first bad rows of events.csv and raise an InputError that names them."""
    allowed = ", ".join(f"'{t}'" for t in measures.EVENT_TYPES)
    rows = con.execute(f"""
        SELECT n, event_type, created_at FROM (
            SELECT row_number() OVER () AS n, event_type, created_at
            FROM read_csv({_quote(path)}, header=true, all_varchar=true))
        WHERE coalesce(trim(event_type), '') NOT IN ({allowed})
           OR try_strptime(trim(created_at), '%Y-%m-%d %H:%M:%S') IS NULL
        ORDER BY n LIMIT 5""").fetchall()
    problems = []
    for n, event_type, created_at in rows:
        if str(event_type).strip() not in measures.EVENT_TYPES:
            problems.append(problem(source, n, "event_type", event_type,
                                    " | ".join(measures.EVENT_TYPES)))
        else:
            problems.append(problem(source, n, "created_at", created_at,
                                    "a time as YYYY-MM-DD HH:MM:SS"))
    if problems:
        raise InputError(problems)


def _quote(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _struct(types: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"


# --------------------------------------------------------------------------------------------
# Viva Engage (Yammer) network data export

_YAMMER_STATES = {"active": "active", "suspended": "suspended", "soft_delete": "deleted",
                  "deleted": "deleted", "hard_delete": "deleted", "deactivated": "suspended"}


def _yammer_files(path: Path) -> dict[str, tuple[pd.DataFrame, str]]:
    wanted = {"messages.csv": "messages", "users.csv": "users", "groups.csv": "groups"}
    found: dict[str, tuple[pd.DataFrame, str]] = {}
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                name = Path(member).name.lower()
                if name in wanted and wanted[name] not in found:
                    label = f"{problem(path).file}!{member}"
                    with archive.open(member) as handle:
                        found[wanted[name]] = (_read_csv(io.BytesIO(handle.read()), label),
                                               label)
    else:
        for file in sorted(path.rglob("*.csv")):
            name = file.name.lower()
            if name in wanted and wanted[name] not in found:
                found[wanted[name]] = (_read_csv(file, str(file)), problem(file).file)
    for name in ("messages", "users", "groups"):
        if name not in found:
            raise InputError(problem(path, None, None, None,
                                     f"{name.capitalize()}.csv in the Viva Engage export"))
    return found


def _read_yammer(path: Path, mapping: pd.DataFrame, key: bytes) -> PlatformTables:
    notes: list[str] = []
    files = _yammer_files(path)

    raw, source = files["users"]
    _require(raw, ["id", "email", "state"], source)
    state = _fold(raw["state"])
    pending = state == "pending"
    if pending.any():
        notes.append("Invited users who never joined (state 'pending'), no platform accounts "
                     f"and left out: {int(pending.sum())}.")
    unknown_state = ~state.isin([*_YAMMER_STATES, "pending"])
    if unknown_state.any():
        r = unknown_state[unknown_state].index[0]
        raise InputError(problem(source, int(r) + 1, "state", raw.at[r, "state"],
                                 " | ".join([*_YAMMER_STATES, "pending"])))
    raw = raw[~pending].copy()
    raw["state"] = state[~pending].map(_YAMMER_STATES)
    raw["user_type"] = "employee"
    raw["joined_at"] = (_datetimes(raw, "joined_at", source) if "joined_at" in raw
                        else pd.NaT)
    raw["deleted_at"] = (_datetimes(raw, "deleted_at", source) if "deleted_at" in raw
                         else pd.NaT)
    raw["profile_job_title"] = _filled(raw, "job_title")
    raw["profile_department"] = _filled(raw, "department")
    for f in ("photo", "phone", "about", "expertise"):
        raw[f"profile_{f}"] = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    notes.append("The Viva Engage export does not say which users are guests: every user with "
                 "a Users.csv row is counted as an employee.")
    users = _user_table(raw, key, mapping, "id", notes, source)
    id_map = dict(zip(raw["id"].astype(str), users["user"], strict=True))

    msg, msource = files["messages"]
    _require(msg, ["id", "sender_id", "created_at"], msource)
    sender_type = _fold(msg["sender_type"]) if "sender_type" in msg else pd.Series(
        "user", index=msg.index)
    not_user = sender_type.ne("user")
    if not_user.any():
        notes.append("Messages sent by bots or systems (sender_type not 'user'), left out: "
                     f"{int(not_user.sum())}.")
    msg = msg[~not_user]
    user = msg["sender_id"].astype(str).map(id_map)
    if user.isna().any():
        notes.append("Messages by senders that Users.csv does not list (or who never joined), "
                     f"left out: {int(user.isna().sum())}.")
    msg, user = msg[user.notna()], user[user.notna()]
    replied = _fold(msg.get("replied_to_id", pd.Series("", index=msg.index))) != ""
    group_id = msg.get("group_id", pd.Series("", index=msg.index)).fillna("").astype(str)
    group_id = group_id.str.strip()
    event_type = pd.Series("microblog", index=msg.index)
    event_type[group_id != ""] = "group_post"
    event_type[replied] = "comment"
    body = msg.get("body", pd.Series("", index=msg.index)).fillna("").astype(str)
    message_type = _fold(msg.get("message_type", pd.Series("", index=msg.index)))
    events = pd.DataFrame({
        "user": user.astype(str),
        "event_type": event_type.astype(str),
        "created_at": _datetimes(msg, "created_at", msource),
        "group_id": group_id.where(group_id != "", None),
        "is_question": (message_type.eq("question") | body.str.rstrip().str.endswith("?"))
        .astype(bool),
    }).reset_index(drop=True)
    notes.append("In the Viva Engage export a reply is a comment, a thread start in a group a "
                 "group post and a thread start outside groups (All Company) a microblog.")

    graw, gsource = files["groups"]
    _require(graw, ["id"], gsource)
    private = _flag(graw, "private", gsource) if "private" in graw else False
    # A Viva Engage group belongs to no organisation; take the organisation of most of the
    # employees who posted in it, which is right on a platform of one organisation.
    poster_org = (events.merge(users[["user", "organisation"]], on="user")
                  .dropna(subset=["group_id"])
                  .groupby("group_id")["organisation"]
                  .agg(lambda s: s.value_counts().index[0]))
    gid = graw["id"].astype(str).str.strip()
    groups = pd.DataFrame({
        "group_id": gid,
        "organisation": gid.map(poster_org).fillna(UNKNOWN).astype(str),
        "visibility": pd.Series(private, index=graw.index).map({True: "closed",
                                                                False: "open"}).astype(str),
        "created_at": (_datetimes(graw, "created_at", gsource) if "created_at" in graw
                       else pd.Series(pd.NaT, index=graw.index, dtype="datetime64[us]")),
        "deleted": (_flag(graw, "deleted", gsource) if "deleted" in graw
                    else pd.Series(False, index=graw.index)),
    })
    notes.append("A group's organisation is that of most employees who posted in it.")
    memberships = pd.DataFrame({"group_id": pd.Series(dtype=str), "user": pd.Series(dtype=str)})
    notes.append("The Viva Engage export holds no likes, no profile photos, phone numbers or "
                 "'about' texts, no documents or pages and no group memberships: those "
                 "measures are not available (not zero).")
    capabilities = {"users", "events", "event_types", "posts", "questions", "groups",
                    "group_activity", "profile", "profile_job_title", "profile_department"}
    return PlatformTables(users, events, groups, memberships,
                          _availability(capabilities), notes, "yammer")


# --------------------------------------------------------------------------------------------
# Microsoft 365 usage reports for Viva Engage

_M365_USER = ("Report Refresh Date", "User Principal Name", "User State", "Posted Count",
              "Read Count", "Liked Count", "Report Period")
_M365_GROUP = ("Report Refresh Date", "Group Display Name", "Is Deleted", "Group Type",
               "Member Count", "Posted Count", "Report Period")
_M365_STATES = {"": "active", "active": "active", "enabled": "active", "deleted": "deleted",
                "suspended": "suspended", "disabled": "suspended", "blocked": "suspended"}


def _counts(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    values = pd.to_numeric(frame[column].fillna("0"), errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        r = bad[bad].index[0]
        raise InputError(problem(source, int(r) + 1, column, frame.at[r, column],
                                 "a whole number of 0 or more"))
    return values.astype("int64")


def _read_m365(path: Path, mapping: pd.DataFrame, key: bytes) -> PlatformTables:
    notes: list[str] = []
    files = [path] if path.is_file() else sorted(path.glob("*.csv"))
    user_report = group_report = None
    for file in files:
        frame = _read_csv(file, str(file))
        frame.columns = [str(c).strip() for c in frame.columns]
        if "User Principal Name" in frame and "Posted Count" in frame:
            user_report = (frame, problem(file).file)
        elif "Group Display Name" in frame:
            group_report = (frame, problem(file).file)
    if user_report is None:
        raise InputError(problem(path, None, None, None,
                                 "the Viva Engage activity user detail report (a CSV with "
                                 "'User Principal Name' and 'Posted Count')"))

    raw, source = user_report
    _require(raw, list(_M365_USER), source)
    upn = raw["User Principal Name"].fillna("").astype(str).str.strip()
    concealed = upn.str.match(_CONCEALED)
    if concealed.all():
        notes.append("User principal names are concealed (32-character hashes): no join to "
                     "function groups or organisations is possible, and no link to survey "
                     "respondents; every account counts as 'unknown'.")
    elif concealed.any():
        notes.append("User principal names concealed (32-character hashes), so these "
                     "accounts cannot be joined to a function group or a survey respondent: "
                     f"{int(concealed.sum())}.")
    state = _fold(raw["User State"])
    unknown_state = ~state.isin(list(_M365_STATES))
    if unknown_state.any():
        r = unknown_state[unknown_state].index[0]
        raise InputError(problem(source, int(r) + 1, "User State", raw.at[r, "User State"],
                                 "Active, Deleted or Suspended"))
    refresh = _datetimes(raw, "Report Refresh Date", source)
    period = _counts(raw, "Report Period", source)
    prepared = pd.DataFrame({
        "id": upn,
        "email": upn.where(~concealed, ""),
        "user_type": "employee",
        "state": state.map(_M365_STATES),
        "joined_at": pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]"),
        "deleted_at": (_datetimes(raw, "State Change Date", source).where(
            state.map(_M365_STATES) == "deleted") if "State Change Date" in raw
            else pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")),
    })
    for f in measures.PROFILE_FIELDS:
        prepared[f"profile_{f}"] = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    users = _user_table(prepared, key, mapping, "id", notes, source)
    period_end = refresh.dt.normalize().reset_index(drop=True)
    users["report_period_start"] = period_end - pd.to_timedelta(period.to_numpy() - 1, unit="D")
    users["report_period_end"] = period_end
    for column, name in zip(REPORT_COUNTS, ("Posted Count", "Read Count", "Liked Count"),
                            strict=True):
        users[f"report_{column}"] = _counts(raw, name, source).to_numpy()
    periods = sorted({f"{a:%Y-%m-%d} to {b:%Y-%m-%d}" for a, b in
                      zip(users["report_period_start"], users["report_period_end"],
                          strict=True)})
    notes.append("The Microsoft 365 report counts posts, reads and likes per user over its "
                 f"report period ({'; '.join(periods)}), not over the study's window; it has "
                 "no single events, no profiles and no group memberships.")
    notes.append("The Microsoft 365 report does not say which users are guests: every listed "
                 "user is counted as an employee.")

    capabilities = {"users", "events", "posts", "likes"}
    if group_report is not None:
        graw, gsource = group_report
        _require(graw, list(_M365_GROUP), gsource)
        gtype = _fold(graw["Group Type"])
        bad = ~gtype.isin(["public", "private"])
        if bad.any():
            r = bad[bad].index[0]
            raise InputError(problem(gsource, int(r) + 1, "Group Type", graw.at[r, "Group Type"],
                                     "Public or Private"))
        groups = pd.DataFrame({
            "group_id": graw["Group Display Name"].astype(str).str.strip(),
            "organisation": UNKNOWN,
            "visibility": gtype.map({"public": "open", "private": "closed"}).astype(str),
            "created_at": pd.Series(pd.NaT, index=graw.index, dtype="datetime64[us]"),
            "deleted": _flag(graw, "Is Deleted", gsource),
            "member_count": _counts(graw, "Member Count", gsource).astype("Int64"),
            "posted_count": _counts(graw, "Posted Count", gsource).astype("Int64"),
        })
        notes.append("The Microsoft 365 groups report names no members: members are not split "
                     "into employees and others, and whether a group is active cannot be "
                     "told; groups belong to no organisation ('unknown').")
        capabilities |= {"groups", "group_activity", "member_counts"}
    else:
        groups = pd.DataFrame({
            "group_id": pd.Series(dtype=str), "organisation": pd.Series(dtype=str),
            "visibility": pd.Series(dtype=str),
            "created_at": pd.Series(dtype="datetime64[us]"), "deleted": pd.Series(dtype=bool)})
        notes.append("No groups activity report was found: group measures are not available.")
    events = pd.DataFrame({"user": pd.Series(dtype=str), "event_type": pd.Series(dtype=str),
                           "created_at": pd.Series(dtype="datetime64[us]"),
                           "group_id": pd.Series(dtype=str),
                           "is_question": pd.Series(dtype=bool)})
    memberships = pd.DataFrame({"group_id": pd.Series(dtype=str), "user": pd.Series(dtype=str)})
    return PlatformTables(users, events, groups, memberships, _availability(capabilities),
                          notes, "m365")


# --------------------------------------------------------------------------------------------

def _availability(capabilities: set[str]) -> dict[str, bool]:
    return measures.available(capabilities)


def detect_format(path: str | Path) -> str:
    """Tell which export ``path`` holds: 'native', 'yammer' or 'm365'.

    Examples
    --------
    >>> from pathlib import Path
    >>> detect_format(Path(__file__).parent.parent / "tests" / "data" / "yammer_export")
    'yammer'
    """
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        return "yammer"
    if path.is_dir():
        names = {p.name.lower() for p in path.rglob("*.csv")}
        if {"users.csv", "events.csv"} <= names:
            return "native"
        if {"messages.csv", "users.csv"} <= names:
            return "yammer"
    candidates = [path] if path.is_file() else sorted(path.glob("*.csv")) if path.is_dir() else []
    for file in candidates:
        with file.open(encoding="utf-8-sig") as handle:
            if "User Principal Name" in handle.readline():
                return "m365"
    raise InputError(problem(path, None, None, None,
                             "a native export folder, a Viva Engage export (zip or folder) or "
                             "Microsoft 365 Viva Engage report CSVs"))


def read_platform(path: str | Path, fmt: str = "auto", *, mapping: pd.DataFrame | str | Path,
                  key: bytes, organisations: pd.DataFrame | None = None,
                  events_out: str | Path | None = None,
                  lazy_events: bool = False) -> PlatformTables:
    """Read one platform export into pseudonymised platform tables.

    Parameters
    ----------
    path
        The export: a native folder, a Viva Engage zip or folder, or the Microsoft 365 report
        CSVs (a folder or the user detail file).
    fmt
        'auto' (see :func:`detect_format`), 'native', 'yammer' or 'm365'.
    mapping
        The function group mapping (``function_group_map.csv``) or its path.
    key
        The pseudonymisation key (:func:`analysis.privacy.hash_key`).
    organisations
        ``organisations.csv`` as a frame; when given, the mapping's organisation codes must be
        in it, and so must the organisations the export names.
    events_out
        Native export only: stream the events to this parquet file and return its path as
        ``events`` instead of a DataFrame (for exports of millions of events).
    lazy_events
        Native export only: do not read ``events.csv`` now; ``events`` is a
        :class:`NativeEvents` that the usage engine reads in one pass when it computes the
        measures (fastest for millions of events; the ingest stage writes parquet instead).

    Returns
    -------
    PlatformTables

    Raises
    ------
    InputError
        For a missing file or column or a value the export format does not allow.

    Notes
    -----
    Names, e-mail addresses, phone numbers, principal names and message texts are read only to
    derive the e-mail domain, the profile flags and the question flag, and are dropped here.
    A user hash is ``pseudonymise(user id, key)`` with namespace ``""``: the native export's
    ``user_id``, the Viva Engage ``id``, the Microsoft 365 user principal name (lower case).

    Examples
    --------
    >>> from pathlib import Path
    >>> data = Path(__file__).parent.parent / "tests" / "data"
    >>> tables = read_platform(data / "yammer_export.zip", mapping=data / "yammer_export_map.csv",
    ...                        key=b"k")
    >>> tables.available["likes_per_month"], "name" in tables.users
    (False, False)
    """
    path = Path(path)
    if not path.exists():
        raise InputError(problem(path, None, None, None, "an existing export file or folder"))
    if path.is_file() and _is_empty(path):
        raise InputError(problem(path, None, None, None,
                                 "a platform export (a Viva Engage zip or a Microsoft 365 "
                                 "report CSV): the file is empty"))
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be 'auto' or one of {FORMATS}, not {fmt!r}")
    checked = load_mapping(mapping, organisations)
    if fmt == "native":
        tables = _read_native(path, checked, key, None if events_out is None
                              else Path(events_out), lazy_events, organisations)
    elif fmt == "yammer":
        tables = _read_yammer(path, checked, key)
    else:
        tables = _read_m365(path, checked, key)

    if organisations is not None:  # a safety net: each reader checks the codes it reads
        known = set(organisations["code"].astype(str)) | {UNKNOWN}
        for name, frame in (("users", tables.users), ("groups", tables.groups)):
            strange = sorted(set(frame["organisation"]) - known)
            if strange:
                raise InputError(problem(path, None, "organisation", strange[0],
                                         f"an organisation code from organisations.csv "
                                         f"(in the {name} table read from this export)"))
    validate(tables)
    for frame in (tables.users, tables.groups):
        frame.attrs.update({"available": dict(tables.available), "notes": list(tables.notes),
                            "format": fmt})
    for note in tables.notes:
        logger.info("platform %s: %s", fmt, note)
    logger.info("read %s (%s): %d users, %d groups, %d memberships", problem(path).file, fmt,
                len(tables.users), len(tables.groups), len(tables.memberships))
    return tables


def validate(tables: PlatformTables) -> PlatformTables:
    """Check the four tables against their pandera schemas; return them unchanged."""
    USERS_SCHEMA.validate(tables.users)
    if isinstance(tables.events, pd.DataFrame):
        EVENTS_SCHEMA.validate(tables.events)
    GROUPS_SCHEMA.validate(tables.groups)
    MEMBERSHIPS_SCHEMA.validate(tables.memberships)
    return tables
