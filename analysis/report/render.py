"""Render the reports: execute the report notebooks per organisation, then HTML and PDF.

``python -m analysis render`` (the pipeline's last stage) calls :func:`render_all`, which for
every organisation in ``params.yaml`` (``render.organisations``) and for the pilot study

1. executes the template notebook with papermill, its parameters cell filled with literals
   (organisation, language, processed folder, git commit, data hash, the parameters), and keeps
   the executed notebook as ``reports/<code>/report.ipynb``, the provenance record;
2. renders that executed notebook, without executing it again, to ``report.html`` and
   ``report.pdf``:

   - with **Quarto** when ``quarto`` is on the PATH (HTML with embedded resources, PDF through
     Typst);
   - otherwise with **nbconvert** (code hidden) wrapped in this package's own page (``lang``
     attribute, table of contents, a stylesheet inline: no script, stylesheet, font or image
     from the network) and **WeasyPrint** for the PDF (table of contents with page numbers,
     page counters in the footer).

The log says which renderer ran. Reports are written to a temporary name and moved into place,
so a failed run leaves no half-written report behind. Reports run in parallel (one worker
process per core, each driving its own kernel process).
"""

from __future__ import annotations

import argparse
import html
import multiprocessing
import os
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import yaml

from analysis.log import logger, setup
from analysis.paths import NOTEBOOKS, PARAMS, PROCESSED, REPORTS, ROOT
from analysis.stage import execute_notebook

PILOT = "pilot-study"
TEMPLATES = {"organisation": NOTEBOOKS / "report_organisation.ipynb",
             "pilot": NOTEBOOKS / "report_pilot.ipynb"}
CSS = Path(__file__).with_name("report.css")


# ------------------------------------------------------------------------------ versions

def git_commit(root: Path = ROOT) -> str:
    """The short git commit of the code, with '+changes' when the work tree differs from it."""
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no", "analysis", "notebooks", "params.yaml",
                                "dvc.yaml"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if dirty else "")


def full_params(params: dict) -> dict:
    """The whole parameter set from either the whole ``params.yaml`` or its ``render`` section.

    The render stage may pass just the ``render`` section (plus ``organisations_file``, the path
    of the organisations register); the reports' methods appendix also needs the other sections,
    which then come from ``params.yaml``.
    """
    if "render" in params:
        return params
    full = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    full["render"] = {k: v for k, v in params.items() if k != "organisations_file"}
    if params.get("organisations_file"):
        full.setdefault("ingest", {})["organisations"] = str(Path(params["organisations_file"])
                                                             .resolve())
    return full


def organisations_to_render(params: dict) -> list[str]:
    """The organisation codes ``render.organisations`` asks for ('all' = every organisation)."""
    from analysis.report.sections import raw_path

    codes = pd.read_csv(raw_path(params, "organisations"), dtype=str)["code"].tolist()
    wanted = params.get("render", {}).get("organisations", "all")
    if wanted in (None, "all"):
        return codes
    unknown = [c for c in wanted if c not in codes]
    if unknown:
        from analysis.errors import InputError, problem

        raise InputError(problem(PARAMS, None, "render.organisations", unknown,
                                 f"organisation codes from the organisations file: {codes}"))
    return list(wanted)


# ------------------------------------------------------------------------------ execution

