"""The usage engine: platform tables in, the usage measures of :mod:`analysis.measures` out.

Events are aggregated by DuckDB in one pass (:func:`aggregate_events`), straight from a
DataFrame, a parquet file, a CSV file or the native export's own ``events.csv``
(:class:`analysis.platform_io.NativeEvents`), so ten million events never need to be a pandas
frame; everything after the aggregation (accounts x types x groups) is plain pandas.

Who counts (the issue's 'who counts', and ``usage_exclusions.csv``):

* employees only: accounts whose ``user_type`` is not ``employee`` are left out of the user
  measures (they still count as members of groups, apart from employees);
* an account counts for the part of the window in which it existed: from ``joined_at`` (or the
  window's start) to ``deleted_at`` (or the window's end), both days included. Accounts that
  did not exist in the window, suspended accounts (the export does not say since when) and
  deleted accounts without a deletion date are left out and counted;
* events outside the window are left out and counted.

Public functions: :func:`aggregate_events`, :func:`user_measures`, :func:`group_measures`,
:func:`summarise`, :func:`usage_exclusions`, :func:`presence`. Every measure column is named
by its id in :data:`analysis.measures.MEASURES`; a measure the export cannot support is
missing (``<NA>``), never zero, when ``available`` is passed (``PlatformTables.available``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import NamedTuple

import duckdb
import pandas as pd

from analysis import measures
from analysis.log import logger

EventSource = pd.DataFrame | str | Path
REPORT_COLUMNS = ("report_period_start", "report_period_end", "report_posted", "report_read",
                  "report_liked")


class UserMeasures(NamedTuple):
    """What :func:`user_measures` returns; unpacks as ``per_user, exclusions = ...``."""

    measures: pd.DataFrame
    exclusions: pd.DataFrame
_DAY = pd.Timedelta(days=1)


# --------------------------------------------------------------------------------------------
# Who counts

def presence(users: pd.DataFrame, window_start, window_end) -> pd.DataFrame:
    """Tell for each account whether it counts in the window, why not, and for how long.

    Returns
    -------
    DataFrame with ``user``, ``user_type``, ``status`` ('included' or the reason it is left
    out: 'not_employee', 'suspended', 'deleted_without_date', 'not_in_window') and
    ``months_in_window`` (days present / 30.4375; 0 when not present).

    Notes
    -----
    days = min(window_end, deleted_at) - max(window_start, joined_at) + 1 day. The status
    'not_employee' wins over the others; a non-employee that is present keeps its months, so
    that it can be counted as a group member.

    Examples
    --------
    >>> u = pd.DataFrame({"user": ["a"], "user_type": ["employee"], "state": ["active"],
    ...                   "joined_at": pd.to_datetime(["2025-12-01"]),
    ...                   "deleted_at": pd.to_datetime([None])})
    >>> float(presence(u, "2025-09-01", "2026-02-28")["months_in_window"].round(4).iloc[0])
    2.9569
    """
    start, end = pd.Timestamp(window_start), pd.Timestamp(window_end)
    joined = pd.to_datetime(users["joined_at"]).dt.normalize()
    deleted = pd.to_datetime(users["deleted_at"]).dt.normalize()
    first = joined.where(joined > start, start).fillna(start)
    last = deleted.where(deleted < end, end).fillna(end)
    days = ((last - first) / _DAY + 1).clip(lower=0)
    state = users["state"].astype(str)
    status = pd.Series("included", index=users.index, dtype=object)
    status[days <= 0] = "not_in_window"
    status[(state == "deleted") & deleted.isna()] = "deleted_without_date"
    status[state == "suspended"] = "suspended"
    status[users["user_type"].astype(str) != "employee"] = "not_employee"
    present = ~status.isin(["not_in_window", "deleted_without_date", "suspended"])
    months = (days / measures.DAYS_PER_MONTH).where(present, 0.0)
    return pd.DataFrame({"user": users["user"].to_numpy(), "user_type": users["user_type"],
                         "status": status, "months_in_window": months.astype(float)})


def _relation(con: duckdb.DuckDBPyConnection, events: EventSource) -> str:
    """Make ``events`` queryable as the view ``events``; return the view name."""
    if hasattr(events, "register"):  # analysis.platform_io.NativeEvents: the export's CSV
        return events.register(con, "events")
    if isinstance(events, pd.DataFrame):
        con.register("events_frame", events)
        con.execute("CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM events_frame")
    else:
        path = Path(events)
        reader = "read_parquet" if path.suffix == ".parquet" else "read_csv_auto"
        quoted = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM {reader}({quoted})")
    return "events"


def _window_sql(window_start, window_end) -> str:
    start = pd.Timestamp(window_start)
    stop = pd.Timestamp(window_end).normalize() + _DAY
    return (f"created_at >= TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' "
            f"AND created_at < TIMESTAMP '{stop:%Y-%m-%d %H:%M:%S}'")


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET memory_limit = '2GB'")
    return con


# --------------------------------------------------------------------------------------------
# Per user

AGGREGATE_COLUMNS = ("user", "group_id", "event_type", "is_question", "in_window", "n")


def aggregate_events(events: EventSource, window_start, window_end) -> pd.DataFrame:
    """Count the events per user, group, event type, question flag and window, in one pass.

    Parameters
    ----------
    events
        A DataFrame, a parquet or CSV path with the columns of ``platform_events``, or an
        :class:`analysis.platform_io.NativeEvents`. An aggregate is returned as it is.
    window_start, window_end
        The observation window, both days included.

    Returns
    -------
    DataFrame with ``user``, ``group_id``, ``event_type``, ``is_question``, ``in_window``
    and ``n`` (the number of events), one row per combination that occurs. It is small
    (accounts x types x groups) and both :func:`user_measures` and :func:`group_measures`
    accept it instead of the events, so that millions of events are read only once.

    Examples
    --------
    >>> e = pd.DataFrame({"user": ["a", "a"], "event_type": ["like", "like"],
    ...     "created_at": pd.to_datetime(["2025-10-01", "2024-01-01"]), "group_id": [None, None],
    ...     "is_question": [False, False]})
    >>> aggregate_events(e, "2025-09-01", "2026-02-28")[["in_window", "n"]].values.tolist()
    [[False, 1], [True, 1]]
    """
    if _is_aggregate(events):
        return events
    inside = _window_sql(window_start, window_end)
    con = _connect()
    try:
        _relation(con, events)
        try:
            agg = con.execute(f"""
                SELECT "user", group_id, event_type, is_question,
                       coalesce({inside}, FALSE) AS in_window, count(*) AS n
                FROM events GROUP BY ALL
                ORDER BY ALL""").df()
        except duckdb.Error:
            if hasattr(events, "diagnose"):
                events.diagnose(con)  # raises an InputError naming the bad rows
            raise
        unknown = ~agg["event_type"].isin(measures.EVENT_TYPES)
        if unknown.any():
            if hasattr(events, "diagnose"):
                events.diagnose(con)
            raise ValueError(f"unknown event types {sorted(agg.loc[unknown, 'event_type'])}; "
                             f"expected {', '.join(measures.EVENT_TYPES)}")
    finally:
        con.close()
    agg["group_id"] = agg["group_id"].astype(object).where(agg["group_id"].notna(), None)
    agg["is_question"] = agg["is_question"].fillna(False).astype(bool)
    agg["in_window"] = agg["in_window"].astype(bool)
    agg["n"] = agg["n"].astype("int64")
    logger.info("aggregated %d events into %d rows", int(agg["n"].sum()), len(agg))
    return agg


def _is_aggregate(events) -> bool:
    return isinstance(events, pd.DataFrame) and {"in_window", "n"} <= set(events.columns)


def user_measures(users: pd.DataFrame, events: EventSource, memberships: pd.DataFrame,
                  window_start, window_end, *,
                  available: dict[str, bool] | None = None) -> UserMeasures:
    """Compute the user measures for every employee account that existed in the window.

    Parameters
    ----------
    users, events, memberships
        The platform tables (``data/processed/README.md``, ingest); ``events`` may be a
        DataFrame, the path of a parquet or CSV file with the same columns, a
        :class:`analysis.platform_io.NativeEvents`, or the result of :func:`aggregate_events`
        (pass that to both measure functions to read the events once).
    window_start, window_end
        The observation window, both days included (``params.yaml``, ``usage``).
    available
        Measure id -> available (``PlatformTables.available``); by default
        ``users.attrs['available']``, which :func:`analysis.platform_io.read_platform` sets and
        parquet keeps. Measures marked False are missing (``<NA>``/NaN), never zero.

    Returns
    -------
    UserMeasures
        ``measures``: one row per included employee account, sorted by user: ``user``,
        ``organisation``, ``function_group``, then one column per user-level measure id
        (:func:`analysis.measures.ids` with level 'user'): rates as float, shares as nullable
        boolean, counts as nullable integer. ``exclusions``: ``level``, ``reason``, ``n`` as in
        :func:`usage_exclusions` (plus 'unknown_account' events when the events come straight
        from a CSV with ids that users.csv lacks).

    When ``users`` has the Microsoft 365 report columns (``report_posted`` ...), those counts
    replace the events, and each account's report period replaces the window (a warning says
    so when the period and the window differ by more than a week).

    Notes
    -----
    rate = events of the type in the window / months_in_window, with months_in_window =
    days the account existed in the window / 30.4375. active = any recorded action;
    contributor = at least one microblog, comment, document, page or group post;
    reader_only = active and not contributor; never_posted = not contributor.
    profile_complete = share of the profile fields the export holds that are filled in.

    Examples
    --------
    >>> u = pd.DataFrame({"user": ["a"], "organisation": ["G01"], "function_group": ["policy"],
    ...     "user_type": ["employee"], "state": ["active"],
    ...     "joined_at": pd.to_datetime(["2020-01-01"]), "deleted_at": pd.to_datetime([None]),
    ...     **{f"profile_{f}": pd.array([True], dtype="boolean")
    ...        for f in measures.PROFILE_FIELDS}})
    >>> e = pd.DataFrame({"user": ["a"], "event_type": ["like"],
    ...     "created_at": pd.to_datetime(["2025-10-01"]), "group_id": [None],
    ...     "is_question": [False]})
    >>> m = pd.DataFrame({"group_id": pd.Series(dtype=str), "user": pd.Series(dtype=str)})
    >>> row = user_measures(u, e, m, "2025-09-01", "2026-02-28").measures.iloc[0]
    >>> bool(row["active"]), bool(row["reader_only"])
    (True, True)
    """
    if available is None:
        available = users.attrs.get("available")
    if "report_posted" in users:
        return _user_measures_from_counts(users, window_start, window_end, available)

    who = presence(users, window_start, window_end)
    kept = users[(who["status"] == "included").to_numpy()]
    months = who.loc[who["status"] == "included", "months_in_window"].to_numpy()
    base = pd.DataFrame({"user": kept["user"].to_numpy(),
                         "organisation": kept["organisation"].to_numpy(),
                         "function_group": kept["function_group"].to_numpy(),
                         "months_in_window": months})
    agg = aggregate_events(events, window_start, window_end)
    known = agg["user"].notna()
    inside = agg[agg["in_window"] & known]
    by_type = inside.pivot_table(index="user", columns="event_type", values="n",
                                 aggfunc="sum", fill_value=0)
    counts = pd.DataFrame(index=by_type.index)
    for t in measures.EVENT_TYPES:
        counts[f"n_{t}"] = by_type[t] if t in by_type else 0
    asked = inside[inside["is_question"] & inside["event_type"].isin(
        measures.CONTRIBUTION_TYPES)].groupby("user")["n"].sum()
    counts["n_questions"] = asked.reindex(counts.index, fill_value=0)
    counts["n_actions"] = inside.groupby("user")["n"].sum().reindex(counts.index)
    counts = counts.reset_index()

    # what is left out, from the same pass (see usage_exclusions)
    reason = who["status"].where(who["status"] != "not_employee",
                                 "not_employee:" + who["user_type"].astype(str))
    rows = [("account", r, int(n)) for r, n in
            reason[who["status"] != "included"].value_counts().sort_index().items()]
    rows += [("event", "outside_window", int(agg.loc[~agg["in_window"], "n"].sum())),
             ("event", "by_left_out_account",
              int(inside.loc[~inside["user"].isin(base["user"]), "n"].sum()))]
    if not known.all():
        rows.append(("event", "unknown_account", int(agg.loc[~known, "n"].sum())))
    exclusions = _exclusion_table(rows)
    frame = base.merge(counts, on="user", how="left")
    count_cols = [c for c in counts.columns if c != "user"]
    frame[count_cols] = frame[count_cols].fillna(0).astype("int64")

    out = frame[["user", "organisation", "function_group"]].copy()
    for t in measures.EVENT_TYPES:
        out[f"{t}s_per_month"] = frame[f"n_{t}"] / frame["months_in_window"]
    posts = frame[[f"n_{t}" for t in measures.CONTRIBUTION_TYPES]].sum(axis=1)
    out["posts_per_month"] = posts / frame["months_in_window"]
    out["questions"] = frame["n_questions"].astype("Int64")
    out["active"] = (frame["n_actions"] > 0).astype("boolean")
    out["contributor"] = (posts > 0).astype("boolean")
    out["reader_only"] = (out["active"] & ~out["contributor"]).astype("boolean")
    out["never_posted"] = (~out["contributor"]).astype("boolean")
    joined = memberships.groupby("user").size() if len(memberships) else pd.Series(dtype=int)
    out["groups_joined"] = out["user"].map(joined).fillna(0).astype("Int64")
    out["months_in_window"] = frame["months_in_window"]
    out = _add_profile(out, kept)
    out = _mask_unavailable(out, available)
    logger.info("user measures: %d employee accounts, %d events in the window",
                len(out), int(frame["n_actions"].sum()))
    return UserMeasures(out.sort_values("user", ignore_index=True), exclusions)


def _add_profile(out: pd.DataFrame, users: pd.DataFrame) -> pd.DataFrame:
    fields = [f"profile_{f}" for f in measures.PROFILE_FIELDS]
    profile = users[fields].reset_index(drop=True).astype("boolean")
    for column in fields:
        out[column] = profile[column].to_numpy()
    # share of the fields the export holds: a field missing for everyone is not a field here
    held = [c for c in fields if profile[c].notna().any()]
    out["profile_complete"] = (profile[held].astype("Float64").mean(axis=1).to_numpy()
                               if held else pd.NA)
    out["profile_complete"] = out["profile_complete"].astype("Float64")
    return out


def _mask_unavailable(out: pd.DataFrame, available: dict[str, bool] | None) -> pd.DataFrame:
    if not available:
        return out
    for column in out.columns:
        if column in measures.MEASURES and not available.get(column, True):
            dtype = out[column].dtype
            out[column] = float("nan") if dtype == "float64" else pd.NA
            out[column] = out[column].astype(dtype)
    return out


def _user_measures_from_counts(users, window_start, window_end, available):
    """User measures from per-user counts over a report period (Microsoft 365 reports)."""
    merged = users.rename(columns={c: c.removeprefix("report_") for c in REPORT_COLUMNS})
    starts, ends = merged["period_start"].unique(), merged["period_end"].unique()
    window = (pd.Timestamp(window_start), pd.Timestamp(window_end))
    if len(starts) == 1 and len(ends) == 1 and (
            abs(pd.Timestamp(starts[0]) - window[0]) > 7 * _DAY
            or abs(pd.Timestamp(ends[0]) - window[1]) > 7 * _DAY):
        warnings.warn(
            f"the usage report covers {pd.Timestamp(starts[0]):%Y-%m-%d} to "
            f"{pd.Timestamp(ends[0]):%Y-%m-%d}, not the window {window[0]:%Y-%m-%d} to "
            f"{window[1]:%Y-%m-%d}: its rates are not comparable with exports read over the "
            "window", stacklevel=3)
    # each account's report period plays the role of the window
    parts = []
    for (start, end), chunk in merged.groupby(["period_start", "period_end"]):
        who = presence(chunk, start, end)
        parts.append(chunk.assign(status=who["status"].to_numpy(),
                                  months_in_window=who["months_in_window"].to_numpy()))
    everyone = pd.concat(parts)
    frame = everyone.loc[everyone["status"] == "included"].reset_index(drop=True)
    out = frame[["user", "organisation", "function_group"]].copy()
    months = frame["months_in_window"]
    for t in measures.EVENT_TYPES:
        out[f"{t}s_per_month"] = float("nan")
    out["likes_per_month"] = frame["liked"] / months
    out["posts_per_month"] = frame["posted"] / months
    out["questions"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    out["active"] = ((frame["posted"] + frame["read"] + frame["liked"]) > 0).astype("boolean")
    out["contributor"] = (frame["posted"] > 0).astype("boolean")
    out["reader_only"] = (out["active"] & ~out["contributor"]).astype("boolean")
    out["never_posted"] = (~out["contributor"]).astype("boolean")
    out["groups_joined"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    out["months_in_window"] = months
    out = _add_profile(out, frame)
    available = available or measures.available({"users", "events", "posts", "likes"})
    out = _mask_unavailable(out, available)
    logger.info("user measures from report counts: %d employee accounts", len(out))
    reason = everyone["status"].where(everyone["status"] != "not_employee",
                                      "not_employee:" + everyone["user_type"].astype(str))
    counts = reason[everyone["status"] != "included"].value_counts().sort_index()
    exclusions = pd.DataFrame({"level": "account", "reason": counts.index.astype(str),
                               "n": counts.to_numpy().astype("int64")})
    return UserMeasures(out.sort_values("user", ignore_index=True), exclusions)


# --------------------------------------------------------------------------------------------
# Per group

def group_measures(groups: pd.DataFrame, events: EventSource, memberships: pd.DataFrame,
                   users: pd.DataFrame, window_start, window_end, active_share: float = 0.05,
                   *, available: dict[str, bool] | None = None) -> pd.DataFrame:
    """Compute the group measures for every group that is not deleted.

    Parameters
    ----------
    groups, events, memberships, users
        The platform tables; ``events`` as in :func:`user_measures`.
    window_start, window_end
        The observation window, both days included.
    active_share
        A group is active when at least this share of its members contributed in the window
        (``params.yaml``: ``usage.active_group_share``).
    available
        As in :func:`user_measures`.

    Returns
    -------
    DataFrame, one row per group, sorted by group_id: ``group_id``, ``organisation``,
    ``visibility``, then ``open``, ``members_employees``, ``members_other``, ``group_posts``,
    ``posts_per_member``, ``contributing_members``, ``group_active``.

    Notes
    -----
    Members are the accounts of the membership table that existed in the window (employees
    apart from the others; suspended accounts and accounts deleted before the window do not
    count). group_posts = contributions (not likes) in the group in the window, by anyone.
    posts_per_member = group_posts / members; contributing_members = members with at least
    one contribution in the group / members; group_active = contributing_members >=
    active_share. A group without members has no posts_per_member and is neither active nor
    inactive (missing). The Microsoft 365 groups report gives member and post counts only.
    """
    if available is None:
        available = groups.attrs.get("available") or users.attrs.get("available")
    kept = groups[~groups["deleted"].astype(bool)].reset_index(drop=True)
    out = kept[["group_id", "organisation", "visibility"]].copy()
    out["open"] = (kept["visibility"] == "open").astype("boolean")

    if "member_count" in kept and kept["member_count"].notna().any():
        members = kept["member_count"].astype("Float64")
        out["members_employees"] = pd.array([pd.NA] * len(kept), dtype="Int64")
        out["members_other"] = pd.array([pd.NA] * len(kept), dtype="Int64")
        out["group_posts"] = kept["posted_count"].astype("Int64")
        out["posts_per_member"] = (kept["posted_count"].astype("Float64")
                                   / members.where(members > 0)).astype("Float64")
        out["contributing_members"] = pd.array([pd.NA] * len(kept), dtype="Float64")
        out["group_active"] = pd.array([pd.NA] * len(kept), dtype="boolean")
        return _mask_unavailable(out, available).sort_values("group_id", ignore_index=True)

    who = presence(users, window_start, window_end)
    present = who[who["status"].isin(["included", "not_employee"])
                  & (who["months_in_window"] > 0)]
    member = memberships.merge(present[["user", "user_type"]], on="user", how="inner")
    is_employee = member["user_type"] == "employee"
    employees = member[is_employee].groupby("group_id").size()
    others = member[~is_employee].groupby("group_id").size()

    agg = aggregate_events(events, window_start, window_end)
    posts = agg[agg["in_window"] & agg["group_id"].notna() & agg["user"].notna()
                & agg["event_type"].isin(measures.CONTRIBUTION_TYPES)]
    posts = (posts.assign(group_id=posts["group_id"].astype(str))
             .groupby(["group_id", "user"], as_index=False)["n"].sum())
    per_group = posts.groupby("group_id")["n"].sum()
    contributors = (posts.merge(member[["group_id", "user"]], on=["group_id", "user"])
                    .groupby("group_id").size())

    out["members_employees"] = out["group_id"].map(employees).fillna(0).astype("Int64")
    out["members_other"] = out["group_id"].map(others).fillna(0).astype("Int64")
    n_members = (out["members_employees"] + out["members_other"]).astype("Float64")
    n_members = n_members.where(n_members > 0)
    out["group_posts"] = out["group_id"].map(per_group).fillna(0).astype("Int64")
    out["posts_per_member"] = (out["group_posts"].astype("Float64") / n_members)
    out["contributing_members"] = (out["group_id"].map(contributors).fillna(0)
                                   .astype("Float64") / n_members)
    out["group_active"] = (out["contributing_members"] >= active_share).astype("boolean")
    out = _mask_unavailable(out, available)
    logger.info("group measures: %d groups (%d deleted left out)", len(out),
                len(groups) - len(kept))
    return out.sort_values("group_id", ignore_index=True)


# --------------------------------------------------------------------------------------------
# Per organisation and function group

def summarise(user_table: pd.DataFrame, group_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Summarise the measures per organisation and function group, in one long table.

    Parameters
    ----------
    user_table
        The output of :func:`user_measures`.
    group_table
        The output of :func:`group_measures`, or None.

    Returns
    -------
    DataFrame with ``organisation``, ``function_group`` (a function group, or 'all' for the
    organisation's employees together; group summaries are always 'all'), ``measure`` (a
    measure id), ``n`` (accounts or groups with a value) and ``value``.

    Notes
    -----
    Shares are the mean of the 0/1 values (the share of accounts or groups), rates and
    counts the mean over accounts. Missing values (measures the export cannot support) are
    left out; a measure with no value at all gets ``value`` missing and ``n`` 0. Groups:
    ``groups_open``/``groups_closed`` count the groups, ``share_open_groups_active`` and
    ``share_closed_groups_active`` are the share of active groups among those with members.

    Examples
    --------
    >>> t = pd.DataFrame({"user": ["a", "b"], "organisation": ["G01", "G01"],
    ...     "function_group": ["policy", "policy"],
    ...     "active": pd.array([True, False], dtype="boolean")})
    >>> s = summarise(t)
    >>> float(s.query("function_group == 'all' and measure == 'active'")["value"].iloc[0])
    0.5
    """
    ids = [c for c in user_table.columns if c in measures.MEASURES]
    long = user_table.melt(id_vars=["organisation", "function_group"], value_vars=ids,
                           var_name="measure", value_name="value")
    long["value"] = long["value"].astype("Float64")
    everyone = long.assign(function_group="all")
    both = pd.concat([long, everyone], ignore_index=True)
    rows = (both.groupby(["organisation", "function_group", "measure"], sort=True)["value"]
            .agg(n="count", value="mean").reset_index())
    parts = [rows]
    if group_table is not None and len(group_table):
        g = group_table
        records = []
        for organisation, chunk in g.groupby("organisation", sort=True):
            is_open = chunk["visibility"] == "open"
            for name, value, n in (
                    ("groups_open", float(is_open.sum()), int(is_open.sum())),
                    ("groups_closed", float((~is_open).sum()), int((~is_open).sum()))):
                records.append((organisation, "all", name, n, value))
            for name, mask in (("share_open_groups_active", is_open),
                               ("share_closed_groups_active", ~is_open)):
                active = chunk.loc[mask, "group_active"].dropna().astype(float)
                records.append((organisation, "all", name, len(active),
                                active.mean() if len(active) else pd.NA))
        parts.append(pd.DataFrame(records, columns=["organisation", "function_group",
                                                    "measure", "n", "value"]))
    out = pd.concat(parts, ignore_index=True)
    out["value"] = out["value"].astype("Float64")
    out["n"] = out["n"].astype("int64")
    return out


