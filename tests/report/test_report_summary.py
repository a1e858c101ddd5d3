"""Tests of the Markdown one-pager rendered from the loan-approval findings fixture."""

from __future__ import annotations

import re

import pytest

from equilens.errors import EquilensError
from equilens.report import render_summary
from equilens.report._phrases import escape_markdown, threshold_sentence


def section(summary: str, title: str) -> str:
    """Return the text of the `## title` section, without its heading."""
    start = summary.index(f"## {title}\n")
    end = summary.find("\n## ", start + 1)
    return summary[start + len(title) + 4 : end if end != -1 else None]


def numbered_items(text: str) -> list[str]:
    return re.findall(r"^\d+\. (.*)$", text, flags=re.MULTILINE)


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def test_summary_sections_in_order(loan_summary: str) -> None:
    headings = re.findall(r"^#+ .*$", loan_summary, flags=re.MULTILINE)
    assert headings[0].startswith("# Bias audit summary: Loan approval Q3")
    assert headings[1:] == [
        "## What was audited",
        "## Headline",
        "## Top findings",
        "## What passed",
        "## What this means for the business",
        "## Next steps",
        "## Caveats",
    ]


def test_summary_describes_audit(loan_summary: str) -> None:
    audited = section(loan_summary, "What was audited")
    assert "`data/loans_2024q3.parquet`, 2,000 rows" in audited
    assert "sklearn model `sklearn:GradientBoostingClassifier@3f1a9c07`" in audited
    assert "race: white (reference), black, hispanic" in audited
    assert "sex: male (reference), female, missing" in audited
    assert "**Intersections:** race × sex" in audited
    assert "95% confidence intervals from 1000 bootstrap replicates" in audited


def test_summary_headline_counts(loan_summary: str) -> None:
    assert section(loan_summary, "Headline").strip() == (
        "**3 of 5 hypotheses failed** (2 high severity, 1 medium severity), "
        "1 passed and 1 was inconclusive."
    )


def test_summary_top_findings_worst_first(loan_summary: str) -> None:
    items = numbered_items(section(loan_summary, "Top findings"))
    ids = [re.search(r"\(`(\w+)`\)", item).group(1) for item in items]
    assert ids == ["four_fifths_race_sex", "four_fifths_race", "fnr_race", "fnr_sex"]
    assert items[0].startswith("**FAIL, high severity**")
    assert items[2].startswith("**FAIL, medium severity**")
    assert items[3].startswith("**INCONCLUSIVE, low severity**")


def test_summary_ratio_in_plain_words(loan_summary: str, loan_findings) -> None:
    finding = next(f for f in loan_findings["findings"] if f["id"] == "four_fifths_race")
    value, (lower, upper) = finding["effect"]["value"], finding["effect"]["ci"]
    expected = (
        f"of the black group is {percent(value)} of the white group's "
        f"(95% CI {percent(lower)} to {percent(upper)}). The four-fifths rule used in US "
        f"fair-lending and employment practice requires at least 80%."
    )
    assert expected in loan_summary
    assert "is 69% of the white group's (95% CI 61% to 77%)" in loan_summary


def test_summary_difference_in_plain_words(loan_summary: str) -> None:
    assert (
        "is 31% for the black group and 15% for the white group: 15 percentage points "
        "higher (95% CI 9 to 22 points higher). The audit plan allows at most 10 points "
        "either way."
    ) in loan_summary


def test_summary_interval_across_zero(loan_summary: str) -> None:
    assert "(95% CI from 17 points lower to 60 points higher)" in loan_summary


def test_summary_states_significance_and_weak_evidence(loan_summary: str) -> None:
    items = numbered_items(section(loan_summary, "Top findings"))
    assert "The gap is statistically significant (adjusted p < 0.001)." in items[2]
    assert "so the evidence is weak" in items[2]
    assert "evidence is weak" not in items[0]


def test_summary_unjudged_groups_with_detectable_gap(loan_summary: str) -> None:
    items = numbered_items(section(loan_summary, "Top findings"))
    assert (
        "Not judged for white × missing (n=8), black × missing (n=4), hispanic × missing "
        "(n=3): at these sizes only a gap of about 48 to 79 percentage points or more would "
        "be detected."
    ) in items[0]
    assert "Not judged for missing (n=15): at this size only a gap of about 42" in items[3]


def test_summary_bias_category_under_finding(loan_summary: str) -> None:
    assert (
        "   *Likely source (ISO/IEC TR 24027):* data bias, data labels and labelling process."
    ) in loan_summary


def test_summary_lists_passed_hypothesis(loan_summary: str) -> None:
    passed = section(loan_summary, "What passed")
    assert passed.strip().startswith("- `four_fifths_married`:")
    assert "is 83% of the married group's (95% CI 77% to 90%)" in passed


def test_summary_business_meaning(loan_summary: str) -> None:
    meaning = section(loan_summary, "What this means for the business")
    assert "does not meet 3 of the 5 fairness requirements" in meaning
    assert "2 of these failures rest on strong evidence" in meaning
    assert "For 1 hypothesis the data cannot settle the question" in meaning


