"""Read survey exports from the tools researchers use into the two ingest tables.

Readers: LimeSurvey CSV, Qualtrics CSV (current and legacy layout), SurveyMonkey CSV/XLSX,
Microsoft Forms XLSX, SPSS ``.sav`` and the project's own tidy CSV (which also accepts R's
``write.csv`` output). Which reader applies is detected from the file (:func:`detect_reader`)
or set in ``params.yaml`` (``ingest.survey_reader``). Each layout is described in
``data/raw/README.md``, section 'Survey exports'.

Reading happens in two steps:

1. :func:`read_export` reads a file *as it is*: every column, every data row, the header rows
   kept aside (question text, Qualtrics ImportIds, SPSS value labels). Nothing is interpreted.
2. :func:`read_survey` turns an export into the two tables of ``data/processed/README.md``
   (ingest): ``respondents`` (hashed ids, organisation, function group, timing, provenance)
   and ``answers`` (one nullable ``Int8`` column per codebook item). The codebook says which
   column of which source is which item. With ``codebook=None`` a codebook is built from the
   file's own columns (:func:`as_is_codebook`), for files that follow no codebook.

Direct identifiers (names, e-mail and IP addresses, locations, recipient fields) are dropped
in step 2 and never reach a table; respondent ids, tokens and platform accounts become keyed
hashes (:func:`analysis.privacy.pseudonymise`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.csv as pacsv

from analysis.codebook import FUNCTION_GROUPS, UNKNOWN_GROUP, Codebook, from_dict, normalise_label
from analysis.errors import InputError, Problem, problem
from analysis.log import logger
from analysis.privacy import is_identifier, pseudonymise

READERS = ("limesurvey", "qualtrics", "surveymonkey", "msforms", "spss", "tidy")

# LimeSurvey writes this date when a survey does not record dates: a placeholder, not a time.
PLACEHOLDER_DATE = pd.Timestamp("1980-01-01")

# Namespaces of the keyed hashes. platform_user uses "" so that it equals the platform side's
# hash of the same account id (analysis.platform_io hashes user ids with namespace "").
NS_RESPONDENT = "survey-respondent:"
NS_TOKEN = "survey-token:"
NS_PLATFORM_USER = ""

# Column roles and the (squashed: lower case, letters and digits only) headings that carry them
# in the exports of each tool, first match wins.
ROLE_HEADINGS = {
    "respondent_id": ["id", "responseid", "respondentid", "recordid", "respondent"],
    "token": ["token", "accesscode", "toegangscode"],
    "started_at": ["startdate", "datestarted", "starttime", "startedat", "startdatum"],
    "submitted_at": ["submitdate", "datesubmitted", "enddate", "completiontime", "submittedat",
                     "recordeddate", "datumverstuurd"],
    "duration_s": ["interviewtime", "totaltime", "durationinseconds", "duration", "durations",
                   "totaletijd"],
    "status": ["status"],
    "is_test": ["istest"],
}
# Tool columns that are neither items nor identifiers (left out of as-is codebooks).
META_HEADINGS = {
    "lastpage", "startlanguage", "seed", "datestamp", "datelastaction", "refurl",
    "progress", "finished", "distributionchannel", "userlanguage", "responseset",
    "collectorid", "customdata1", "lastmodifiedtime", "sourcerow", "sourcefile", "organisation",
    "functiongroup", "platformuser", "timingtrusted", "locationaccuracy",
}
# Qualtrics 'Status': anything but a real response (preview, test, spam) counts as a test.
QUALTRICS_TEST_STATUS = {"1", "2", "8", "16", "surveypreview", "surveytest", "spam",
                         "previewspam", "test"}

_INT_TEXT = re.compile(r"^\s*[+-]?\d+(?:[.,]0*)?\s*$")
_ARRAY_COLUMN = re.compile(r"^[^\[\]]+\[[^\[\]]+\]$")  # LimeSurvey array code: q1[vis1]


def _squash(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


# --------------------------------------------------------------------------------------------
# Step 1: a file as it is
# --------------------------------------------------------------------------------------------

@dataclass
class Export:
    """One survey export read as it is: all columns, all data rows, headers kept aside.

    ``frame`` holds text (``object`` of ``str``, ``''`` for blank) for the text formats and the
    typed values pyreadstat returns for SPSS. Its column names are the export's headings, made
    unique by a ``#2``, ``#3`` suffix where a heading repeats; ``headings`` keeps the originals.
    Row ``i`` of ``frame`` is data row ``i + 1`` as a spreadsheet user counts them.
    """

    path: Path
    reader: str
    frame: pd.DataFrame
    headings: list[str]
    question_text: dict[str, str] = field(default_factory=dict)  # column -> question wording
    import_ids: dict[str, str] = field(default_factory=dict)     # Qualtrics: column -> ImportId
    value_labels: dict[str, dict] = field(default_factory=dict)  # SPSS: column -> {code: label}
    encoding: str = "utf-8"

    @property
    def shape(self) -> tuple[int, int]:
        return self.frame.shape

    def labelled(self) -> pd.DataFrame:
        """Return ``frame`` with value-labelled columns as ordered categoricals.

        Categories follow the codes (1, 2, 3, ...), not the alphabet; values without a label
        keep no category and become missing.
        """
        out = self.frame.copy()
        for column, labels in self.value_labels.items():
            order = [labels[code] for code in sorted(labels)]
            codes = out[column].map(labels)
            out[column] = pd.Categorical(codes, categories=list(dict.fromkeys(order)),
                                         ordered=True)
        return out


def _unique_names(headings: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for heading in headings:
        n = seen.get(heading, 0) + 1
        seen[heading] = n
        names.append(heading if n == 1 else f"{heading}#{n}")
    return names


def _sniff_separator(text: str) -> str:
    """Pick ``;``, ``,`` or tab from the first line, ignoring quoted text."""
    first = re.sub(r'"[^"]*"', "", text.split("\n", 1)[0])
    counts = {sep: first.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _head_rows(data: bytes, sep: str, encoding: str, n: int = 3) -> list[list[str]]:
    """Parse the first ``n`` records of a delimited file with the csv module (for detection)."""
    head = data[: 1 << 16].decode(encoding, errors="replace")
    rows = []
    for row in csv.reader(io.StringIO(head, newline=""), delimiter=sep):
        if row:
            rows.append(row)
        if len(rows) >= n:
            break
    return rows


def _encoding_of(data: bytes) -> tuple[bytes, str]:
    """Strip a UTF-8 BOM; tell UTF-8 from cp1252 (Windows, Dutch Excel) by trying to decode."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:], "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data, "cp1252"
    return data, "utf-8"


