"""The text-probe sections of the HTML report: minimal pairs, monotonicity and the rest."""

from __future__ import annotations

import copy
import re
import zlib
from typing import Any

import pytest

from equilens.report import render_html
from equilens.report._text_probes import (
    CONFUSION_GAP_ROWS,
    FLIPPED_PAIRS_PER_RUN,
    VIOLATION_ROWS,
    is_occlusion_attributions,
    text_probe_sections,
)

HOSTILE_TEXT = '<script>alert(1)</script> my refund & "quotes"'
ESCAPED_TEXT = "&lt;script&gt;alert(1)&lt;/script&gt; my refund &amp; &#34;quotes&#34;"


def _estimate(value: float | None, lower: float = 0.0, upper: float = 1.0) -> dict[str, Any]:
    return {"value": value, "ci": [lower, upper], "ci_method": "wilson"}


def _test(name: str, p: float | None, adjusted: float | None) -> dict[str, Any]:
    return {"test": name, "statistic": None, "p_value": p, "p_adjusted": adjusted}


def _cell(value: str, locale: str | None, flip_rate: float, adjusted: float) -> dict[str, Any]:
    return {
        "run": "vader-text",
        "axis": "intensity",
        "value": value,
        "base_value": "moderate",
        "locale": locale,
        "n_pairs": 40,
        "flipped": int(flip_rate * 40),
        "escalated_base_only": int(flip_rate * 40),
        "escalated_variant_only": 0,
        "flip_rate": _estimate(flip_rate),
        "positive_rate_change": _estimate(-flip_rate, -1, 0),
        "mean_score_shift": _estimate(0.2 * flip_rate, 0, 0.5),
        "mcnemar": _test("mcnemar_exact", adjusted / 2, adjusted),
        "wilcoxon": _test("wilcoxon_signed_rank", adjusted / 3, adjusted),
    }


def _flipped_pair(number: int, base_text: str = "My refund is late.") -> dict[str, Any]:
    return {
        "run": "vader-text",
        "locale": "en-GB",
        "pair_id": f"escalation/en-GB/s3/refund.{number:02d}/intensity",
        "axis": "intensity",
        "base_value": "moderate",
        "value": "understated",
        "severity": "S3",
        "base_item_id": f"escalation/en-GB/s3/refund.{number:02d}/intensity/moderate",
        "variant_item_id": f"escalation/en-GB/s3/refund.{number:02d}/intensity/understated",
        "input_field": "text",
        "base_text": base_text,
        "variant_text": "My refund is a little late.",
        "base_gloss": base_text,
        "variant_gloss": "My refund is a little late.",
        "base_label": "escalate",
        "variant_label": "no_escalate",
        "base_score": -0.3,
        "variant_score": -0.3 + number / 100,
    }


def _step(style: str, before: float, after: float, significant: bool) -> dict[str, Any]:
    return {
        "run": "vader-text",
        "locale": "en-GB",
        "style": style,
        "from_severity": "S2",
        "to_severity": "S3",
        "from_rate": _estimate(before),
        "to_rate": _estimate(after),
        "from_n": 50,
        "to_n": 50,
        "small": False,
        "difference": _estimate(after - before, -1, 1),
        "violation": after < before,
        "significant": significant,
        "test": _test("two_proportion_z", 0.001, 0.002 if significant else 0.4),
    }