def test_summary_next_steps_from_recommendations(loan_summary: str, loan_findings) -> None:
    steps = numbered_items(section(loan_summary, "Next steps"))
    by_id = {f["id"]: f["recommendation"] for f in loan_findings["findings"]}
    expected_order = ["four_fifths_race_sex", "four_fifths_race", "fnr_race", "fnr_sex"]
    assert len(steps) == 5
    for step, finding_id in zip(steps, expected_order, strict=False):
        assert step == f"{escape_markdown(by_id[finding_id])} (from `{finding_id}`)"
    assert steps[-1].startswith("See report.html")


def test_summary_caveats(loan_summary: str) -> None:
    caveats = section(loan_summary, "Caveats")
    assert (
        "reported but not judged: sex: missing (n=15); race × sex: white × missing (n=8), "
        "black × missing (n=4), hispanic × missing (n=3)."
    ) in caveats
    assert "- **Missing values:** Column 'sex' has 15 missing values" in caveats
    assert "- **Undefined metric:** true\\_positive\\_rate" in caveats
    assert "Small group:" not in caveats


def test_summary_escapes_hostile_strings(loan_summary: str) -> None:
    assert "<script>" not in loan_summary
    assert loan_summary.startswith(
        "# Bias audit summary: Loan approval Q3 \\<script\\>alert(1)\\</script\\> "
        "\"\\&' \\| \\*v2\\*\n"
    )
    assert "not married \\<script\\>alert(1)\\</script\\> \"\\&' \\*\\|\\_\\[x\\]" in loan_summary


def test_summary_folds_line_breaks_in_labels(loan_findings, relabel) -> None:
    findings = relabel(loan_findings, "hispanic", "hispanic\n# injected heading\n- item")
    summary = render_summary(findings)
    assert "hispanic # injected heading - item" in summary
    assert not re.search(r"^# injected", summary, flags=re.MULTILINE)


def test_summary_backtick_in_id_not_code_span(loan_findings) -> None:
    loan_findings["findings"][0]["id"] = "odd`id"
    summary = render_summary(loan_findings)
    assert "(odd\\`id)" in summary


def test_summary_all_passed(loan_findings) -> None:
    for finding in loan_findings["findings"]:
        finding["verdict"], finding["severity"] = "pass", "none"
    summary = render_summary(loan_findings)
    assert "**0 of 5 hypotheses failed**, 5 passed and 0 were inconclusive." in summary
    assert "## Top findings" not in summary
    assert "Every hypothesis in the plan passed" in summary


def test_summary_undefined_effect_gives_reason(loan_findings) -> None:
    finding = next(f for f in loan_findings["findings"] if f["id"] == "fnr_sex")
    finding["effect"] = {
        "group": ["missing"],
        "value": None,
        "ci": None,
        "reason": "no actual positives in group",
    }
    summary = render_summary(loan_findings)
    assert "of the missing group is undefined: no actual positives in group." in summary


def test_summary_without_hypotheses() -> None:
    summary = render_summary({"schema": "equilens.findings/1", "audit": {"name": "empty"}})
    assert "The plan has no hypotheses, so nothing was judged." in summary


def test_summary_invalid_schema_raises() -> None:
    with pytest.raises(EquilensError, match="'equilens.findings/9' is not supported"):
        render_summary({"schema": "equilens.findings/9", "audit": {}})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("a*b_c", "a\\*b\\_c"),
        ("[link](http://x)", "\\[link\\](http://x)"),
        ("<b>&amp;", "\\<b\\>\\&amp;"),
        ("a | b ~~c~~", "a \\| b \\~\\~c\\~\\~"),
        ("`code` $x$", "\\`code\\` \\$x\\$"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines\r\n  here", "two lines here"),
    ],
)
def test_escape_markdown_cases(text: str, expected: str) -> None:
    assert escape_markdown(text) == expected


@pytest.mark.parametrize(
    ("operator", "threshold", "expected"),
    [
        ("<=", 0.05, "The audit plan requires a difference of at most 5 points."),
        (">=", -0.025, "The audit plan requires a difference of at least -2.5 points."),
        ("within", 0.1, "The audit plan allows at most 10 points either way."),
    ],
)
def test_threshold_sentence_difference(operator, threshold, expected) -> None:
    finding = {"comparison": "difference", "operator": operator, "threshold": threshold}
    assert threshold_sentence(finding) == expected


def test_summary_not_significant_failure(loan_findings) -> None:
    finding = next(f for f in loan_findings["findings"] if f["id"] == "fnr_race")
    finding["p_adjusted"] = 0.446
    summary = render_summary(loan_findings)
    assert "The gap is not statistically significant (adjusted p 0.446)." in summary


def test_summary_pass_with_weak_evidence_is_qualified(loan_findings) -> None:
    passed = next(f for f in loan_findings["findings"] if f["verdict"] == "pass")
    for row in passed["groups"]:
        row["evidence"] = "weak"
    text = section(render_summary(loan_findings), "What passed")
    assert "this pass is not conclusive" in text


def test_summary_pass_with_strong_evidence_is_plain(loan_findings) -> None:
    for finding in loan_findings["findings"]:
        for row in finding["groups"]:
            row["evidence"] = "strong"
    text = section(render_summary(loan_findings), "What passed")
    assert "not conclusive" not in text