def _csv_rows(path: Path, max_rows: int | None = None,
              header_rows: int = 1) -> tuple[pd.DataFrame, str]:
    """Read a delimited text file with no header interpretation: all cells as text.

    Parsed by pyarrow (multi-threaded, quoted line breaks allowed) into arrow-backed strings;
    cp1252 files are re-encoded to UTF-8 first. ``header_rows`` only serves error messages: a
    record with the wrong number of fields is named by its data row (see
    :class:`analysis.errors.Problem`).
    """
    data, encoding = _encoding_of(path.read_bytes())
    if not data.strip():
        raise InputError(problem(path, expected="a survey export with a header row: the file "
                                 "is empty"))
    if encoding == "cp1252":
        logger.info("%s is not UTF-8; reading it as cp1252 (Windows, Dutch Excel)", path.name)
        data = data.decode("cp1252").encode("utf-8")
    sep = _sniff_separator(data[: 1 << 16].decode("utf-8", errors="replace"))
    if max_rows is not None:
        return pd.DataFrame(_head_rows(data, sep, "utf-8", max_rows), dtype=object), encoding
    width = max(len(r) for r in _head_rows(data, sep, "utf-8", 3))
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pyarrow.string() for i in range(width)},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pyarrow.ArrowInvalid as exc:
        found = _ragged_record(data, sep, header_rows, path)
        if found is not None:
            raise InputError(found) from None
        raise InputError(problem(path, None, None, None,
                                 f"a {sep!r}-separated export with the same number of fields "
                                 f"on every row ({exc})")) from None
    if data.count(b'"') % 2:  # an odd number of quotes: perhaps a field cut off inside quotes
        found = _ragged_record(data, sep, header_rows, path)
        if found is not None:
            raise InputError(found)
    return table.to_pandas(), encoding


def _row_of_record(record: int, header_rows: int) -> int:
    """The row a :class:`Problem` names for the 0-based record ``record`` of a text file."""
    return record + 1 if record < header_rows else record - header_rows + 1


def _ragged_record(data: bytes, sep: str, header_rows: int, path: Path) -> Problem | None:
    """Find the first record whose number of fields differs from the first record's.

    Also finds a last field cut off inside its quotes (a truncated file). Used only when
    pyarrow refuses a file, or the quotes do not pair up, to name the row: pyarrow's message
    shows the row's text but not its number.
    """
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=sep,
                        strict=True)
    width, record, first_line = None, 0, 1
    try:
        for fields in reader:
            if fields:  # pyarrow skips blank lines; so do the row numbers
                if width is None:
                    width = len(fields)
                elif len(fields) != width:
                    return _ragged_problem(path, record, header_rows, first_line, fields, sep,
                                           f"{width} fields, as in the header; found "
                                           f"{len(fields)} (a line cut off, or a separator "
                                           "or quote too many)")
                record += 1
            first_line = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return None
        tail = data.decode("utf-8").splitlines()[first_line - 1:]
        return _ragged_problem(path, record, header_rows, first_line, tail, "\n",
                               "a closing quote: the file ends inside a quoted field (cut off)")
    return None


def _ragged_problem(path: Path, record: int, header_rows: int, line: int, fields: list[str],
                    sep: str, expected: str) -> Problem:
    text = sep.join(fields)
    shown = text if len(text) <= 60 else text[:57] + "..."
    where = "header row" if record < header_rows else "data row"
    return problem(path, _row_of_record(record, header_rows), None, shown,
                   f"{expected}; {where} {_row_of_record(record, header_rows)} starts on "
                   f"line {line} of the file")


def _xlsx_rows(path: Path) -> pd.DataFrame:
    """Read a workbook's first sheet, every cell as text (dates as ISO, whole numbers bare)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise InputError(problem(path, expected=f"an .xlsx workbook ({exc})")) from None
    sheet = book.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        rows.append(["" if v is None else _cell_text(v) for v in values])
    book.close()
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows if any(c != "" for c in r)]
    return pd.DataFrame(rows, dtype=object)


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def _drop_trailing_empty(headers: list[list[str]], body: pd.DataFrame) -> int:
    """Count trailing columns with no heading and no value (Qualtrics legacy trailing comma)."""
    n = 0
    for j in range(body.shape[1] - 1, -1, -1):
        if all(h[j] == "" for h in headers) and (body.iloc[:, j] == "").all():
            n += 1
        else:
            break
    return n


def _text_export(path: Path, reader: str, raw: pd.DataFrame, n_header: int, encoding: str,
                 heading_row: int = 0) -> tuple[Export, list[list[str]]]:
    headers = [[str(v).strip() for v in raw.iloc[i]] for i in range(n_header)]
    body = raw.iloc[n_header:].reset_index(drop=True)
    trailing = _drop_trailing_empty(headers, body)
    if trailing:
        body = body.iloc[:, : body.shape[1] - trailing]
        headers = [h[: len(h) - trailing] for h in headers]
    headings = headers[heading_row]
    names = _unique_names(headings)
    body.columns = names
    return Export(path, reader, body, headings, encoding=encoding), headers


def detect_reader(path: str | Path) -> str:
    """Tell which reader fits a survey export, from its extension and its header rows.

    Examples
    --------
    >>> detect_reader("tests/data/limesurvey_remotecontrol_export/export_responses_code.csv")
    'limesurvey'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in {".sav", ".zsav"}:
        return "spss"
    if suffix in {".xlsx", ".xlsm"}:
        rows = _xlsx_rows(path)
    elif suffix in {".csv", ".txt", ".tsv"}:
        rows, _ = _csv_rows(path, max_rows=3)
    else:
        raise InputError(problem(path, expected="a .csv, .xlsx or .sav survey export"))
    first = {_squash(v) for v in rows.iloc[0]} if len(rows) else set()
    second = [str(v) for v in rows.iloc[1]] if len(rows) > 1 else []
    third = [str(v) for v in rows.iloc[2]] if len(rows) > 2 else []
    if any(v.startswith('{"ImportId"') for v in third) or {"responseid", "startdate",
                                                          "enddate", "recordeddate"} <= first:
        return "qualtrics"
    if "v1" in first and any(_squash(v) == "responseid" for v in second):
        return "qualtrics"
    if {"respondentid", "collectorid"} <= first:
        return "surveymonkey"
    if {"id", "starttime", "completiontime"} <= first:
        return "msforms"
    if first & {"submitdate", "lastpage", "startlanguage", "datesubmitted", "responseid"}:
        return "limesurvey"
    return "tidy"