def execute(template: Path, out: Path, parameters: dict, cwd: Path = ROOT) -> Path:
    """Execute a report template with papermill into ``out`` (the executed notebook)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    execute_notebook(template, out, parameters, cwd)
    return out


# ------------------------------------------------------------------------------ HTML

class _Headings(HTMLParser):
    """Collect headings (level, id, text) in document order."""

    def __init__(self):
        super().__init__()
        self.headings: list[list] = []
        self._open = None

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self._open = [int(tag[1]), dict(attrs).get("id"), ""]

    def handle_endtag(self, tag):
        if self._open and re.fullmatch(r"h[1-6]", tag):
            self.headings.append(self._open)
            self._open = None

    def handle_data(self, data):
        if self._open:
            self._open[2] += data


def _slug(text: str, seen: set) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "section"
    slug, i = base, 2
    while slug in seen:
        slug, i = f"{base}-{i}", i + 1
    seen.add(slug)
    return slug


def _number_headings(body: str) -> tuple[str, list]:
    """Give every h2/h3 a fresh unique id; return the body and the (level, id, text) list."""
    seen: set = set()
    headings = []

    def one(match):
        level, inner = int(match.group(1)), match.group(3)
        plain = html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()
        if level not in (2, 3):
            return f"<h{level}>{inner}</h{level}>"
        slug = _slug(plain, seen)
        headings.append((level, slug, plain))
        return f'<h{level} id="{slug}">{inner}</h{level}>'

    body = re.sub(r"<h([1-6])([^>]*)>(.*?)</h\1>", one, body, flags=re.S)
    return body, headings


def _toc(headings: list, title: str) -> str:
    items, open_sub = [], False
    for level, slug, text in headings:
        if level == 2:
            if open_sub:
                items.append("</ol></li>")
                open_sub = False
            elif items:
                items.append("</li>")
            items.append(f'<li><a href="#{slug}">{html.escape(text)}</a>')
        else:
            if not open_sub:
                items.append("<ol>")
                open_sub = True
            items.append(f'<li><a href="#{slug}">{html.escape(text)}</a></li>')
    if open_sub:
        items.append("</ol>")
    if items:
        items.append("</li>")
    return (f'<nav class="toc" aria-labelledby="toc-title"><h2 id="toc-title">'
            f'{html.escape(title)}</h2><ol>{"".join(items)}</ol></nav>')


def _strip_external(body: str) -> str:
    """Remove scripts and anything that would load from the network."""
    body = re.sub(r"<script\b.*?</script>", "", body, flags=re.S | re.I)
    body = re.sub(r"<link\b[^>]*>", "", body, flags=re.I)
    return body


def notebook_body(notebook: Path) -> str:
    """The executed notebook's outputs as an HTML fragment, code and prompts hidden."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True,
                            exclude_markdown=True, exclude_raw=True, exclude_anchor_links=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    return body


def _number_captions(body: str, language: str) -> str:
    """Prefix figure and table captions with 'Figuur 3.' / 'Tabel 2.' in document order."""
    from analysis.report import load_text

    text = load_text(language)
    counts = {"figure": 0, "table": 0}

    def figure(match):
        counts["figure"] += 1
        return match.group(1) + html.escape(text("marks.figure", n=counts["figure"])) + " "

    def table(match):
        counts["table"] += 1
        return match.group(1) + html.escape(text("marks.table", n=counts["table"])) + " "

    body = re.sub(r'(<figure class="report-figure">.*?<figcaption>)', figure, body, flags=re.S)
    return re.sub(r'(<table class="report-table"><caption>)', table, body)


def _flatten(body: str) -> str:
    """Drop nbconvert's wrapper ``<div>``s so headings, paragraphs, figures and tables are
    siblings: print rules such as 'no page break after a heading' act between siblings only.

    The report's own blocks hold no ``<div>`` (figures, tables, paragraphs, lists, headings).
    """
    return re.sub(r"</?div\b[^>]*>", "", body, flags=re.I)


_KEEP = re.compile(
    r"((?:<h[2-4]\b[^>]*>.*?</h[2-4]>\s*)+)"          # one or more headings in a row
    r"((?:<p\b[^>]*>.*?</p>\s*)*)"                     # the intro paragraphs
    r"(<figure\b(?![^>]*\blong\b).*?</figure>|<ul>.*?</ul>|<dl\b.*?</dl>)?", re.S)


def _keep_headings_with_content(body: str) -> str:
    """Wrap every run of headings with its intro paragraphs and the first figure, table or list
    after them in one ``<div class="keep">`` that print does not break inside, so a heading is
    never the last thing on a page. (WeasyPrint does not always honour ``break-after: avoid``
    before a figure that moves to the next page.) A long table (``<figure class="table
    long">``) stays out: it may run over pages, and its caption keeps to its first rows."""
    return _KEEP.sub(lambda m: f'<div class="keep">{m.group(0)}</div>', body)