# --------------------------------------------------------------------------------------------
# What was left out

def usage_exclusions(users: pd.DataFrame, events: EventSource, window_start, window_end,
                     groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Count what the usage measures leave out, and why (``usage_exclusions.csv``).

    Returns
    -------
    DataFrame with ``level`` ('account', 'event', 'group'), ``reason`` and ``n``. Reasons:
    accounts 'not_employee:<user_type>', 'suspended', 'deleted_without_date',
    'not_in_window'; events 'outside_window', 'by_left_out_account' (in the window, by an
    account the user measures leave out; group measures still count those of present
    non-employees); groups 'deleted'.
    """
    who = presence(users, window_start, window_end)
    reason = who["status"].where(who["status"] != "not_employee",
                                 "not_employee:" + who["user_type"].astype(str))
    rows = [("account", r, int(n)) for r, n in
            reason[who["status"] != "included"].value_counts().sort_index().items()]
    con = _connect()
    try:
        _relation(con, events)
        con.register("included", who.loc[who["status"] == "included", ["user"]])
        outside, left_out = con.execute(f"""
            SELECT count(*) FILTER (WHERE NOT ({_window_sql(window_start, window_end)})),
                   count(*) FILTER (WHERE ({_window_sql(window_start, window_end)})
                                    AND i."user" IS NULL)
            FROM events e LEFT JOIN included i ON e."user" = i."user" """).fetchone()
    finally:
        con.close()
    rows += [("event", "outside_window", int(outside)),
             ("event", "by_left_out_account", int(left_out))]
    if groups is not None:
        rows.append(("group", "deleted", int(groups["deleted"].astype(bool).sum())))
    return _exclusion_table(rows)


def _exclusion_table(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["level", "reason", "n"])
    for row in table.itertuples(index=False):
        if row.n:
            logger.info("usage: left out %d %s(s): %s", row.n, row.level, row.reason)
    return table
