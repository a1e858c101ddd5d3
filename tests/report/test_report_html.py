"""Tests of the HTML report rendered from the loan-approval findings fixture."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import matplotlib
import pytest

from equilens.errors import EquilensError
from equilens.report import render_html
from equilens.report._format import format_share
from equilens.report._units import UnitView

# Elements that the report may contain. Anything else (script, iframe, link, img, object,
# embed, form) would mean that markup from the data escaped into the page.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "nav", "main", "section",
    "footer", "article", "div", "p", "span", "strong", "em", "code", "br", "a", "ol", "ul",
    "li", "dl", "dt", "dd", "h1", "h2", "h3", "table", "caption", "thead", "tbody", "tr",
    "th", "td", "figure", "figcaption",
    # inline SVG written by matplotlib
    "svg", "desc", "defs", "g", "path", "use", "clippath", "clipPath", "rect", "text",
    "pattern", "image", "polyline", "line", "circle", "tspan",
}  # fmt: skip

REMOTE_REFERENCE = re.compile(
    r"""(?:\b(?:src|href|action|poster|data|srcset)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)|(?:@import)""",
    re.IGNORECASE,
)


class _Elements(HTMLParser):
    """Collect every start tag with its attributes, and the rows of every table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[tuple[str, list[str]]] = []
        self._row: list[str] | None = None
        self._row_class = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self._row, self._row_class = [], dict(attrs).get("class") or ""
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            # Text pieces are joined with spaces because a <br> between them carries no text.
            self._row.append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append((self._row_class, self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def unit_section(html: str, heading: str) -> str:
    """Return the HTML of the section whose heading is `heading`, e.g. 'Attribute: race'."""
    start = html.index(f"<h2>{heading}</h2>")
    return html[start : html.index("</section>", start)]


def group_table_row(html: str, heading: str, label: str) -> tuple[str, list[str]]:
    """Return the class and cells of a group's row in a section's group-metrics table."""
    section = unit_section(html, heading)
    table = section[section.index('<table class="metrics">') :]
    table = table[: table.index("</table>")]
    return next(
        (row_class, cells)
        for row_class, cells in parse(table).rows
        if cells and cells[0].removesuffix(" small").removesuffix(" reference") == label
    )


def svg_elements(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)


def test_render_html_is_complete_document(loan_html: str) -> None:
    assert loan_html.startswith("<!DOCTYPE html>")
    assert loan_html.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in loan_html


def test_hostile_strings_are_escaped(loan_html: str) -> None:
    assert "<script" not in loan_html.lower()
    assert "alert(1)</script>" not in loan_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in loan_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;&amp;&#39; | *v2*" in loan_html


def test_hostile_strings_add_no_elements_or_handlers(loan_html: str) -> None:
    elements = parse(loan_html)
    unexpected = {tag for tag, _ in elements.tags} - ALLOWED_TAGS
    handlers = [
        (tag, name) for tag, attrs in elements.tags for name in attrs if name.startswith("on")
    ]
    assert unexpected == set()
    assert handlers == []


def test_hostile_group_label_escaped_in_svg_text(loan_html: str) -> None:
    svgs = svg_elements(loan_html)
    with_label = [svg for svg in svgs if "not married &lt;script&gt;alert(1)&lt;/script&gt;" in svg]
    assert with_label, "the married chart should show the hostile label as escaped text"
    assert all("<script" not in svg for svg in svgs)


def test_dollar_in_label_stays_literal(loan_findings, relabel) -> None:
    findings = relabel(loan_findings, "hispanic", "hispanic $5k$")
    html = render_html(findings)
    chart_text = " ".join(svg_elements(html))
    assert "hispanic $5k$" in chart_text


def test_no_remote_resource_references(loan_html: str) -> None:
    assert REMOTE_REFERENCE.findall(loan_html) == []


def test_links_are_local_only(loan_html: str) -> None:
    # matplotlib embeds heatmap pixels as an inline PNG, which loads nothing.
    targets = [
        value or ""
        for _, attrs in parse(loan_html).tags
        for name, value in attrs.items()
        if name in ("href", "xlink:href", "src")
    ]
    remote = [
        target for target in targets if not target.startswith(("#", "data:image/png;base64,"))
    ]
    assert targets, "the report should link its sections"
    assert remote == []


def test_content_security_policy_blocks_fetches(loan_html: str) -> None:
    assert "default-src 'none'" in loan_html


def test_provenance_shown(loan_html: str, loan_findings) -> None:
    audit = loan_findings["audit"]
    for expected in (
        "2024-10-02T14:31:07Z",
        audit["data_sha256"],
        audit["model"]["id"],
        str(audit["seed"]),
        "95%",
        "Benjamini-Hochberg (false discovery rate)",
        "numpy 2.1.1",
        "data/loans_2024q3.parquet",
    ):
        assert expected in loan_html, expected


def test_verdict_badges_present(loan_html: str) -> None:
    assert '<span class="badge badge-fail">fail · high severity</span>' in loan_html
    assert '<span class="badge badge-fail">fail · medium severity</span>' in loan_html
    assert '<span class="badge badge-inconclusive">inconclusive · low severity</span>' in loan_html
    assert '<span class="badge badge-pass">pass</span>' in loan_html


def test_unknown_verdict_gets_neutral_class(loan_findings) -> None:
    loan_findings["findings"][0]["verdict"] = 'x" onmouseover="alert(1)'
    html = render_html(loan_findings)
    assert 'class="badge badge-unknown"' in html
    assert 'onmouseover="alert(1)' not in html


def test_findings_ordered_worst_first(loan_html: str) -> None:
    overview = loan_html[loan_html.index('class="compact overview"') :]
    positions = [
        overview.index(f">{finding_id}</a>")
        for finding_id in (
            "four_fifths_race_sex",
            "four_fifths_race",
            "fnr_race",
            "fnr_sex",
            "four_fifths_married",
        )
    ]
    assert positions == sorted(positions)


def test_effect_with_interval_and_adjusted_p(loan_html: str) -> None:
    rows = parse(loan_html).rows
    race_row = next(
        cells for _, cells in rows if cells[1:2] == ["four_fifths_race race: selection rate ratio"]
    )
    assert race_row[2] == "black: 0.691 [0.608, 0.769]"
    assert race_row[3] == ">= 0.8"
    assert race_row[4] == "< 0.001"


def test_bias_category_and_recommendation_shown(loan_html: str, loan_findings) -> None:
    for finding in loan_findings["findings"]:
        category = finding["bias_category"]
        if category:
            assert category["category"] in loan_html
            assert category["subtype"] in loan_html
        assert finding["recommendation"] in loan_html.replace("&#39;", "'")


def test_undefined_metric_shows_na_with_reason(loan_html: str) -> None:
    _, cells = group_table_row(loan_html, "Intersection: race × sex", "black × missing")
    # columns: group, n, share, base rate, then the metrics in METRIC_LABELS order
    assert cells[5] == "n/a no actual positives in group"
    assert cells[7] == "n/a no actual positives in group"


def test_small_groups_flagged_never_hidden(loan_html: str, loan_findings) -> None:
    small = [
        " × ".join(entry["group"]) if isinstance(entry["group"], list) else entry["group"]
        for entry in loan_findings["groups"] + loan_findings["intersections"]
        if entry["small"]
    ]
    assert small == ["missing", "white × missing", "black × missing", "hispanic × missing"]
    for label in small:
        heading = "Attribute: sex" if label == "missing" else "Intersection: race × sex"
        row_class, cells = group_table_row(loan_html, heading, label)
        assert row_class == "row-small", label
        assert cells[0] == f"{label} small", label


def test_ci_method_shown_unless_bootstrap(loan_html: str) -> None:
    _, cells = group_table_row(loan_html, "Intersection: race × sex", "hispanic × missing")
    positive_predictive_value = cells[8]
    accuracy = cells[9]
    assert positive_predictive_value == "1.000 [0.206, 1.000] Wilson"
    assert accuracy == "0.667 [0.000, 1.000]"


def test_disparity_charts_per_attribute(loan_html: str) -> None:
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", loan_html)
    assert "Selection rate ratio to white, hypothesis four_fifths_race: threshold &gt;= 0.8." in (
        captions
    )
    assert (
        "False negative rate (FNR) difference to white, hypothesis fnr_race: threshold "
        "within ±0.1." in captions
    )
    assert "Selection rate ratio to male, with the four-fifths rule line." in captions
    assert "Selection rate by race × sex." in captions
    assert "False negative rate (FNR) by race × sex." in captions


def test_charts_are_accessible_svg(loan_html: str) -> None:
    svgs = svg_elements(loan_html)
    # Two charts each for race and sex (sex adds the four-fifths chart), one for married,
    # and one chart plus two heatmaps for race × sex.
    assert len(svgs) == 8
    for svg in svgs:
        assert 'role="img"' in svg
        assert "<title id=" in svg
        assert "<desc id=" in svg


def test_chart_ids_unique(loan_html: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', loan_html)
    duplicates = {value for value in ids if ids.count(value) > 1}
    assert duplicates == set()


def test_heatmap_marks_undefined_and_small_cells(loan_html: str) -> None:
    fnr_heatmap = next(
        svg for svg in svg_elements(loan_html) if "False negative rate (FNR) by race" in svg
    )
    assert "n/a" in fnr_heatmap
    assert "n=4 (small)" in fnr_heatmap
    assert "n=610" in fnr_heatmap


def test_threshold_lines_follow_hypotheses(loan_html: str) -> None:
    legends = " ".join(svg_elements(loan_html))
    assert "threshold (&gt;= 0.8)" in legends
    assert "threshold (within ±0.1)" in legends
    assert "four-fifths rule (0.8)" in legends


def test_fairness_summaries_with_intervals(loan_html: str) -> None:
    race = unit_section(loan_html, "Attribute: race")
    rows = {cells[0]: cells[1] for _, cells in parse(race).rows if len(cells) == 2}
    assert rows["demographic parity difference"] == "0.191 [0.142, 0.247]"
    assert rows["equalized odds difference"] == "0.155 [0.094, 0.222]"
    assert rows["four-fifths rule (selection-rate ratio ≥ 0.8)"].startswith("fail lowest ratio")


def test_disparities_table_has_p_and_adjusted_p(loan_html: str) -> None:
    race = unit_section(loan_html, "Attribute: race")
    rows = [cells for _, cells in parse(race).rows if len(cells) == 7]
    black_selection = next(cells for cells in rows if cells[:2] == ["black", "selection rate"])
    assert black_selection[2] == "-0.191 [-0.247, -0.142]"
    assert black_selection[3] == "0.691 [0.608, 0.769]"
    assert black_selection[4] == "two proportion z"
    hispanic_selection = next(
        cells for cells in rows if cells[:2] == ["hispanic", "selection rate"]
    )
    assert hispanic_selection[5:] == ["0.0151", "0.052"]


def test_undefined_disparity_shows_test_reason(loan_html: str) -> None:
    assert "true_positive_rate is undefined in group: no actual positives in group" in loan_html


def test_warnings_listed(loan_html: str, loan_findings) -> None:
    for warning in loan_findings["warnings"]:
        assert f"<code>{warning['code']}</code>" in loan_html


def test_how_to_read_note_present(loan_html: str) -> None:
    note = loan_html[loan_html.index('id="how-to-read"') :]
    assert "95% confidence interval" in note
    assert "adjusted p" in note


def test_probes_section_absent_when_empty(loan_html: str) -> None:
    assert 'id="probes"' not in loan_html


def test_probes_show_top_level_scalars(loan_findings) -> None:
    loan_findings["probes"] = {
        "counterfactual_flip <b>": {
            "flip_rate": 0.0312,
            "pairs": 500,
            "passes": True,
            "flip_rate_ci": {"value": 0.0312, "ci": [0.018, 0.047], "ci_method": "wilson"},
            "by_group": {"black": 0.05},
        }
    }
    html = render_html(loan_findings)
    rows = {cells[0]: cells[1] for _, cells in parse(html).rows if len(cells) == 2}
    assert "counterfactual_flip &lt;b&gt;" in html
    assert rows["flip_rate"] == "0.031"
    assert rows["pairs"] == "500"
    assert rows["passes"] == "True"
    assert rows["flip_rate_ci"] == "0.031 [0.018, 0.047] Wilson"
    assert "not shown here: by_group." in html


def test_minimal_findings_render() -> None:
    findings = {"schema": "equilens.findings/1", "audit": {"name": "empty"}}
    html = render_html(findings)
    assert "The plan has no hypotheses" in html


@pytest.mark.parametrize(
    ("findings", "message"),
    [
        ([], "expected a mapping"),
        ({"schema": "equilens.findings/0", "audit": {}}, "'equilens.findings/0' is not supported"),
        ({"schema": "equilens.findings/1"}, "'audit' mapping"),
        ({"schema": "equilens.findings/1", "audit": {}, "groups": {}}, "'groups' must be a list"),
    ],
)
def test_invalid_findings_raise(findings, message) -> None:
    with pytest.raises(EquilensError, match=message):
        render_html(findings)


def test_render_html_is_deterministic(loan_findings, loan_html: str) -> None:
    assert render_html(loan_findings) == loan_html


def test_render_html_keeps_pyplot_backend(loan_findings) -> None:
    backend = matplotlib.rcParams["backend"]
    render_html(loan_findings)
    assert matplotlib.rcParams["backend"] == backend


def test_tiny_group_share_not_zero(loan_html: str) -> None:
    _, cells = group_table_row(loan_html, "Intersection: race × sex", "hispanic × missing")
    assert cells[1:3] == ["3", "0.1%"]


@pytest.mark.parametrize(
    ("share", "expected"),
    [(0.0004, "<0.1%"), (0.0, "0.0%"), (0.099, "9.9%"), (0.6, "60%"), (None, "n/a")],
)
def test_format_share_cases(share, expected) -> None:
    assert format_share(share) == expected


def test_many_metrics_split_into_tables() -> None:
    unit = UnitView(key=("race",), anchor="unit-1", title="race", reference=("white",))
    unit.metrics = [f"metric_{index}" for index in range(14)]
    tables = unit.metric_tables
    assert [len(columns) for columns in tables] == [5, 5, 5]
    assert tables[0][0] == "base_rate"
    assert sum(tables, []) == ["base_rate", *unit.metrics]


def test_fixture_metrics_fit_one_table(loan_html: str) -> None:
    race = unit_section(loan_html, "Attribute: race")
    assert race.count('<table class="metrics">') == 1


def test_hyphenated_multiple_testing_label(loan_findings) -> None:
    loan_findings["audit"]["multiple_testing"] = "benjamini-hochberg"
    html = render_html(loan_findings)
    assert "<dd>Benjamini-Hochberg (false discovery rate)</dd>" in html


def test_data_path_shown_as_source(loan_findings) -> None:
    loan_findings["audit"]["plan"]["data"] = {"path": "predictions.parquet"}
    html = render_html(loan_findings)
    assert "<dd>predictions.parquet (2000 rows)</dd>" in html


def test_equilens_version_listed_once(loan_findings) -> None:
    loan_findings["audit"]["versions"]["equilens"] = "0.1.0"
    html = render_html(loan_findings)
    assert html.count("equilens 0.1.0 ·") == 1


def test_groups_without_verdict_in_legend(loan_html: str) -> None:
    four_fifths_sex = next(
        svg for svg in svg_elements(loan_html) if "Selection rate ratio to male, with" in svg
    )
    assert "not judged" in four_fifths_sex