def read_export(path: str | Path, reader: str = "auto") -> Export:
    """Read a survey export as it is: every column, every data row, header rows kept aside.

    Parameters
    ----------
    path : str or Path
        The export file.
    reader : str
        One of :data:`READERS`, or ``'auto'`` to detect it (:func:`detect_reader`).

    Returns
    -------
    Export

    Notes
    -----
    Text files may be UTF-8 with or without a BOM or cp1252, with ``;``, ``,`` or tab as
    separator, CRLF or LF line ends and quoted fields with line breaks. Qualtrics: three header
    rows (export tags, question text, ``{"ImportId": ...}``) or the legacy two rows with a
    trailing comma; SurveyMonkey: two header rows (question, then sub-question or answer
    option); SPSS: user-defined missing codes become missing.

    Examples
    --------
    >>> read_export("tests/data/qualtrics_qualtRics_sample/sample_legacy.csv").shape
    (1, 15)
    """
    path = Path(path)
    if not path.exists():
        raise InputError(problem(path, expected="an existing survey export (file not found)"))
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(problem(path, expected="a survey export: the file is empty"))
    reader = detect_reader(path) if reader == "auto" else reader
    if reader not in READERS:
        raise InputError(problem(path, None, None, reader, f"a reader among {READERS}"))
    export = {"limesurvey": _read_limesurvey, "qualtrics": _read_qualtrics,
              "surveymonkey": _read_surveymonkey, "msforms": _read_msforms,
              "spss": _read_spss, "tidy": _read_tidy}[reader](path)
    logger.info("read %s (%s): %d rows x %d columns", path.name, reader, *export.shape)
    return export


def _rows_of(path: Path, header_rows: int = 1) -> tuple[pd.DataFrame, str]:
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _xlsx_rows(path), "xlsx"
    return _csv_rows(path, header_rows=header_rows)


def _read_limesurvey(path: Path) -> Export:
    raw, encoding = _rows_of(path)
    export, _ = _text_export(path, "limesurvey", raw, 1, encoding)
    # Headings as question text look like 'Group title [Sub-question text]'.
    export.question_text = {c: c for c in export.frame.columns}
    return export


def _read_qualtrics(path: Path) -> Export:
    header_rows = 3
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:  # the legacy layout has two
        head, _ = _csv_rows(path, max_rows=1)
        header_rows = 2 if len(head) and str(head.iloc[0, 0]).strip() == "V1" else 3
    raw, encoding = _rows_of(path, header_rows)
    legacy = len(raw) > 1 and str(raw.iloc[0, 0]).strip() == "V1"
    current = len(raw) > 2 and any(str(v).startswith('{"ImportId"') for v in raw.iloc[2])
    if not (legacy or current):
        raise InputError(problem(path, 3, None, None,
                                 'Qualtrics headers: a third row of {"ImportId": ...} or the '
                                 "legacy V1, V2, ... first row"))
    export, headers = _text_export(path, "qualtrics", raw, 2 if legacy else 3, encoding)
    export.question_text = dict(zip(export.frame.columns, headers[1], strict=True))
    if current:
        for column, cell in zip(export.frame.columns, headers[2], strict=True):
            try:
                export.import_ids[column] = json.loads(cell)["ImportId"]
            except (ValueError, KeyError, TypeError):
                raise InputError(problem(path, 3, column, cell,
                                         'a {"ImportId": ...} cell')) from None
    return export


def _read_surveymonkey(path: Path) -> Export:
    raw, encoding = _rows_of(path, header_rows=2)
    if len(raw) < 2:
        raise InputError(problem(path, 2, None, None,
                                 "SurveyMonkey's second header row (sub-question or option)"))
    questions = [str(v).strip() for v in raw.iloc[0]]
    options = [str(v).strip() for v in raw.iloc[1]]
    filled, last = [], ""
    for q in questions:  # a matrix question names only its first column
        last = q or last
        filled.append(last)
    headings = [q if o in {"", "Response", "Open-Ended Response"} else f"{q} | {o}"
                for q, o in zip(filled, options, strict=True)]
    raw = raw.iloc[1:].reset_index(drop=True)  # row 2 becomes the (combined) heading row
    raw.iloc[0] = headings
    export, _ = _text_export(path, "surveymonkey", raw, 1, encoding)
    export.question_text = dict(zip(export.frame.columns, headings, strict=True))
    return export


def _read_msforms(path: Path) -> Export:
    raw, encoding = _rows_of(path)
    export, _ = _text_export(path, "msforms", raw, 1, encoding)
    export.question_text = {c: c for c in export.frame.columns}
    return export


def _read_tidy(path: Path) -> Export:
    raw, encoding = _rows_of(path)
    export, _ = _text_export(path, "tidy", raw, 1, encoding)
    frame = export.frame
    # R's write.csv: an unnamed first column of row names, 'NA' for missing.
    if export.headings and export.headings[0] == "":
        frame = frame.iloc[:, 1:]
        export.headings = export.headings[1:]
    export.frame = frame.mask(frame == "NA", "")
    return export


