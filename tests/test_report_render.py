"""Rendering: the notebooks executed by papermill and turned into HTML and PDF (the nbconvert +
WeasyPrint path; Quarto is not installed here). Structure is checked, not looks: sections
present, headings in order, alt text on every image, nothing from the network, a lang
attribute, n in every table, no suppressed value and no other organisation in a report."""

import html
import re
import shutil
from html.parser import HTMLParser

import pytest
import yaml

from analysis.paths import PARAMS
from analysis.report import example, load_text, render


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.headings, self.tables, self.text = [], [], [], []
        self._heading = None
        self._table = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [int(tag[1]), ""]
        if tag == "table":
            self._table = []
        if tag == "th" and self._table is not None and attrs.get("scope") == "col":
            self._table.append("")

    def handle_endtag(self, tag):
        if self._heading and re.fullmatch(r"h[1-6]", tag):
            self.headings.append(tuple(self._heading))
            self._heading = None
        if tag == "table":
            self.tables.append(self._table)
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._heading:
            self._heading[1] += data
        if self._table and self._table[-1] == "" and self.tags[-1][0] == "th":
            self._table[-1] = data


def _parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _no_data_uris(text):
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("render")
    frames = example.write(root / "processed")
    params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    params["ingest"]["organisations"] = str(root / "processed" / "organisations.csv")
    params["render"].update(language="nl", organisations=["O01"])
    results = render.render_all(params, root / "processed", root / "reports", workers=2)
    return results, frames, root


def test_reports_exist_in_both_formats(rendered):
    results, _, root = rendered
    assert set(results) == {"O01", "pilot-study"}
    for paths in results.values():
        assert paths["html"].parent.name in {"O01", "pilot-study"}
        assert paths["pdf"].read_bytes()[:5] == b"%PDF-"
        assert paths["notebook"].exists()
    assert (root / "reports" / "index.html").exists()
    assert not list((root / "reports").rglob(".*part*"))       # nothing half-written left


def test_executed_notebook_carries_its_parameters(rendered):
    import nbformat

    notebook = nbformat.read(rendered[0]["O01"]["notebook"], as_version=4)
    parameters = notebook.metadata["papermill"]["parameters"]
    assert parameters["organisation"] == "O01" and parameters["language"] == "nl"
    assert parameters["params"]["benchmark"]["min_group_size"] == 5