def page(body: str, language: str, title: str, toc_title: str) -> str:
    """Wrap a body fragment into a self-contained, accessible HTML page with a contents list."""
    body = _number_captions(_strip_external(body), language)
    # drop stderr/stream outputs (warnings, logs) from the reader's view
    body = re.sub(r'<div class="output_subarea output_stream output_stderr[^"]*">.*?</div>', "",
                  body, flags=re.S)
    body = _keep_headings_with_content(_flatten(body))
    body, headings = _number_headings(body)
    nav = _toc(headings, toc_title)
    anchor = re.search(r'<p class="generated">.*?</p>', body, flags=re.S) or re.search(
        r"</h1>", body)
    if anchor:
        body = body[:anchor.end()] + nav + body[anchor.end():]
    else:
        body = nav + body
    css = CSS.read_text(encoding="utf-8")
    return (f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>\n{css}\n</style>\n</head>\n"
            f'<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n')


def report_title(body: str) -> str:
    """The text of the first h1 in a body fragment."""
    parser = _Headings()
    parser.feed(body)
    return next((text.strip() for level, _, text in parser.headings if level == 1), "Report")


def html_to_pdf(page_html: str, out: Path, base_url: Path) -> Path:
    """Turn a report page into PDF with WeasyPrint (print styles: contents, page numbers)."""
    import weasyprint

    weasyprint.HTML(string=page_html, base_url=str(base_url)).write_pdf(str(out))
    return out


def _quarto() -> str | None:
    return shutil.which("quarto")


