"""Seeded simulator of the raw exports: the bundled demo and large sets for speed work.

``python -m analysis simulate --out DIR --organisations N --seed S`` writes one complete set of
raw exports in the formats documented in ``data/raw/README.md``: a LimeSurvey-style survey CSV,
the codebook, the organisations and the function-group mapping, and the platform's native export
(users, events, groups, memberships). ``data/raw/demo/`` is its output for the defaults.

The data are fictitious but shaped like the pilot study this project serves, and they carry
*planted effects* so that the analysis has something true to find (and tests can check that it
finds it). :data:`PLANTED` lists them; ``effects=False`` switches all of them off, which gives
the null simulation for false-discovery checks.

Where it sits: upstream of everything; the pipeline never calls it.
"""

from __future__ import annotations

import argparse
import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from analysis import codebook as cb
from analysis.log import logger
from analysis.paths import DEMO

# -- the world ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    code: str
    name: str
    type: str  # municipality | collaboration | shared_service
    size_class: str  # small | medium | large
    platform: str
    email_domain: str
    engagement: float  # latent: drives survey scores and platform use together


# The first three are the ones an N=2 or N=3 simulation keeps: a high, a low and a middle one.
# Names are invented; they carry the quirks of real Dutch names (leading apostrophe, Frisian
# diacritic, province suffix in parentheses, spaces). Three small municipalities share one
# platform ('wlh'); the tax cooperation is a shared service organisation.
ORGANISATIONS = [
    Organisation("NDM", "Nieuw Dalmeer", "municipality", "medium", "ndm", "nieuwdalmeer.nl", 0.9),
    Organisation("ZWK", "Zuidwerk", "municipality", "medium", "zwk", "zuidwerk.nl", -0.7),
    Organisation("SGM", "'s-Gravenmolen", "municipality", "large", "sgm", "s-gravenmolen.nl", 0.2),
    Organisation("WAL", "Wâldsein", "collaboration", "small", "wlh", "waldsein.nl", 0.1),
    Organisation("HOB", "Holtbergen (Ov.)", "collaboration", "small", "wlh", "holtbergen.nl",
                 -0.1),
    Organisation("LUT", "Lutkewier", "collaboration", "small", "wlh", "lutkewier.nl", 0.0),
    Organisation("BRH", "Belastingsamenwerking Rijn en Heide", "shared_service", "medium", "brh",
                 "belastingen-rijnenheide.nl", -0.8),
]
SIZE_WEIGHT = {"small": 1.0, "medium": 2.0, "large": 3.2}
FUNCTION_GROUP_SHARE = {"internal": 0.35, "external": 0.25, "policy": 0.25, "manager": 0.15}

JOB_TITLES = {
    "internal": ["Medewerker HRM", "Medewerker financiën", "Medewerker facilitaire zaken",
                 "Medewerker informatievoorziening", "Juridisch medewerker"],
    "external": ["Handhaver", "Medewerker buitendienst", "Medewerker groen",
                 "Medewerker klantcontact", "Taxateur WOZ"],
    "policy": ["Beleidsmedewerker ruimte", "Beleidsadviseur sociaal domein",
               "Adviseur bedrijfsvoering", "Beleidsmedewerker economie"],
    "manager": ["Teamleider", "Afdelingshoofd", "Directeur", "Manager bedrijfsvoering"],
}
DEPARTMENTS = {
    "internal": "Bedrijfsvoering", "external": "Buitendienst", "policy": "Beleid",
    "manager": "Directie",
}
FUNCTION_GROUP_LABEL = {
    "internal": "Interne dienstverlening", "external": "Externe dienstverlening / buitendienst",
    "policy": "Beleid", "manager": "Leidinggevende",
}
ANSWER_LABEL = {1: "Zeer mee oneens", 2: "Mee oneens", 3: "Neutraal", 4: "Mee eens",
                5: "Zeer mee eens"}