def _read_spss(path: Path) -> Export:
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path))  # user-defined missing codes -> NaN
    except Exception as exc:  # pyreadstat.ReadstatError and OSError
        raise InputError(problem(path, expected=f"an SPSS .sav file ({exc})")) from None
    export = Export(path, "spss", frame, list(frame.columns), encoding="sav")
    export.question_text = {c: t for c, t in zip(meta.column_names, meta.column_labels,
                                                 strict=True) if t}
    export.value_labels = {c: dict(v) for c, v in meta.variable_value_labels.items()}
    return export


# --------------------------------------------------------------------------------------------
# Step 2: the ingest tables
# --------------------------------------------------------------------------------------------

@dataclass
class SurveyTables:
    """The two ingest tables of one or more exports, and how they were read."""

    respondents: pd.DataFrame
    answers: pd.DataFrame
    reader: str
    dropped_columns: list[str]
    codebook: Codebook | None = None
    unmatched_columns: list[str] = field(default_factory=list)


RESPONDENT_COLUMNS = ["respondent", "organisation", "function_group", "source_file",
                      "source_row", "token", "started_at", "submitted_at", "duration_s",
                      "timing_trusted", "is_test", "platform_user"]

_HASH = pa.Check.str_matches(r"^[0-9a-f]{20}$")
RESPONDENTS_SCHEMA = pa.DataFrameSchema(
    {
        "respondent": pa.Column("string", _HASH, unique=True),
        "organisation": pa.Column("string", nullable=True),
        "function_group": pa.Column("string", pa.Check.isin([*FUNCTION_GROUPS, UNKNOWN_GROUP])),
        "source_file": pa.Column("string"),
        "source_row": pa.Column("int64", pa.Check.ge(1)),
        "token": pa.Column("string", _HASH, nullable=True),
        "started_at": pa.Column("datetime64[us]", nullable=True),
        "submitted_at": pa.Column("datetime64[us]", nullable=True),
        "duration_s": pa.Column("float64", pa.Check.ge(0), nullable=True),
        "timing_trusted": pa.Column("bool"),
        "is_test": pa.Column("bool"),
        "platform_user": pa.Column("string", _HASH, nullable=True),
    },
    strict=True, ordered=True, name="survey_respondents",
)


def answers_schema(codebook: Codebook) -> pa.DataFrameSchema:
    """The pandera schema of the answers table for one codebook: codes within each item's range."""
    columns = {"respondent": pa.Column("string", _HASH, unique=True)}
    for item in codebook.items.values():
        columns[item.id] = pa.Column("Int8", pa.Check.in_range(item.min, item.max),
                                     nullable=True)
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name="survey_answers")


def _role_columns(export: Export, codebook: Codebook | None, source: str) -> dict[str, str]:
    """Find the column that carries each role (respondent id, dates, ...) in an export."""
    by_squash: dict[str, str] = {}
    for column in export.frame.columns:
        for text in (column, export.question_text.get(column, "")):
            by_squash.setdefault(_squash(text), column)
    if export.reader == "qualtrics":  # the ImportId is the stable name
        for column, import_id in export.import_ids.items():
            by_squash.setdefault(_squash(import_id), column)
    roles = {}
    for role, names in ROLE_HEADINGS.items():
        for name in names:
            if name in by_squash:
                roles[role] = by_squash[name]
                break
    background = codebook.background if codebook is not None else {}
    for role in ("organisation", "function_group", "platform_user", "respondent_id", "token"):
        sources = (background.get(role) or {}).get("sources") or {}
        wanted = sources.get(source)
        if wanted is None and source == "tidy":
            wanted = role
        if wanted is not None:
            column = _find_column(export, str(wanted))
            if column is not None:
                roles[role] = column
    return roles


def _find_column(export: Export, wanted: str) -> str | None:
    """Find a column by ImportId (Qualtrics), exact heading, or folded heading."""
    if export.reader == "qualtrics":
        hits = [c for c, i in export.import_ids.items() if i == wanted]
        if hits:
            return hits[0]
    if wanted in export.frame.columns and export.headings.count(wanted) <= 1:
        return wanted
    if export.headings.count(wanted) > 1:
        raise InputError(problem(export.path, 1, wanted, None,
                                 "a unique heading (it repeats; map the item by ImportId)"))
    folded = normalise_label(wanted)
    hits = [c for c in export.frame.columns
            if normalise_label(c) == folded
            or normalise_label(export.question_text.get(c, "")) == folded]
    return hits[0] if hits else None


def _item_columns(export: Export, codebook: Codebook, source: str) -> dict[str, str]:
    """Map each codebook item to its column: by the codebook's source name, else by wording."""
    found = {}
    texts = {}
    for item in codebook.items.values():
        for wording in item.text.values():
            texts.setdefault(normalise_label(wording), item.id)
    for item in codebook.items.values():
        column = None
        if source in item.sources:
            column = _find_column(export, item.sources[source])
        if column is None:  # headings as question text: 'Group [statement]' or 'statement'
            for c in export.frame.columns:
                heading = export.question_text.get(c, c)
                inner = re.search(r"\[([^\[\]]+)\]\s*$", heading)
                wordings = [inner.group(1)] if inner else []
                wordings += [heading.rsplit(" | ", 1)[-1], heading]  # SurveyMonkey 'Q | row'
                for text in wordings:
                    if texts.get(normalise_label(text)) == item.id:
                        column = c
                        break
                if column is not None:
                    break
        if column is not None:
            found[item.id] = column
    return found


def _capped(problems: list[Problem], path: Path, more: str,
            limit: int = 20) -> list[Problem]:
    """The first ``limit`` problems and, when there are more, one line saying how many."""
    if len(problems) <= limit:
        return problems
    column = problems[0].column if len({p.column for p in problems}) == 1 else None
    rest = len(problems) - limit
    return [*problems[:limit], problem(path, None, column, None,
                                       f"the same as the lines above, for {rest} "
                                       f"more {more}")]