def render_notebook(notebook: Path, out_dir: Path, language: str, formats=("html", "pdf"),
                    toc_title: str = "Contents") -> dict[str, Path]:
    """Render an executed notebook to ``out_dir/report.html`` and ``report.pdf``, no re-execution.

    Quarto when it is on the PATH, otherwise nbconvert and WeasyPrint. Files are written under a
    temporary name and moved into place when complete.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    quarto = _quarto()
    if quarto:
        logger.info("render: %s with Quarto (%s)", notebook, quarto)
        for fmt, to in (("html", "html"), ("pdf", "typst")):
            if fmt not in formats:
                continue
            with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
                # ipynb input is not executed by Quarto unless asked; say so explicitly anyway
                subprocess.run([quarto, "render", str(notebook), "--to", to, "--no-execute",
                                "--output-dir", tmp, "-M", f"lang:{language}", "-M", "echo:false",
                                "-M", "warning:false", "-M", "toc:true", "-M",
                                "embed-resources:true", "-M", "html-math-method:plain"],
                               check=True, capture_output=True)
                made = next(Path(tmp).glob(f"*.{fmt}"))
                made.replace(out_dir / f"report.{fmt}")
            written[fmt] = out_dir / f"report.{fmt}"
        return written

    logger.info("render: %s with nbconvert + WeasyPrint (quarto is not on the PATH)", notebook)
    body = notebook_body(notebook)
    page_html = page(body, language, report_title(body), toc_title)
    if "html" in formats:
        tmp = out_dir / ".report.html.part"
        tmp.write_text(page_html, encoding="utf-8")
        Path(tmp).replace(out_dir / "report.html")
        written["html"] = out_dir / "report.html"
    if "pdf" in formats:
        tmp = out_dir / ".report.pdf.part"
        html_to_pdf(page_html, tmp, out_dir)
        Path(tmp).replace(out_dir / "report.pdf")
        written["pdf"] = out_dir / "report.pdf"
    return written


def render_one(kind: str, code: str | None, params: dict, processed_dir: Path,
               reports_dir: Path, commit: str, data_hash: str) -> dict[str, Path]:
    """Execute and render one report: an organisation's (``code``) or the pilot study's."""
    from analysis.report import load_text

    started = time.perf_counter()
    language = params.get("render", {}).get("language", "nl")
    formats = tuple(params.get("render", {}).get("formats", ["html", "pdf"]))
    out_dir = reports_dir / (code if kind == "organisation" else PILOT)
    out_dir.mkdir(parents=True, exist_ok=True)
    parameters = {"language": language, "processed_dir": str(processed_dir),
                  "commit": commit, "data_hash": data_hash, "params": params}
    if kind == "organisation":
        parameters["organisation"] = code
    notebook = out_dir / ".report.part.ipynb"
    execute(TEMPLATES[kind], notebook, parameters)
    Path(notebook).replace(out_dir / "report.ipynb")
    written = render_notebook(out_dir / "report.ipynb", out_dir, language, formats,
                              load_text(language)("meta.toc"))
    logger.info("render: %s done in %.1f s", out_dir, time.perf_counter() - started)
    return {"notebook": out_dir / "report.ipynb", **written}


def render_all(params: dict, processed_dir: str | Path = PROCESSED,
               reports_dir: str | Path = REPORTS, organisations: list[str] | None = None,
               pilot: bool = True, workers: int | None = None) -> dict[str, dict[str, Path]]:
    """Render every organisation's report and the pilot-study report; return the paths.

    Parameters
    ----------
    params : dict
        The whole ``params.yaml``; ``render`` chooses language, organisations and formats.
    processed_dir, reports_dir : path
        Where the processed tables are, and where ``<code>/`` and ``pilot-study/`` go.
    organisations : list of str, optional
        Codes to render instead of ``render.organisations``.
    workers : int, optional
        Reports rendered at the same time (default: the number of cores).
    """
    from analysis.report.data import data_hash as lock_hash

    params = full_params(params)
    processed_dir, reports_dir = Path(processed_dir).resolve(), Path(reports_dir).resolve()
    codes = organisations if organisations is not None else organisations_to_render(params)
    commit = git_commit()
    hash_ = lock_hash(ROOT / "dvc.lock") or "unknown"
    jobs = [("organisation", c) for c in codes] + ([("pilot", None)] if pilot else [])
    logger.info("render: %d reports (%s) into %s", len(jobs), ", ".join(codes), reports_dir)
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    results = {}
    if workers == 1:
        for kind, code in jobs:
            results[code or PILOT] = render_one(kind, code, params, processed_dir, reports_dir,
                                                commit, hash_)
        write_index(results, params, reports_dir)
        return results
    # worker processes, not threads: WeasyPrint's layout is pure Python and about half of a
    # report's cost, so threads would serialise it on the GIL. 'spawn' because this runs inside
    # a kernel whose ZeroMQ threads must not be forked.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=setup) as pool:
        futures = {(code or PILOT): pool.submit(render_one, kind, code, params, processed_dir,
                                                reports_dir, commit, hash_)
                   for kind, code in jobs}
        for key, future in futures.items():
            results[key] = future.result()
    write_index(results, params, reports_dir)
    return results


def write_index(results: dict, params: dict, reports_dir: Path) -> Path:
    """``reports/index.html``: a page that links every report (codes, or names when allowed)."""
    from analysis.report import load_text
    from analysis.report.sections import raw_path

    text = load_text(params.get("render", {}).get("language", "nl"))
    names = {}
    if params.get("render", {}).get("name_organisations_in_pilot"):
        register = pd.read_csv(raw_path(params, "organisations"), dtype=str)
        names = dict(zip(register["code"], register["name"], strict=True))
    items = []
    for key, paths in results.items():
        label = text("meta.title_pilot") if key == PILOT else names.get(key, key)
        links = " · ".join(f'<a href="{html.escape(p.relative_to(reports_dir).as_posix())}">'
                           f"{fmt.upper()}</a>" for fmt, p in paths.items() if fmt != "notebook")
        items.append(f"<li>{html.escape(label)}: {links}</li>")
    title = text("meta.index_title")
    body = f"<h1>{html.escape(title)}</h1><ul>{''.join(items)}</ul>"
    out = reports_dir / "index.html"
    out.write_text(page(body, text.language, title, text("meta.toc"))
                   .replace('<nav class="toc"', '<nav hidden class="toc"'), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis render``: render the reports and print where they are."""
    parser = argparse.ArgumentParser(prog="python -m analysis render", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--params", default=str(PARAMS), help="params.yaml to read")
    parser.add_argument("--processed", default=str(PROCESSED), help="processed tables folder")
    parser.add_argument("--reports", default=str(REPORTS), help="reports folder to write")
    parser.add_argument("--organisation", action="append", dest="organisations",
                        help="render only this organisation (repeatable)")
    parser.add_argument("--language", choices=["nl", "en"], help="override render.language")
    parser.add_argument("--no-pilot", action="store_true", help="skip the pilot-study report")
    parser.add_argument("--workers", type=int, help="reports at the same time (default: cores)")
    args = parser.parse_args(argv)
    params = yaml.safe_load(Path(args.params).read_text(encoding="utf-8"))
    if args.language:
        params.setdefault("render", {})["language"] = args.language
    results = render_all(params, args.processed, args.reports, args.organisations,
                         pilot=not args.no_pilot, workers=args.workers)
    for key, paths in results.items():
        print(f"{key}: " + ", ".join(str(p) for k, p in paths.items() if k != "notebook"))
    return 0