def _text_probes() -> dict[str, Any]:
    """Return text probes that follow the structure a text audit writes to findings.json."""
    hostile = {**_flipped_pair(0, HOSTILE_TEXT), "variant_score": 0.9}
    flipped = [hostile] + [_flipped_pair(n) for n in range(1, 30)]
    violations = [_step("all styles", 0.43, 0.29, True)] + [
        _step(f"name_origin=n{n}", 0.8, 0.5, False) for n in range(40)
    ]
    return {
        "text_audit": {
            "source": "test bed escalation",
            "positive_label": "escalate",
            "rows_scored": 200,
            "rows_excluded": 1,
            "texts_truncated": 0,
            "runs": [
                {
                    "name": "vader-text",
                    "model_kind": "vader",
                    "model_id": "vader:abc",
                    "input": "text",
                    "locales": ["en-GB", "en-US"],
                    "rows": 201,
                    "scored": 200,
                    "invalid": 1,
                    "failed": 0,
                    "unparseable": 0,
                    "truncated": 0,
                    "cached": 0,
                }
            ],
            "views": [],
            "excluded": [
                {
                    "row_id": "vader-text:empty-1",
                    "run": "vader-text",
                    "item_id": "empty-1",
                    "status": "empty",
                    "message": "the text is empty",
                }
            ],
        },
        "minimal_pairs": {
            "pairs": 80,
            "flipped_pairs": 30,
            "flip_rate": _estimate(0.375),
            "dropped_noops": 3,
            "unpaired_variants": 0,
            "tests": 6,
            "significant_tests": 2,
            "by_axis": [
                {
                    "run": "vader-text",
                    "axis": "intensity",
                    "n_pairs": 80,
                    "flipped": 30,
                    "flip_rate": _estimate(0.375),
                    "dropped_noops": 3,
                    "unpaired_variants": 0,
                }
            ],
            "cells": [
                _cell("extreme", None, 0.05, 0.9),
                _cell("extreme", "en-GB", 0.05, 0.9),
                _cell("understated", None, 0.7, 0.001),
                _cell("understated", "en-GB", 0.75, 0.002),
                _cell("understated", "en-US", 0.65, 0.003),
            ],
            "listed_flipped_pairs": 30,
            "flipped": flipped,
        },
        "attributions": {
            "vader-text": {
                "method": "Each token of a flipped variant is removed in turn.",
                "output": "score",
                "pairs_given": 80,
                "pairs_flipped": 30,
                "pairs_explained": 1,
                "pairs": [
                    {
                        "run": "vader-text",
                        "pair_id": "escalation/en-GB/s3/refund.01/intensity",
                        "axis": "intensity",
                        "base_value": "moderate",
                        "value": "understated",
                        "base_text": "My refund is late.",
                        "text": "My refund is a little late.",
                        "base_output": -0.3,
                        "output": 0.1,
                        "changed_tokens": [{"token": "little", "position": 3, "effect": 0.25}],
                        "top_tokens": [{"token": "late", "position": 4, "effect": -0.4}],
                    }
                ],
                "tokens": [{"token": "unacceptable", "mean_effect": 0.55, "count": 2}],
            }
        },
        "monotonicity": {
            "severity_levels": ["S2", "S3"],
            "cells": 41,
            "steps_tested": 41,
            "violations": len(violations),
            "significant_violations": 1,
            "violating_steps": violations,
            "steps": violations[:1],
        },
        "cross_locale": {
            "lanes": [
                {"run": "vader-text", "locale": "en-GB"},
                {"run": "vader-text", "locale": "en-US"},
            ],
            "lane_pairs": 1,
            "tests": 2,
            "significant_tests": 1,
            "match_on": ["template_id", "style", "severity"],
            "pairs": [
                {
                    "lane_a": {"run": "vader-text", "locale": "en-GB"},
                    "lane_b": {"run": "vader-text", "locale": "en-US"},
                    "matched_keys": 40,
                    "rate_a": 0.3,
                    "rate_b": 0.45,
                    "rate_difference": _estimate(-0.15, -0.25, -0.05),
                    "disagreement": _estimate(0.2),
                    "score_difference": _estimate(0.05, 0.01, 0.09),
                    "rate_test": _test("wilcoxon_signed_rank", 0.01, 0.012),
                    "score_test": _test("wilcoxon_signed_rank", 0.04, 0.04),
                    "by_severity": [
                        {
                            "severity": "S3",
                            "matched_keys": 20,
                            "rate_difference": _estimate(-0.222, -0.4, -0.1),
                            "rate_test": _test("wilcoxon_signed_rank", 0.01, 0.02),
                        }
                    ],
                }
            ],
        },
        "calibration": {
            "runs_measured": 1,
            "runs": [
                {
                    "run": "vader-text",
                    "measured": True,
                    "bins": 10,
                    "groups": [
                        {
                            "attribute": "locale",
                            "group": "en-GB",
                            "n": 100,
                            "expected_calibration_error": _estimate(0.123, 0.1, 0.15),
                            "mean_score_minus_positive_rate": _estimate(-0.05, -0.1, 0.0),
                        }
                    ],
                },
                {"run": "lexicon", "measured": False, "reason": "scores are not probabilities"},
            ],
        },
        "multiclass": {
            "rows": 100,
            "tests": CONFUSION_GAP_ROWS + 5,
            "significant_tests": 1,
            "attributes": [
                {
                    "attribute": "gender",
                    "reference": "female",
                    "true_labels": ["anger", "neutral"],
                    "predicted_labels": ["anger", "neutral"],
                    "groups": [
                        {
                            "group": "female",
                            "n": 50,
                            "accuracy": _estimate(0.8),
                            "recall": {},
                            "top_confusions": [
                                {
                                    "true": "anger",
                                    "predicted": "neutral",
                                    "count": 7,
                                    "rate": _estimate(0.28),
                                }
                            ],
                            "confusion_matrix": [[18, 7], [3, 22]],
                        }
                    ],
                    "confusion_gaps": [
                        {
                            "true": "anger",
                            "predicted": "neutral",
                            "group": f"male-{n}",
                            "reference": "female",
                            "rate": _estimate(0.5),
                            "reference_rate": _estimate(0.28),
                            "difference": _estimate(0.22, 0.01, 0.4),
                            "test": _test("two_proportion_z", 0.01, 0.03 + n / 100),
                        }
                        for n in range(CONFUSION_GAP_ROWS + 5)
                    ],
                }
            ],
        },
        "writer_reader_gap": {
            "posts": 30,
            "emotions": 1,
            "largest_gap": "sadness",
            "by_emotion": [
                {
                    "emotion": "sadness",
                    "n": 30,
                    "writer_mean": 1.2,
                    "readers_mean": 0.6,
                    "writer_minus_readers": _estimate(0.6, 0.3, 0.9),
                    "felt_by_writer": 12,
                    "missed_by_readers": _estimate(0.5),
                    "test": _test("wilcoxon_signed_rank", 0.001, 0.001),
                }
            ],
        },
        "custom_probe": {"score": 0.5},
    }