def _missing_item(export: Export, item, source: str) -> Problem:
    """The header problem of a codebook item without a column in the export."""
    wanted = item.sources.get(source)
    if wanted is not None:
        return problem(export.path, 1, str(wanted), None,
                       f"this column in header row 1, for codebook item {item.id!r} (the "
                       f"codebook's source name for {source!r})")
    wording = next(iter(item.text.values()), "")
    return problem(export.path, 1, None, item.id,
                   f"a column for codebook item {item.id!r} in header row 1: the codebook "
                   f"gives it no source name for {source!r} and no heading has its wording "
                   f"{wording!r}")


def _organisation_column(export: Export, codebook: Codebook, source: str,
                         roles: dict[str, str]) -> tuple[str | None, Problem | None]:
    """The organisation column the codebook names for ``source``, or the header problem.

    Returns ``(heading, None)`` when the codebook names a column for this source
    (``background.organisation.sources.<source>``) and the file has it, ``(None, problem)``
    when the file lacks it, ``(None, None)`` when the codebook names none.
    """
    sources = (codebook.background.get("organisation") or {}).get("sources") or {}
    wanted = sources.get(source)
    if wanted is None:
        return None, None
    if "organisation" in roles:
        return roles["organisation"], None
    return None, problem(export.path, 1, str(wanted), None,
                         f"this column in header row 1: the organisation of each respondent, "
                         f"as the codebook names it (background.organisation.sources."
                         f"{source}); without it no respondent belongs to an organisation")


def _check_organisations(organisation: pd.Series, path: Path, column: str,
                         register: pd.DataFrame | None, problems: list[Problem]) -> None:
    """Add a problem per row with a blank organisation, or a code the register lacks."""
    blank = np.flatnonzero(organisation.isna().to_numpy())
    problems += _capped([problem(path, int(r) + 1, column, "",
                                 "an organisation code on every row (the column the codebook "
                                 "names for background.organisation)") for r in blank],
                        path, "rows with a blank organisation")
    if register is not None:
        from analysis.organisations import check_known

        try:
            check_known(organisation, register, path, column)
        except InputError as exc:
            problems += exc.problems


def _parse_datetime(values: pd.Series, path: Path, column: str,
                    problems: list[Problem]) -> pd.Series:
    """Parse ISO, Dutch (dd-mm-jjjj) and US (mm/dd/yyyy am/pm) date-times; blank -> NaT."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[us]")
    text = values.astype("string").str.strip()
    text = text.mask(text == "", pd.NA)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    formats = ["ISO8601", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y",
               "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S",
               "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"]
    todo = text.notna()
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        out.loc[ok[ok].index] = parsed[ok].astype("datetime64[us]")
        todo.loc[ok[ok].index] = False
    for row in np.flatnonzero(todo.to_numpy())[:5]:
        problems.append(problem(path, int(row) + 1, column, text.iloc[row],
                                "a date-time (yyyy-mm-dd hh:mm:ss or dd-mm-jjjj hh:mm)"))
    return out


def _parse_number(values: pd.Series, path: Path, column: str,
                  problems: list[Problem]) -> pd.Series:
    """Parse numbers written with a decimal point or a Dutch decimal comma; blank -> NaN."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip()
    dutch = text.str.contains(",", regex=False, na=False)
    text = text.where(~dutch, text.str.replace(".", "", regex=False)
                      .str.replace(",", ".", regex=False))
    number = pd.to_numeric(text.mask(text == "", pd.NA), errors="coerce").astype("float64")
    bad = number.isna() & text.notna() & (text != "")
    for row in np.flatnonzero(bad.to_numpy())[:5]:
        problems.append(problem(path, int(row) + 1, column, values.iloc[row],
                                "a number (decimal point or comma)"))
    return number


def _answer_codes(export: Export, columns: dict[str, str], codebook: Codebook,
                  problems: list[Problem]) -> pd.DataFrame:
    """Turn answer labels or codes into Int8 codes, vectorised over all item columns at once."""
    item_ids = list(columns)
    block = export.frame[[columns[i] for i in item_ids]]
    if export.reader == "spss":
        return _spss_codes(export, block, item_ids, codebook, problems)

    # Factorise each column (C speed on arrow strings), look each distinct label up once.
    lookup: dict[object, int] = {}
    unknown: set = set()
    codes = np.full(block.shape, -1, dtype=np.int64)
    for j in range(block.shape[1]):
        positions, uniques = pd.factorize(block.iloc[:, j], use_na_sentinel=True)
        table = np.full(len(uniques) + 1, -1, dtype=np.int64)  # last slot: the NA sentinel
        for k, label in enumerate(uniques):
            if label not in lookup:
                lookup[label] = _code_of_label(label, codebook)
            code = lookup[label]
            if code == UNKNOWN_LABEL and label not in unknown:
                unknown.add(label)
                row = int(np.flatnonzero(positions == k)[0])
                problems.append(problem(export.path, row + 1, columns[item_ids[j]], label,
                                        "an answer label of the codebook (zeer mee oneens .. "
                                        "zeer mee eens, strongly disagree .. strongly agree, a "
                                        "code, or a 'no answer' label such as 'weet niet')"))
            table[k] = code if code >= 0 else -1
        codes[:, j] = table[positions]
    _check_ranges(export, codes, item_ids, columns, codebook, problems)
    return _int8_frame(codes, item_ids)


UNKNOWN_LABEL = -2


def _code_of_label(label: object, codebook: Codebook) -> int:
    """The answer code of one label: -1 for 'no answer', UNKNOWN_LABEL if the codebook lacks it."""
    text = str(label)
    if _INT_TEXT.match(text):
        return int(float(text.replace(",", ".")))
    try:
        code = codebook.code_of(text)
    except KeyError:
        return UNKNOWN_LABEL
    return -1 if code is None else code


def _int8_frame(codes: np.ndarray, item_ids: list[str]) -> pd.DataFrame:
    """Nullable Int8 columns from a code matrix where -1 means missing."""
    missing = codes < 0
    safe = np.where(missing | (codes > 127), 0, codes).astype(np.int8)
    return pd.DataFrame({i: pd.arrays.IntegerArray(safe[:, j].copy(), missing[:, j].copy())
                         for j, i in enumerate(item_ids)})


