"""The review section of report.html and summary.md."""

import json
from pathlib import Path

import pandas as pd
import pytest

from equilens.report import render_html, render_summary
from equilens.review import assess_review, draw_sample, load_run, read_annotations

HOSTILE = "<img src=x onerror=alert(1)>"
FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def findings_with_review(tabular_run_dir, tmp_path_factory):
    """The tabular fixture's findings with a review by two annotator teams, one of which
    has a name that is HTML markup and one of which rates lower."""
    run = load_run(tabular_run_dir)
    sample = draw_sample(run, size=60, seed=0)
    rows = []
    for position, item in enumerate(sample.items.itertuples(index=False)):
        for annotator, team in (("a", HOSTILE), ("b", HOSTILE), ("c", "*bold*"), ("d", "*bold*")):
            # Annotator c turns every second favorable label into an unfavorable one.
            flipped = annotator == "c" and position % 2 == 0
            label = "unfavorable" if flipped else item.gold_label
            rows.append(
                {
                    "item_id": item.item_id,
                    "annotator_id": annotator,
                    "label": label,
                    "annotator_team": team,
                }
            )
    path = tmp_path_factory.mktemp("labels") / "labels.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    annotations = read_annotations(path, scale=sample.scale, item_ids=set(sample.items["item_id"]))
    result = assess_review(run, annotations, sample=sample, replicates=100)
    findings = json.loads((tabular_run_dir / "findings.json").read_text(encoding="utf-8"))
    return {**findings, "review": result.summary()}, result


def test_html_review_section(findings_with_review):
    findings, result = findings_with_review
    html = render_html(findings)
    section = html[html.index('<section id="review">') :]

    assert '<a href="#review">Human review of the labels</a>' in html
    assert "Krippendorff's alpha (nominal) among reviewers" in section
    assert f"{result.alpha:.3f}" in section
    assert "label_reliability" in section
    assert "label_bias_team" in section
    assert "majority label and the model&#39;s decision" in section


def test_html_review_escapes_user_strings(findings_with_review):
    findings, _ = findings_with_review
    html = render_html(findings)

    assert HOSTILE not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_html_without_review_has_no_section(tabular_run_dir):
    findings = json.loads((tabular_run_dir / "findings.json").read_text(encoding="utf-8"))

    html = render_html(findings)

    assert 'id="review"' not in html
    assert 'href="#review"' not in html


def test_summary_review_section(findings_with_review):
    findings, result = findings_with_review
    summary = render_summary(findings)
    section = summary[summary.index("## Human review of the labels") : summary.index("## Caveats")]

    assert f"Krippendorff's alpha over all items is {result.alpha:.2f}" in section
    assert "`label_reliability`" in section
    assert "Cohen's kappa" in section
    assert "FAIL** `label_bias_team`" in section


def test_summary_without_review(tabular_run_dir):
    findings = json.loads((tabular_run_dir / "findings.json").read_text(encoding="utf-8"))

    assert "Human review" not in render_summary(findings)


def test_summary_shows_changed_verdicts():
    findings = json.loads((FIXTURES / "findings_loan.json").read_text(encoding="utf-8"))
    findings["review"] = {
        "relabelled": {"items": 3, "changed": 2, "baseline": "audit-before"},
        "comparison": {
            "findings": [
                {
                    "id": "four_fifths_race",
                    "verdict_before": "fail",
                    "verdict_after": "pass",
                    "verdict_changed": True,
                    "effect_before": {"group": ["black"], "value": 0.71, "ci": [0.6, 0.8]},
                    "effect_after": {"group": ["black"], "value": 0.83, "ci": [0.7, 0.9]},
                    "effect_change": 0.12,
                }
            ],
            "verdicts_changed": 1,
            "effects_changed": 1,
            "only_before": [],
            "only_after": [],
        },
    }

    summary = render_summary(findings)
    html = render_html(findings)

    assert "1 of 1 verdicts changed against `audit-before`" in summary
    assert "`four_fifths_race`: fail → pass (effect 0.710 → 0.830)" in summary
    assert "Findings after adjudication" in html
    assert "Krippendorff" not in html[html.index('<section id="review">') :]