@pytest.fixture(scope="module")
def text_findings(loan_findings_frozen: dict[str, Any]) -> dict[str, Any]:
    findings = copy.deepcopy(loan_findings_frozen)
    findings["probes"] = _text_probes()
    return findings


@pytest.fixture(scope="module")
def text_html(text_findings: dict[str, Any]) -> str:
    return render_html(text_findings)


def _section(html: str, anchor: str) -> str:
    start = html.index(f'<section id="{anchor}"')
    return html[start : html.index("</section>", start)]


def test_every_text_probe_has_section(text_html):
    for anchor in (
        "text-probe-text-audit",
        "text-probe-minimal-pairs",
        "text-probe-monotonicity",
        "text-probe-cross-locale",
        "text-probe-attributions",
        "text-probe-calibration",
        "text-probe-multiclass",
        "text-probe-writer-reader-gap",
    ):
        assert f'<section id="{anchor}"' in text_html, anchor
        assert f'href="#{anchor}"' in text_html, anchor


def test_hostile_pair_text_escaped(text_html):
    assert "<script>" not in text_html
    assert ESCAPED_TEXT in _section(text_html, "text-probe-minimal-pairs")


def test_flipped_pairs_capped(text_html):
    section = _section(text_html, "text-probe-minimal-pairs")
    assert section.count('class="pair-text"') == 2 * FLIPPED_PAIRS_PER_RUN
    assert f"{FLIPPED_PAIRS_PER_RUN} of 30" in section


def test_flipped_pairs_largest_change_first(text_html):
    section = _section(text_html, "text-probe-minimal-pairs")
    assert section.index("refund.00/intensity") < section.index("refund.29/intensity")
    assert section.index("refund.29/intensity") < section.index("refund.28/intensity")
    assert "refund.10/intensity" not in section


def test_identical_gloss_not_repeated(text_html):
    assert "English gloss" not in _section(text_html, "text-probe-minimal-pairs")


def test_minimal_pair_cells_worst_first(text_html):
    rows = re.findall(
        r"<tr><th scope=\"row\">moderate → (\w+)</th><td>([\w-]+)</td>",
        _section(text_html, "text-probe-minimal-pairs"),
    )
    assert rows[0] == ("understated", "en-GB")
    assert rows[-1] == ("extreme", "en-GB")


def test_single_locale_pool_dropped(text_html):
    rows = re.findall(
        r"<tr><th scope=\"row\">moderate → extreme</th><td>([\w-]+)</td>",
        _section(text_html, "text-probe-minimal-pairs"),
    )
    assert rows == ["en-GB"]