@pytest.mark.parametrize("report", ["O01", "pilot-study"])
def test_html_is_self_contained_and_accessible(rendered, report):
    path = rendered[0][report]["html"]
    source = path.read_text(encoding="utf-8")
    page = _parse(path)
    assert source.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "nl"}) in page.tags
    # nothing loaded from elsewhere: no script, no linked stylesheet, every image a data URI
    assert not [t for t, _ in page.tags if t in ("script", "link", "iframe")]
    assert not re.search(r"(src|href)=\"(https?:)?//|url\(\s*['\"]?https?:|@import", source)
    images = [a for t, a in page.tags if t == "img"]
    assert images
    for attrs in images:
        assert attrs["src"].startswith("data:image/png;base64,")
        assert len(attrs.get("alt", "")) > 30
    # headings: one h1 first, never a jump of more than one level
    levels = [level for level, _ in page.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    # every table has header cells and shows n
    assert page.tables
    for headers in page.tables:
        assert headers and any(h == "n" or h.startswith("n ") or "(n " in h for h in headers), \
            headers


def test_organisation_report_has_every_section(rendered):
    page = _parse(rendered[0]["O01"]["html"])
    titles = {text.strip() for level, text in page.headings if level == 2}
    nl = load_text("nl")
    for section in ("summary", "response", "usage", "profiles", "groups", "survey", "soft_hard",
                    "methods"):
        assert nl(f"sections.{section}.title") in titles
    assert nl("meta.toc") in titles
    # 3 to 5 key findings in the summary
    source = rendered[0]["O01"]["html"].read_text(encoding="utf-8")
    summary = source.split(nl("sections.summary.title"))[2].split("</ul>")[0]
    assert 3 <= summary.count("<li>") <= 5


def test_pilot_report_has_every_section(rendered):
    page = _parse(rendered[0]["pilot-study"]["html"])
    titles = {text.strip() for level, text in page.headings if level == 2}
    nl = load_text("nl")
    for section in ("pilot_benchmark", "pilot_distributions", "pilot_scatter",
                    "pilot_contrasts", "pilot_groups", "pilot_profiles", "pilot_gap",
                    "limitations"):
        assert nl(f"sections.{section}.title") in titles


def test_no_suppressed_value_leaks(rendered):
    for report in ("O01", "pilot-study"):
        text = _no_data_uris(rendered[0][report]["html"].read_text(encoding="utf-8"))
        assert "9,87" not in text and "9.87" not in text
    source = rendered[0]["O01"]["html"].read_text(encoding="utf-8")
    assert "—*" in source                                         # the mark is shown instead


def test_organisation_report_names_no_other_organisation(rendered):
    _, frames, _ = rendered
    text = html.unescape(_no_data_uris(rendered[0]["O01"]["html"].read_text(encoding="utf-8")))
    organisations = frames["organisations"]
    own = organisations[organisations["code"] == "O01"].iloc[0]
    assert own["name"] in text
    for _, other in organisations[organisations["code"] != "O01"].iterrows():
        assert other["name"] not in text
        assert not re.search(rf"\b{other['code']}\b", text), other["code"]


def test_pilot_shows_codes_not_names(rendered):
    _, frames, _ = rendered
    text = html.unescape(_no_data_uris(
        rendered[0]["pilot-study"]["html"].read_text(encoding="utf-8")))
    for _, org in frames["organisations"].iterrows():
        assert org["code"] in text
        assert org["name"] not in text


def test_page_strips_scripts_and_builds_contents():
    body = ("<h1>T</h1><p class=\"generated\">d</p><h2>Één</h2><script src='https://x'></script>"
            "<h3>Sub</h3><h2>Two</h2>")
    page = render.page(body, "en", "T", "Contents")
    assert "<script" not in page and '<html lang="en">' in page
    assert '<a href="#een">Één</a><ol><li><a href="#sub">Sub</a></li></ol>' in page
    assert page.index("<nav") > page.index('class="generated"')


@pytest.mark.slow
def test_english_report(tmp_path):
    example.write(tmp_path / "processed", n_organisations=5)
    params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    params["ingest"]["organisations"] = str(tmp_path / "processed" / "organisations.csv")
    params["render"].update(language="en", organisations=["O02"])
    results = render.render_all(params, tmp_path / "processed", tmp_path / "reports",
                                pilot=False, workers=1)
    page = _parse(results["O02"]["html"])
    assert ("html", {"lang": "en"}) in page.tags
    assert "Survey themes against the benchmark" in {t for _, t in page.headings}


def test_render_section_alone_is_completed_from_params_yaml(tmp_path):
    # the render stage may pass only its params section plus the organisations register
    register = tmp_path / "organisations.csv"
    example.organisations(3).to_csv(register, index=False)
    full = render.full_params({"language": "en", "organisations": "all",
                               "organisations_file": str(register)})
    assert full["render"] == {"language": "en", "organisations": "all"}
    assert full["benchmark"]["min_group_size"] == 5
    assert render.organisations_to_render(full) == ["O01", "O02", "O03"]


def test_unknown_organisation_is_named(tmp_path):
    from analysis.errors import InputError

    register = tmp_path / "organisations.csv"
    example.organisations(2).to_csv(register, index=False)
    params = render.full_params({"organisations": ["O01", "XYZ"],
                                 "organisations_file": str(register)})
    with pytest.raises(InputError, match="XYZ"):
        render.organisations_to_render(params)


def _headings(path, levels=(2, 3, 4)):
    return {text.strip() for level, text in _parse(path).headings if level in levels}


def test_soft_and_hard_show_the_study_question_and_the_strongest_links(rendered):
    nl = load_text("nl")
    for report in ("O01", "pilot-study"):
        path = rendered[0][report]["html"]
        assert {nl("sections.questions.title"), nl("sections.correlations.title")} <= \
            _headings(path)
        text = html.unescape(_no_data_uris(path.read_text(encoding="utf-8")))
        # the example's answers per level, in plain words, with r and its CI
        assert nl("answers.no clear link") in text and nl("answers.more questions") in text
        assert "ρ = +0,61; 95%-BI −0,30 tot +0,94" in text
        assert nl("sections.questions.small_n", small_n=10) in text    # 7 organisations
        # the strongest links: one table per level, the small-n caveat under the first
        assert nl("sections.correlations.small_n", small_n=10) in text
        for level in ("organisation", "organisation_group", "individual"):
            assert nl("sections.correlations.caption", level=nl(f"levels.{level}"),
                      unit=nl(f"level_units.{level}")) in text


def test_methods_show_omega_warnings_and_structure(rendered):
    nl = load_text("nl")
    path = rendered[0]["O01"]["html"]
    page = _parse(path)
    assert any(nl("columns.omega") in headers for headers in page.tables)
    assert {nl("sections.methods.warnings_title"), nl("sections.methods.structure_title"),
            nl("sections.methods.definitions_title")} <= _headings(path)
    text = html.unescape(_no_data_uris(path.read_text(encoding="utf-8")))
    # the example plants alpha 0.55 on the first construct and a negative item-rest r
    assert "alfa 0,55 is lager dan de drempel 0,60" in text
    assert f"({example.NEGATIVE_ITEM}) gaat tegen de rest" in text and "−0,12" in text
    assert "Kaiser-Meyer-Olkinmaat 0,88" in text and "SRMR" in text
    # usage measures are defined as analysis.measures defines them
    from analysis import measures

    assert measures.get("questions").definition("nl") in text


def test_organisation_gap_benchmark_leaves_the_organisation_out(rendered):
    from analysis.report import sections

    _, frames, root = rendered
    params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    params["ingest"]["organisations"] = str(root / "processed" / "organisations.csv")
    params["benchmark"]["min_organisations"] = 3       # the fixture has 3 other gaps to show
    ctx = sections.context(root / "processed", "O02", params, "nl")
    table = next(b for b in sections.survey(ctx) if getattr(b, "caption", "") == ctx.text(
        "sections.survey.gap_table_caption"))
    gap = frames["perception_gap"]
    others = gap[~gap["organisation"].isin(["O02", "benchmark"]) & ~gap["suppressed"]]
    assert len(others) >= ctx.min_organisations
    expected = ctx.text.signed(others["gap"].mean())
    bench = table.cells[table.cells.iloc[:, 1] == ctx.text("figures.benchmark")]
    assert bench.iloc[0][ctx.text("columns.gap")] == expected
    assert ctx.text.signed(example.POOLED_GAP) not in table.to_html()


def test_page_keeps_headings_with_what_follows():
    body = ('<h1>T</h1><p class="generated">d</p><h2>A</h2><h3>B</h3><p>intro</p>'
            '<figure class="report-figure"><img alt="x" src="data:image/png;base64,AA=="></figure>'
            '<h2>C</h2><figure class="table long"><table class="report-table"><caption>c'
            '</caption></table></figure>')
    out = render.page(body, "en", "T", "Contents")
    keep = re.findall(r'<div class="keep">(.*?)</div>', out, flags=re.S)
    assert len(keep) == 2
    assert keep[0].startswith('<h2 id="a">A</h2><h3 id="b">B</h3><p>intro</p><figure')
    assert keep[1] == '<h2 id="c">C</h2>'        # a long table may break, so it stays out


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
@pytest.mark.parametrize("report", ["O01", "pilot-study"])
def test_no_pdf_page_ends_with_a_heading(rendered, report):
    import subprocess

    paths = rendered[0][report]
    headings = _headings(paths["html"])
    pages = subprocess.run(["pdftotext", "-layout", str(paths["pdf"]), "-"], check=True,
                           capture_output=True, text=True).stdout.split("\f")
    for number, text in enumerate(pages, start=1):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        lines = [line for line in lines if not re.fullmatch(r"\d+ / \d+", line)]
        if lines:
            assert lines[-1] not in headings, (number, lines[-1])