def _spss_codes(export: Export, block: pd.DataFrame, item_ids: list[str], codebook: Codebook,
                problems: list[Problem]) -> pd.DataFrame:
    """SPSS: the numeric codes are the answers; a code labelled 'weet niet' (etc.) is missing."""
    codes = np.full(block.shape, -1, dtype=np.int64)
    for j in range(len(item_ids)):
        column = block.columns[j]
        series = block.iloc[:, j]
        if not pd.api.types.is_numeric_dtype(series):
            problems.append(problem(export.path, None, column, str(series.dtype),
                                    "a numeric SPSS variable holding answer codes"))
            continue
        values = series.to_numpy(dtype="float64")
        labels = export.value_labels.get(column, {})
        missing_codes = [code for code, label in labels.items()
                         if normalise_label(label) in codebook.missing_labels]
        values = np.where(np.isin(values, missing_codes), np.nan, values)
        whole = np.isnan(values) | (values == np.round(values))
        for row in np.flatnonzero(~whole)[:5]:
            problems.append(problem(export.path, int(row) + 1, column, values[row],
                                    "a whole answer code"))
        codes[:, j] = np.where(np.isnan(values) | ~whole, -1, np.nan_to_num(values)).astype(
            np.int64)
    _check_ranges(export, codes, item_ids, dict(zip(item_ids, block.columns, strict=True)),
                  codebook, problems)
    return _int8_frame(codes, item_ids)


def _check_ranges(export: Export, codes: np.ndarray, item_ids: list[str],
                  columns: dict[str, str], codebook: Codebook, problems: list[Problem]) -> None:
    lo = np.array([codebook.items[i].min for i in item_ids])
    hi = np.array([codebook.items[i].max for i in item_ids])
    outside = (codes >= 0) & ((codes < lo) | (codes > hi))
    missing_zero = codes == -1
    outside &= ~missing_zero
    for row, col in list(zip(*np.nonzero(outside), strict=True))[:10]:
        item = item_ids[col]
        problems.append(problem(export.path, int(row) + 1, columns[item], int(codes[row, col]),
                                f"an answer code from {lo[col]} to {hi[col]}"))


def _function_groups(values: pd.Series, codebook: Codebook | None) -> pd.Series:
    """Map function-group labels to codes; blank or unmapped -> 'unknown' (kept, counted)."""
    labels = ((codebook.background.get("function_group") or {}).get("labels") or {}
              if codebook is not None else {})
    table = {normalise_label(label): code for label, code in labels.items()}
    table |= {g: g for g in FUNCTION_GROUPS}
    values = values.astype("string").fillna("")
    distinct = pd.unique(values)
    folded = values.map(dict(zip(distinct, map(normalise_label, distinct), strict=True)))
    groups = folded.map(table).fillna(UNKNOWN_GROUP).astype("string")
    unmapped = folded[(groups == UNKNOWN_GROUP) & (folded != "") & (folded != UNKNOWN_GROUP)]
    if len(unmapped):
        logger.warning("function group not mapped by the codebook for %d respondent(s) (%s); "
                       "counted as 'unknown'", len(unmapped), ", ".join(unmapped.unique()[:5]))
    return groups


def as_is_codebook(export: Export, items: list[str] | str | None = None) -> Codebook:
    """Build a codebook from an export's own columns, for a file that follows no codebook.

    Parameters
    ----------
    export : Export
        As read by :func:`read_export`.
    items : list of str, str or None
        The item columns: a list of headings, a regular expression matched against headings,
        or ``None`` for the reader's default (LimeSurvey: array columns such as ``q1[vis1]``
        when there are any; Qualtrics: ``QID`` columns; SPSS: value-labelled numeric
        variables; otherwise every column that is not an identifier, a tool column or a
        background column and holds only whole numbers or known answer labels).

    Returns
    -------
    Codebook
        One construct ``all`` holding every item, items named after their columns, the answer
        range from 1 (or the lowest code seen) to the highest code seen.
    """
    frame = export.frame
    roles = set(_role_columns(export, None, export.reader).values())
    candidates = [c for c in frame.columns if not is_identifier(c)
                  and not is_identifier(export.question_text.get(c, ""))
                  and c not in roles and _squash(c) not in META_HEADINGS
                  and not _squash(c).startswith("location")]
    if isinstance(items, str):
        chosen = [c for c in candidates if re.search(items, c)]
    elif items is not None:
        missing = [c for c in items if c not in frame.columns]
        if missing:
            raise InputError([problem(export.path, 1, c, None, "an item column of the export")
                              for c in missing])
        chosen = list(items)
    elif export.reader == "limesurvey" and any(_ARRAY_COLUMN.match(c) for c in candidates):
        chosen = [c for c in candidates if _ARRAY_COLUMN.match(c)]
    elif export.reader == "qualtrics" and not export.import_ids:  # legacy: V1.. are tool columns
        chosen = [c for c in candidates if not re.fullmatch(r"V\d+", c)
                  and _looks_like_answers(frame[c])]
    elif export.reader == "qualtrics":
        chosen = [c for c in candidates if export.import_ids.get(c, "").startswith("QID")
                  and not export.import_ids[c].endswith("_TEXT")
                  and "_TEXT_" not in export.import_ids[c]]
    elif export.reader == "spss":
        chosen = [c for c in candidates if c in export.value_labels
                  and pd.api.types.is_numeric_dtype(frame[c])]
    else:
        chosen = [c for c in candidates if _looks_like_answers(frame[c])]
    if not chosen:
        raise InputError(problem(export.path, 1, None, None,
                                 "at least one item column (answers as codes or labels)"))

    if export.reader == "spss":
        seen = frame[chosen].to_numpy(dtype="float64")
        seen = seen[~np.isnan(seen)]
    else:
        text = pd.Series(frame[chosen].to_numpy(dtype=object).ravel()).astype("string")
        text = text[text.str.fullmatch(r"\s*[+-]?\d+\s*", na=False)]
        seen = text.astype("int64").to_numpy()
    lo = int(min(1, seen.min())) if seen.size else 1
    hi = int(max(lo + 1, seen.max())) if seen.size else 5
    raw = {
        "instrument": f"as-is:{export.path.name}",
        "scale": {"min": lo, "max": hi},
        "constructs": [{"id": "all", "name": {"nl": "Alle items", "en": "All items"},
                        "min_share": 1.0}],
        "items": [{"id": c, "construct": "all",
                   "text": {"nl": export.question_text.get(c, c) or c,
                            "en": export.question_text.get(c, c) or c},
                   "sources": {export.reader: c}} for c in chosen],
    }
    return from_dict(raw, f"<as-is codebook of {export.path.name}>")