# Planted effects (effects=True). Survey: shifts of the construct's latent mean on the 1-5 scale.
PLANTED = {
    # per unit of organisation engagement
    "org_survey": {"connectedness": 0.35, "collaboration": 0.3, "sharing_motives": 0.25,
                   "sharing_barriers": -0.3, "psych_safety": 0.3, "info_dependence": 0.1,
                   "available_time": 0.2, "culture": 0.35, "intranet_attitude": 0.4},
    # per function group
    "group_survey": {
        "intranet_attitude": {"external": -0.55, "manager": 0.1},
        "culture": {"manager": 0.45},
        "psych_safety": {"manager": 0.2},
        "available_time": {"manager": -0.2, "external": -0.15},
        "connectedness": {"external": -0.2},
    },
    # platform: log-odds of posting at all, and log-rate of activity
    "org_post_logit": 0.9,
    "org_rate_log": 0.5,
    "group_post_logit": {"external": -1.0, "manager": 0.2, "policy": 0.3, "internal": 0.0},
    "group_rate_log": {"external": -0.5, "manager": 0.0, "policy": 0.2, "internal": 0.0},
    # an individual's general positivity in the survey also raises their own platform use
    "person_rate_log": 0.4,
    "open_group_activity": 1.25,  # open groups post this many times as often as closed ones
    "question_logit_per_culture": 1.5,  # culture 'questions may be asked' -> questions on platform
}
BASE_MEAN = {"connectedness": 3.5, "collaboration": 3.4, "sharing_motives": 3.8,
             "sharing_barriers": 2.6, "psych_safety": 3.7, "info_dependence": 3.6,
             "available_time": 3.0, "culture": 3.5, "intranet_attitude": 3.3}

FIELDWORK = (pd.Timestamp("2026-03-02"), pd.Timestamp("2026-04-10"))
WINDOW = (pd.Timestamp("2025-09-01"), pd.Timestamp("2026-03-01"))  # end exclusive
EVENT_MIX = {"microblog": 0.13, "comment": 0.30, "like": 0.0, "document": 0.07, "page": 0.05}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def organisations_for(n: int, rng: np.random.Generator, effects: bool) -> list[Organisation]:
    """The first ``n`` named organisations, then invented municipalities beyond seven."""
    orgs = list(ORGANISATIONS[:n])
    for k in range(len(orgs), n):
        size = rng.choice(["small", "medium", "large"], p=[0.5, 0.35, 0.15])
        code = f"G{k + 1:03d}"
        orgs.append(Organisation(code, f"Gemeente {k + 1:03d}", "municipality", str(size),
                                 code.lower(), f"gemeente{k + 1:03d}.nl",
                                 float(rng.normal(0, 0.5))))
    if not effects:
        orgs = [Organisation(**{**o.__dict__, "engagement": 0.0}) for o in orgs]
    return orgs


# -- platform -------------------------------------------------------------------------------


def _employees(orgs, n_employees, rng, effects):
    weights = np.array([SIZE_WEIGHT[o.size_class] for o in orgs])
    per_org = np.maximum(20, np.round(n_employees * weights / weights.sum()).astype(int))
    org_idx = np.repeat(np.arange(len(orgs)), per_org)
    n = len(org_idx)
    groups = np.array(list(FUNCTION_GROUP_SHARE))
    fg = rng.choice(groups, size=n, p=list(FUNCTION_GROUP_SHARE.values()))
    positivity = rng.normal(0, 1, n)  # the person's general positivity (survey and usage)
    return pd.DataFrame({"org_idx": org_idx, "function_group": fg, "positivity": positivity})