def test_every_minimal_pair_test_listed(text_html):
    section = _section(text_html, "text-probe-minimal-pairs")
    assert section.count('<tr><th scope="row">moderate → understated</th>') == 3
    assert "0.45 (0.9)" in re.sub(r"<[^>]+>", "", section)


def test_dropped_noops_shown(text_html):
    section = _section(text_html, "text-probe-minimal-pairs")
    assert "3 variants whose input equals their base" in section


def test_violations_capped_significant_first(text_html):
    section = _section(text_html, "text-probe-monotonicity")
    assert section.count("→ S3</td>") == VIOLATION_ROWS
    assert "(11 more in findings.json" in section
    assert section.index("all styles") < section.index("name_origin=n0")
    assert "41 steps to the next severity were checked" in section


def test_confusion_gaps_capped(text_html):
    section = _section(text_html, "text-probe-multiclass")
    assert section.count("male-") == CONFUSION_GAP_ROWS
    assert "(5 more in findings.json" in section


def test_calibration_reason_shown(text_html):
    section = _section(text_html, "text-probe-calibration")
    assert "scores are not probabilities" in section
    assert "0.123" in section


def test_generic_section_skips_text_probes(text_html):
    generic = _section(text_html, "probes")
    assert "custom_probe" in generic
    for name in ("text_audit", "minimal_pairs", "monotonicity", "cross_locale", "calibration"):
        assert name not in generic, name


def test_occlusion_not_shown_as_shap(text_html):
    assert 'id="probe-attributions"' not in text_html
    assert "unacceptable" in _section(text_html, "text-probe-attributions")


def test_shap_attributions_not_text_probe():
    shap = {"explainer": "tree", "output": "probability", "attributes": []}
    assert not is_occlusion_attributions(shap)
    assert text_probe_sections({"attributions": shap}) == []


def test_skipped_shap_not_text_probe():
    skipped = {"status": "skipped", "reason": "shap is not installed"}
    assert text_probe_sections({"attributions": skipped}) == []


def test_other_minimal_pairs_shape_generic(loan_findings):
    loan_findings["probes"] = {"minimal_pairs": {"pairs": 12, "flip_rate": 0.25}}
    html = render_html(loan_findings)
    assert 'id="text-probe-minimal-pairs"' not in html
    assert "minimal_pairs" in _section(html, "probes")


def test_failed_probe_shows_status(loan_findings):
    loan_findings["probes"] = {"minimal_pairs": {"status": "failed", "reason": "model <down>"}}
    section = _section(render_html(loan_findings), "text-probe-minimal-pairs")
    assert "failed" in section
    assert "model &lt;down&gt;" in section


@pytest.fixture(scope="module")
def audited_findings() -> dict[str, Any]:
    """Return the findings of VADER on one pair set in 40 of the escalation bed's en-US part."""
    from equilens.text import audit, parse_text_plan, run_text_audit
    from equilens.text.demo import VADER_RULE

    generate = audit.generate_items

    def subset(data):
        items, digest = generate(data)
        kept = [
            item
            for item in items
            if item.pair_role == "control" or zlib.crc32(item.pair_id.encode()) % 40 == 0
        ]
        return kept, digest

    plan = parse_text_plan(
        {
            "kind": "text",
            "name": "escalation subset",
            "data": {"testbed": "escalation", "locales": ["en-US"]},
            "runs": [{"name": "vader-text", "model": {"kind": "vader", "rule": VADER_RULE}}],
            "positive_label": "escalate",
            "min_group_size": 5,
            "bootstrap_replicates": 100,
        }
    )
    patch = pytest.MonkeyPatch()
    patch.setattr(audit, "generate_items", subset)
    try:
        return run_text_audit(plan).to_dict()
    finally:
        patch.undo()


def test_audit_findings_render_sections(audited_findings):
    findings = copy.deepcopy(audited_findings)
    findings["probes"]["minimal_pairs"]["flipped"][0]["variant_text"] = HOSTILE_TEXT
    html = render_html(findings)

    assert ESCAPED_TEXT in _section(html, "text-probe-minimal-pairs")
    assert "<script>" not in html
    assert "Run vader-text" in _section(html, "text-probe-attributions")
    assert "Escalation rate by severity" in _section(html, "text-probe-monotonicity")
    assert 'id="probe-attributions"' not in html
    assert '<section id="probes"' not in html