def _looks_like_answers(values: pd.Series) -> bool:
    text = values.astype("string").str.strip()
    text = text[text.notna() & (text != "")]
    if text.empty:
        return False
    folded = text.drop_duplicates().map(normalise_label)
    from analysis.codebook import AGREEMENT_LABELS, MISSING_LABELS

    known = {normalise_label(x) for labs in AGREEMENT_LABELS.values() for x in labs}
    known |= {normalise_label(x) for x in MISSING_LABELS}
    # whole numbers of a rating scale (0..10) or known labels; ids and ages are not answers
    return bool(folded.map(lambda t: (t.isdigit() and int(t) <= 10) or t in known).all())


def read_survey(path: str | Path, codebook: Codebook | None, reader: str = "auto", *,
                key: bytes, source: str | None = None,
                items: list[str] | str | None = None,
                organisations: pd.DataFrame | None = None) -> SurveyTables:
    """Read one survey export into the respondents and answers tables.

    Parameters
    ----------
    path : str or Path
        The export.
    codebook : Codebook or None
        Says which column is which item (``sources``) and how background questions map.
        ``None`` reads the file as it is, with :func:`as_is_codebook`.
    reader : str
        One of :data:`READERS` or ``'auto'``.
    key : bytes
        The pseudonymisation key (:func:`analysis.privacy.hash_key`).
    source : str, optional
        Which ``sources`` entry of the codebook to use; defaults to the reader's name.
    items : list of str or str, optional
        Only with ``codebook=None``: the item columns (see :func:`as_is_codebook`).
    organisations : DataFrame, optional
        The organisation register (:func:`analysis.organisations.read`); when given, every
        organisation code must be in it.

    Returns
    -------
    SurveyTables
        ``respondents`` and ``answers`` as in ``data/processed/README.md`` (ingest).

    Raises
    ------
    InputError
        An empty file; a row with the wrong number of fields; a codebook item, or the
        organisation column the codebook names (``background.organisation.sources``), missing
        from the header (row: the header line); one problem per unknown answer label,
        unparseable date or number, code outside an item's range, blank organisation or
        organisation code the register lacks, each naming the file, row, column and value
        (at most 20 of a kind, then how many more).

    Notes
    -----
    ``respondent`` is HMAC-SHA256 of ``file name#data row`` (unique, stable for a file);
    ``token`` hashes the invitation token, or the tool's response id when there is no token,
    so that the duplicates screen can find a response submitted twice. Timing is trusted when
    the submit date is present and not LimeSurvey's 1980-01-01 placeholder and a duration is
    known (given, or submit minus start).

    Examples
    --------
    >>> t = read_survey("tests/data/limesurvey_remotecontrol_export/export_responses_code.csv",
    ...                 None, key=b"k")
    >>> t.answers.shape, bool(t.respondents.timing_trusted[0])
    ((1, 71), False)
    """
    export = read_export(path, reader)
    return tables_from_export(export, codebook, key=key, source=source, items=items,
                              organisations=organisations)