def _platform(orgs, staff, n_events, rng, effects):
    """Build users, groups, memberships and events; return four DataFrames in export form."""
    n_staff = len(staff)
    engagement = np.array([o.engagement for o in orgs])[staff.org_idx]
    fg = staff.function_group.to_numpy()
    p = PLANTED if effects else None

    # users: employees first, then non-employees spread over the platforms
    user_id = np.array([f"u{100000 + i}" for i in range(n_staff)])
    first = rng.choice(["Anna", "Bram", "Chantal", "Daan", "Esra", "Fleur", "Gijs", "Hanneke",
                        "Ilse", "Jeroen", "Kees", "Lotte", "Mohamed", "Noor", "Oscar", "Priya"],
                       n_staff)
    last = rng.choice(["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
                       "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "Dijkstra",
                       "van der Meer", "Yılmaz"], n_staff)
    name = np.char.add(np.char.add(first.astype(str), " "), last.astype(str))
    domain = np.array([o.email_domain for o in orgs])[staff.org_idx]
    email = np.char.add(np.char.add(np.char.replace(np.char.lower(name.astype(str)), " ", "."),
                                    "@"), domain.astype(str))
    job = np.array([rng.choice(JOB_TITLES[g]) for g in fg])
    unmapped = rng.random(n_staff) < 0.04  # some job titles are not in the mapping ...
    job[unmapped] = rng.choice(["Projectmedewerker", "Stagiair", ""], unmapped.sum())
    dept = np.array([DEPARTMENTS[g] for g in fg])  # ... the department still maps them
    dept[unmapped & (rng.random(n_staff) < 0.3)] = "Overig"  # and a few map to nothing
    platform = np.array([o.platform for o in orgs])[staff.org_idx]
    org_col = np.array([o.code for o in orgs])[staff.org_idx].astype(object)
    per_platform = pd.Series([o.platform for o in orgs]).value_counts()
    # a platform shared by several organisations does not say whose an account is: the
    # mapping file derives it from the e-mail domain
    org_col[np.isin(platform, per_platform[per_platform > 1].index)] = ""

    state = rng.choice(["active", "suspended", "deleted"], n_staff, p=[0.96, 0.01, 0.03])
    joined = WINDOW[0] - pd.to_timedelta(rng.integers(30, 2000, n_staff), unit="D")
    deleted_at = np.where(state == "deleted",
                          (WINDOW[0] + pd.to_timedelta(rng.integers(10, 170, n_staff), unit="D"))
                          .strftime("%Y-%m-%d"), "")
    photo = rng.random(n_staff) < np.where(fg == "external", 0.93, 0.97)
    phone_filled = rng.random(n_staff) < np.where(fg == "manager", 0.98, 0.94)
    phone = np.where(phone_filled,
                     np.char.add("06-", rng.integers(10000000, 99999999, n_staff).astype(str)), "")
    about = np.where(rng.random(n_staff) < 0.55, "Werkzaam bij de gemeente.", "")
    expertise = np.where(rng.random(n_staff) < 0.45, "Vergunningen; Wmo; Omgevingswet", "")
    users = pd.DataFrame({
        "user_id": user_id, "name": name, "email": email, "organisation": org_col,
        "department": dept, "job_title": job, "user_type": "employee", "state": state,
        "joined_at": joined.strftime("%Y-%m-%d"), "deleted_at": deleted_at,
        "photo": photo.astype(int), "phone": phone, "about": about, "expertise": expertise,
    })

    platforms = sorted({o.platform for o in orgs})
    n_other = max(10, n_staff // 12)
    other_type = rng.choice(["citizen", "partner", "guest", "service", "test"], n_other,
                            p=[0.55, 0.3, 0.08, 0.04, 0.03])
    other_platform = rng.choice(platforms, n_other)
    others = pd.DataFrame({
        "user_id": [f"x{500000 + i}" for i in range(n_other)],
        "name": [f"Extern {i}" for i in range(n_other)],
        "email": [f"extern{i}@voorbeeld.invalid" for i in range(n_other)],
        "organisation": "", "department": "", "job_title": "",
        "user_type": other_type, "state": "active", "joined_at": "2025-01-15", "deleted_at": "",
        "photo": (rng.random(n_other) < 0.4).astype(int), "phone": "", "about": "",
        "expertise": "",
    })
    users = pd.concat([users, others], ignore_index=True)

    # groups: per organisation, more open than closed
    group_rows = []
    for k, o in enumerate(orgs):
        size = int((staff.org_idx == k).sum())
        for j in range(max(3, size // 14)):
            visibility = "open" if rng.random() < 0.68 else "closed"
            group_rows.append((f"g{k:03d}{j:03d}", f"{o.code} groep {j + 1}", o.code, visibility,
                               str((WINDOW[0] - pd.Timedelta(days=int(rng.integers(0, 900))))
                                   .date()), int(rng.random() < 0.03), k))
    groups = pd.DataFrame(group_rows, columns=["group_id", "name", "organisation", "visibility",
                                               "created_at", "deleted", "org_idx"])

    # memberships: employees join groups of their own organisation; outsiders join open ones
    member_rows = []
    staff_by_org = [np.flatnonzero(staff.org_idx.to_numpy() == k) for k in range(len(orgs))]
    other_by_platform = {pl: others.user_id[other_platform == pl].to_numpy() for pl in platforms}
    for g in groups.itertuples():
        pool = staff_by_org[g.org_idx]
        size = int(min(len(pool), rng.integers(5, 45)))
        members = user_id[rng.choice(pool, size, replace=False)]
        if g.visibility == "open" and rng.random() < 0.35:
            outsiders = other_by_platform[orgs[g.org_idx].platform]
            if len(outsiders):
                members = np.concatenate(
                    [members, rng.choice(outsiders, min(len(outsiders), 3), replace=False)])
        member_rows.append(pd.DataFrame({"group_id": g.group_id, "user_id": members}))
    memberships = pd.concat(member_rows, ignore_index=True)
    memberships["joined_at"] = "2025-06-01"

    # activity: who posts at all, and how much each employee does per month
    post_logit = 0.5 + (p["org_post_logit"] * engagement + pd.Series(fg).map(
        p["group_post_logit"]).to_numpy() + 0.5 * staff.positivity.to_numpy() if p else 0)
    poster = rng.random(n_staff) < _sigmoid(post_logit)
    active = poster | (rng.random(n_staff) < (0.75 if not p else _sigmoid(1.2 + engagement)))
    log_rate = (p["org_rate_log"] * engagement + pd.Series(fg).map(p["group_rate_log"]).to_numpy()
                + p["person_rate_log"] * staff.positivity.to_numpy() if p else 0.0)
    rate = np.exp(log_rate + rng.normal(0, 0.6, n_staff)) * active
    rate = np.where(state == "suspended", rate * 0.2, rate)
    expected_total = rate.sum()
    rate = rate * (n_events * 0.85 / max(expected_total, 1e-9))  # 85% personal, 15% groups

    counts = rng.poisson(rate)
    who = np.repeat(np.arange(n_staff), counts)
    kinds = np.array(["like", *EVENT_MIX])
    post_share = np.array(list(EVENT_MIX.values()))
    # posters create things; everyone active may like
    is_post = (rng.random(len(who)) < post_share.sum()) & poster[who]
    kind = np.where(is_post, rng.choice(kinds[1:], len(who), p=post_share / post_share.sum()),
                    "like")

    # group posts: per membership of a posting employee, more in open groups
    mem = memberships.merge(pd.DataFrame({"user_id": user_id, "staff_idx": np.arange(n_staff)}),
                            on="user_id").merge(groups[["group_id", "visibility"]], on="group_id")
    open_factor = np.where(mem.visibility == "open",
                           p["open_group_activity"] if p else 1.0, 1.0)
    # some groups fall silent after a start; closed ones a little more often
    dormant_share = np.where(groups.visibility == "open", 0.2, 0.3 if p else 0.2)
    dormant = set(groups.group_id[rng.random(len(groups)) < dormant_share])
    open_factor = np.where(mem.group_id.isin(dormant), 0.0, open_factor)
    mrate = open_factor * rate[mem.staff_idx] * poster[mem.staff_idx]
    mrate = mrate * (n_events * 0.15 / max(mrate.sum(), 1e-9))
    mcount = rng.poisson(mrate)
    gwho = np.repeat(mem.staff_idx.to_numpy(), mcount)
    ggroup = np.repeat(mem.group_id.to_numpy(), mcount)

    all_who = np.concatenate([who, gwho])
    all_kind = np.concatenate([kind, np.full(len(gwho), "group_post")])
    all_group = np.concatenate([np.full(len(who), ""), ggroup])
    n_ev = len(all_who)

    # questions: where the culture invites questions, more posts are questions
    culture = np.array([o.engagement for o in orgs])[staff.org_idx.to_numpy()[all_who]]
    q_logit = -2.2 + (p["question_logit_per_culture"] * culture if p else 0)
    postlike = np.isin(all_kind, ["microblog", "group_post"])
    question = postlike & (rng.random(n_ev) < _sigmoid(q_logit))
    marked = question & (rng.random(n_ev) < 0.5)  # half marked as question, half only a '?'
    text = np.where(question, "Weet iemand hoe dit zit?",
                    np.where(postlike | (all_kind == "comment"), "Goed nieuws van ons team.", ""))

    # timestamps: mostly inside the window, a few before and after it
    span = (WINDOW[1] - WINDOW[0]).total_seconds()
    offset = rng.random(n_ev) * span
    outside = rng.random(n_ev) < 0.03
    offset[outside] = np.where(rng.random(outside.sum()) < 0.5,
                               -rng.random(outside.sum()) * 30 * 86400,
                               span + rng.random(outside.sum()) * 30 * 86400)
    created = WINDOW[0] + pd.to_timedelta(offset, unit="s")
    events = pd.DataFrame({
        "event_id": np.arange(1, n_ev + 1),
        "user_id": user_id[all_who],
        "event_type": all_kind,
        "created_at": created.floor("s").strftime("%Y-%m-%d %H:%M:%S"),
        "group_id": all_group,
        "is_question": marked.astype(int),
        "text": text,
    })
    # outsiders also act: likes and comments in the groups they joined (not employee figures)
    outsider_mem = memberships[memberships.user_id.str.startswith("x")]
    if len(outsider_mem):
        n_out = len(outsider_mem) * 3
        pick = outsider_mem.iloc[rng.integers(0, len(outsider_mem), n_out)]
        events = pd.concat([events, pd.DataFrame({
            "event_id": np.arange(n_ev + 1, n_ev + n_out + 1),
            "user_id": pick.user_id.to_numpy(),
            "event_type": rng.choice(["comment", "like", "group_post"], n_out),
            "created_at": (WINDOW[0] + pd.to_timedelta(rng.random(n_out) * span, unit="s"))
            .floor("s").strftime("%Y-%m-%d %H:%M:%S"),
            "group_id": pick.group_id.to_numpy(), "is_question": 0, "text": "",
        })], ignore_index=True)
    events["group_id"] = np.where(events.event_type == "group_post", events.group_id, "")
    return users, groups.drop(columns="org_idx"), memberships, events


# -- survey ---------------------------------------------------------------------------------


def _survey(orgs, staff, users, book, n_respondents, rng, effects):
    """Draw respondents from the employees and write their answers as LimeSurvey would."""
    # careless and special rows, as shares of submitted responses
    shares = {"incomplete": 0.075, "straightline": 0.035, "speeder": 0.03, "attention": 0.03,
              "outside": 0.015, "duplicate": 0.01}
    n_test = max(1, round(n_respondents * 0.005))
    n_dup = round(n_respondents * shares["duplicate"])
    n_base = n_respondents - n_test - n_dup

    # respondents: employees drawn without replacement, all organisations alike
    pool = np.flatnonzero(users.user_type.to_numpy()[: len(staff)] == "employee")
    chosen = rng.choice(pool, size=min(n_base, len(pool)), replace=False)
    if n_base > len(pool):  # large speed sets: more respondents than simulated employees
        chosen = np.concatenate([chosen, rng.choice(pool, n_base - len(pool))])
    resp = staff.iloc[chosen].reset_index(drop=True)
    n = len(resp)
    engagement = np.array([o.engagement for o in orgs])[resp.org_idx]
    fg = resp.function_group.to_numpy()
    positivity = resp.positivity.to_numpy()

    items = list(book.items.values())
    answers = np.zeros((n, len(items)), dtype=np.int8)
    for j, item in enumerate(items):
        if item.is_attention_check:
            answers[:, j] = item.attention_expected
            continue
        c = item.construct
        mean = BASE_MEAN.get(c, 3.3)
        sign = -1.0 if c == "sharing_barriers" else 1.0
        trait_shift = 0.0
        if effects:
            trait_shift = PLANTED["org_survey"].get(c, 0.0) * engagement
            trait_shift = trait_shift + pd.Series(fg).map(
                PLANTED["group_survey"].get(c, {})).fillna(0).to_numpy()
        trait = mean + trait_shift + sign * 0.35 * positivity
        if j == 0 or items[j - 1].construct != c:
            construct_noise = rng.normal(0, 0.45, n)
        latent = trait + construct_noise + rng.normal(0, 0.55, n)
        value = np.clip(np.rint(latent), item.min, item.max).astype(np.int8)
        answers[:, j] = item.max + item.min - value if item.reverse else value

    # careless behaviour, planted on distinct rows
    kinds = np.full(n, "", dtype=object)
    order = rng.permutation(n)
    start = 0
    for kind in ["incomplete", "straightline", "speeder", "attention", "outside"]:
        k = round(n_respondents * shares[kind])
        kinds[order[start:start + k]] = kind
        start += k
    att = [j for j, i in enumerate(items) if i.is_attention_check]
    answers[kinds == "straightline"] = rng.integers(1, 6, (kinds == "straightline").sum())[:, None]
    if att:
        answers[np.ix_(kinds == "attention", att)] = rng.choice(
            [1, 2, 5], ((kinds == "attention").sum(), len(att)))
    labels = np.array([""] + [ANSWER_LABEL[v] for v in range(1, 6)], dtype=object)
    text = labels[answers]
    incomplete = kinds == "incomplete"
    cut = len(items) // 2
    text[np.ix_(incomplete, np.arange(cut, len(items)))] = ""
    dont_know = rng.random((n, len(items))) < 0.0006
    dont_know[:, att] = False
    text[dont_know] = "Weet niet"

    # timing: LimeSurvey's interview time in seconds; speeders far below the median
    seconds = np.exp(rng.normal(np.log(480), 0.35, n))
    seconds[kinds == "speeder"] = rng.uniform(40, 90, (kinds == "speeder").sum())
    fw_days = (FIELDWORK[1] - FIELDWORK[0]).days + 1
    # office hours, any day of the fieldwork
    start_at = FIELDWORK[0] + pd.to_timedelta(
        rng.integers(0, fw_days, n) * 86400 + rng.uniform(8, 18, n) * 3600, unit="s")
    outside = kinds == "outside"
    start_at = start_at.where(~outside, FIELDWORK[1] + pd.to_timedelta(
        rng.integers(2, 20, n) * 86400 + 36000, unit="s"))
    submit_at = start_at + pd.to_timedelta(seconds, unit="s")

    user_rows = users.iloc[chosen].reset_index(drop=True)
    consent = rng.random(n) < 0.4
    fg_label = pd.Series(fg).map(FUNCTION_GROUP_LABEL).to_numpy(dtype=object)
    fg_label[rng.random(n) < 0.02] = ""  # a few leave the function group blank
    names = user_rows.name.str.split(" ", n=1, expand=True)
    frame = pd.DataFrame({
        "id": np.arange(1, n + 1),
        "token": np.char.add("tk", rng.integers(10**9, 10**10, n).astype(str)),
        "submitdate": submit_at.strftime("%Y-%m-%d %H:%M:%S"),
        "lastpage": 6,
        "startlanguage": "nl",
        "seed": rng.integers(10**8, 10**9, n),
        "startdate": start_at.strftime("%Y-%m-%d %H:%M:%S"),
        "datestamp": submit_at.strftime("%Y-%m-%d %H:%M:%S"),
        "ipaddr": [f"192.0.2.{v}" for v in rng.integers(1, 255, n)],
        "firstname": names[0], "lastname": names[1], "email": user_rows.email,
        "ORG": np.array([o.code for o in orgs])[resp.org_idx],
        "FUNCTIE": fg_label,
        "KOPPELING": np.where(consent, user_rows.user_id, ""),
    })
    frame.loc[incomplete, ["submitdate", "datestamp"]] = ""
    frame.loc[incomplete, "lastpage"] = 3
    item_cols = [i.sources.get("limesurvey", i.id) for i in items]
    frame = pd.concat([frame, pd.DataFrame(text, columns=item_cols)], axis=1)
    frame["interviewtime"] = np.round(seconds, 2)

    # the same person twice (same token), and the tool administrator's test responses
    dup = frame[~incomplete & (kinds == "")].sample(n_dup, random_state=int(rng.integers(1e9)))
    tests = frame.sample(n_test, random_state=int(rng.integers(1e9))).assign(
        token="test", firstname="Test", lastname="Beheerder", email="test@voorbeeld.invalid",
        KOPPELING="")
    frame = pd.concat([frame, dup, tests], ignore_index=True)
    frame["id"] = np.arange(1, len(frame) + 1)
    frame = frame.sample(frac=1.0, random_state=int(rng.integers(1e9))).reset_index(drop=True)
    frame["id"] = np.arange(1, len(frame) + 1)
    return frame


# -- writing --------------------------------------------------------------------------------


def _write_platform_csv(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
    pacsv.write_csv(table, path)


def simulate(out: str | Path, organisations: int = 7, respondents: int = 600,
             events: int | None = None, seed: int = 1, effects: bool = True,
             codebook: str | Path | None = None, employees: int | None = None) -> dict[str, Path]:
    """Write a complete, seeded set of raw exports into ``out`` and return their paths.

    Parameters
    ----------
    out : folder to write into (created; existing files of the same names are replaced).
    organisations : number of organisations; up to seven get the named demo organisations.
    respondents : submitted survey responses, careless ones and duplicates included.
    events : platform events (about); default 38 per employee.
    seed : the random seed: the same arguments give byte-identical files.
    effects : plant the effects listed in :data:`PLANTED`; False gives the null simulation.
    codebook : instrument to simulate answers for (default: the demo codebook).
    employees : employee accounts on the platforms (default: enough for the respondents).

    Examples
    --------
    >>> import tempfile
    >>> paths = simulate(tempfile.mkdtemp(), organisations=2, respondents=60, seed=3)
    >>> sorted(paths)[:3]
    ['codebook', 'events', 'function_group_map']
    """
    out = Path(out)
    (out / "platform").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    book_path = Path(codebook) if codebook else DEMO / "codebook.yaml"
    book = cb.load(book_path)

    orgs = organisations_for(organisations, rng, effects)
    n_employees = employees or max(int(1600 * len(orgs) / 7), int(respondents * 2.7))
    staff = _employees(orgs, n_employees, rng, effects)
    n_events = events if events is not None else 38 * len(staff)
    users, groups, memberships, ev = _platform(orgs, staff, n_events, rng, effects)
    survey = _survey(orgs, staff, users, book, respondents, rng, effects)

    paths = {
        "survey": out / "survey_limesurvey.csv",
        "codebook": out / "codebook.yaml",
        "organisations": out / "organisations.csv",
        "function_group_map": out / "function_group_map.csv",
        "users": out / "platform" / "users.csv",
        "events": out / "platform" / "events.csv",
        "groups": out / "platform" / "groups.csv",
        "memberships": out / "platform" / "memberships.csv",
    }
    survey.to_csv(paths["survey"], sep=";", index=False, quoting=csv.QUOTE_ALL,
                  lineterminator="\r\n", encoding="utf-8-sig")
    if book_path.resolve() != paths["codebook"].resolve():
        shutil.copyfile(book_path, paths["codebook"])
    pd.DataFrame([{"code": o.code, "name": o.name, "type": o.type, "size_class": o.size_class,
                   "platform": o.platform} for o in orgs]).to_csv(paths["organisations"],
                                                                  index=False)
    mapping = [("job_title", t, "", g) for g, titles in JOB_TITLES.items() for t in titles]
    mapping += [("department", d, "", g) for g, d in DEPARTMENTS.items()]
    mapping += [("email_domain", o.email_domain, o.code, "") for o in orgs]
    pd.DataFrame(mapping, columns=["attribute", "value", "organisation", "function_group"]) \
        .to_csv(paths["function_group_map"], index=False)
    _write_platform_csv(users, paths["users"])
    _write_platform_csv(ev, paths["events"])
    _write_platform_csv(groups, paths["groups"])
    _write_platform_csv(memberships, paths["memberships"])
    logger.info("simulated %d organisations, %d survey responses, %d users, %d events -> %s",
                len(orgs), len(survey), len(users), len(ev), out)
    return paths


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis simulate", description=__doc__
                                     .split("\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="folder to write the exports to")
    parser.add_argument("--organisations", type=int, default=7)
    parser.add_argument("--respondents", type=int, default=600)
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--employees", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--codebook", type=Path, default=None)
    parser.add_argument("--no-effects", action="store_true", help="the null simulation")
    args = parser.parse_args(argv)
    paths = simulate(args.out, args.organisations, args.respondents, args.events, args.seed,
                     not args.no_effects, args.codebook, args.employees)
    for name, path in paths.items():
        print(f"{name:<20} {path}")
    return 0