def tables_from_export(export: Export, codebook: Codebook | None, *, key: bytes,
                       source: str | None = None,
                       items: list[str] | str | None = None,
                       organisations: pd.DataFrame | None = None) -> SurveyTables:
    """Build the ingest tables from an :class:`Export` (see :func:`read_survey`)."""
    path = export.path
    if codebook is None:
        codebook = as_is_codebook(export, items)
        source = export.reader
    source = source or export.reader
    frame = export.frame
    n = len(frame)
    problems: list[Problem] = []

    dropped = [c for c in frame.columns
               if is_identifier(c) or is_identifier(export.question_text.get(c, ""))
               or _squash(c).startswith("location")]
    roles = _role_columns(export, codebook, source)
    roles = {r: c for r, c in roles.items() if c not in dropped}
    columns = _item_columns(export, codebook, source)
    columns = {i: c for i, c in columns.items() if c not in dropped}
    if not columns:
        raise InputError(problem(path, 1, None, None,
                                 f"the item columns of codebook {codebook.instrument!r} for "
                                 f"source {source!r} in header row 1; none found. Check "
                                 "--source and the codebook's 'sources' names, or read a "
                                 "file that follows no codebook as it is (python -m analysis "
                                 "validate FILE --codebook none)"))
    # Header problems first: a column the codebook names that the file lacks.
    absent = [i for i in codebook.items if i not in columns]
    header = _capped([_missing_item(export, codebook.items[i], source) for i in absent],
                     path, "codebook items without a column")
    organisation_column, missing = _organisation_column(export, codebook, source, roles)
    if header or missing:
        raise InputError(([missing] if missing else []) + header)
    used = set(columns.values()) | set(roles.values()) | set(dropped)
    unmatched = [c for c in frame.columns if c not in used]

    def text(role: str) -> pd.Series | None:
        column = roles.get(role)
        if column is None:
            return None
        values = frame[column]
        if export.reader == "spss" and pd.api.types.is_numeric_dtype(values):
            values = values.map(lambda v: "" if pd.isna(v) else f"{v:g}")
        return values.astype("string").str.strip().replace("", pd.NA)

    source_file = path.name
    source_row = np.arange(1, n + 1, dtype="int64")
    respondent = pseudonymise(pd.Series(np.char.add(f"{source_file}#", source_row.astype(str)),
                                        dtype=object), key, NS_RESPONDENT)

    token_text = text("token")
    tool_id = text("respondent_id")
    token = None
    if token_text is not None:
        token = pseudonymise(token_text, key, NS_TOKEN)
    if tool_id is not None and (token is None or token.isna().any()):
        need = tool_id if token is None else tool_id.where(token.isna())
        by_id = pseudonymise(need, key, f"{NS_TOKEN}id:{source_file}:")
        token = by_id if token is None else token.fillna(by_id)
    if token is None:
        token = pd.Series(pd.NA, index=frame.index, dtype="string")

    started = submitted = None
    if "started_at" in roles:
        started = _parse_datetime(frame[roles["started_at"]], path, roles["started_at"],
                                  problems)
    if "submitted_at" in roles:
        submitted = _parse_datetime(frame[roles["submitted_at"]], path, roles["submitted_at"],
                                    problems)
    nat = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    started = nat if started is None else started
    submitted = nat if submitted is None else submitted
    placeholder = submitted.dt.normalize() == PLACEHOLDER_DATE
    started = started.mask(started.dt.normalize() == PLACEHOLDER_DATE)
    submitted = submitted.mask(placeholder)
    if placeholder.any():
        logger.info("%s: %d submit dates are LimeSurvey's 1980-01-01 placeholder; their "
                    "timing is not trusted", source_file, int(placeholder.sum()))
    if "duration_s" in roles:
        duration = _parse_number(frame[roles["duration_s"]], path, roles["duration_s"],
                                 problems)
    else:
        duration = (submitted - started).dt.total_seconds().astype("float64")
    duration = duration.where(duration >= 0)
    timing_trusted = (submitted.notna() & duration.notna() & (duration > 0)).astype(bool)

    is_test = pd.Series(False, index=frame.index)
    if "is_test" in roles:
        flag = text("is_test").fillna("").str.lower()
        is_test = flag.isin(["1", "true", "yes", "ja", "waar"])
    if export.reader == "qualtrics" and "status" in roles:
        is_test = text("status").fillna("").map(_squash).isin(QUALTRICS_TEST_STATUS)
    if token_text is not None:
        is_test = is_test | token_text.fillna("").str.lower().str.startswith("test")

    organisation = text("organisation")
    if organisation is None:
        organisation = pd.Series(pd.NA, index=frame.index, dtype="string")
    elif organisation_column is not None:
        _check_organisations(organisation, path, organisation_column, organisations, problems)
    group_text = text("function_group")
    named = ((codebook.background.get("function_group") or {}).get("sources") or {}).get(source)
    if group_text is None and named is not None:
        # not an error (a survey may leave the question out), but never silent
        logger.warning("%s: no column %r, which the codebook names for the function group: all "
                       "%d respondents are counted as 'unknown'", path.name, named, len(frame))
    function_group = _function_groups(
        pd.Series("", index=frame.index) if group_text is None else group_text, codebook)
    platform = text("platform_user")
    platform_user = (pd.Series(pd.NA, index=frame.index, dtype="string") if platform is None
                     else pseudonymise(platform, key, NS_PLATFORM_USER))

    answers = _answer_codes(export, columns, codebook, problems)
    if problems:
        raise InputError(problems)

    respondents = pd.DataFrame({
        "respondent": respondent.to_numpy(),
        "organisation": organisation.to_numpy(),
        "function_group": function_group.to_numpy(),
        "source_file": source_file,
        "source_row": source_row,
        "token": token.to_numpy(),
        "started_at": started.to_numpy(),
        "submitted_at": submitted.to_numpy(),
        "duration_s": duration.to_numpy(dtype="float64", na_value=np.nan),
        "timing_trusted": timing_trusted.to_numpy(),
        "is_test": is_test.to_numpy(dtype=bool),
        "platform_user": platform_user.to_numpy(),
    })
    for column in ("respondent", "organisation", "function_group", "source_file", "token",
                   "platform_user"):
        respondents[column] = respondents[column].astype("string")
    respondents["started_at"] = respondents["started_at"].astype("datetime64[us]")
    respondents["submitted_at"] = respondents["submitted_at"].astype("datetime64[us]")
    answers.insert(0, "respondent", respondents["respondent"].to_numpy())
    answers["respondent"] = answers["respondent"].astype("string")

    RESPONDENTS_SCHEMA.validate(respondents)
    answers_schema(codebook).validate(answers)
    if dropped:
        logger.info("%s: dropped identifier columns %s", source_file, ", ".join(dropped))
    logger.info("%s: %d respondents, %d items", source_file, n, len(columns))
    return SurveyTables(respondents, answers, export.reader, dropped, codebook, unmatched)


def read_surveys(paths: list[str | Path], codebook: Codebook | None, reader: str = "auto", *,
                 key: bytes, source: str | None = None,
                 organisations: pd.DataFrame | None = None) -> SurveyTables:
    """Read several exports and concatenate their tables (see :func:`read_survey`).

    With ``codebook=None`` every file must yield the same as-is items.

    Raises
    ------
    InputError
        When two files share a name (their respondent hashes would collide), or any file fails.
    """
    paths = [Path(p) for p in paths]
    names = [p.name for p in paths]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError([problem(p, expected="a file name unique among the survey exports "
                                  "(respondent ids are hashed with it)")
                          for p in paths if p.name in twice])
    parts, problems = [], []
    for path in paths:
        try:
            parts.append(read_survey(path, codebook, reader, key=key, source=source,
                                     organisations=organisations))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    columns = [list(p.answers.columns) for p in parts]
    if any(c != columns[0] for c in columns):
        raise InputError([problem(p.respondents.source_file.iloc[0], 1, None, None,
                                  "the same item columns as the first export")
                          for p, c in zip(parts, columns, strict=True) if c != columns[0]])
    respondents = pd.concat([p.respondents for p in parts], ignore_index=True)
    answers = pd.concat([p.answers for p in parts], ignore_index=True)
    readers = sorted({p.reader for p in parts})
    dropped = sorted({c for p in parts for c in p.dropped_columns})
    return SurveyTables(respondents, answers, "+".join(readers), dropped, parts[0].codebook,
                        sorted({c for p in parts for c in p.unmatched_columns}))

