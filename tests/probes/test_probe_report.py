"""Report sections of the tabular probes: key numbers shown, every string escaped."""

import copy
import json
from pathlib import Path

import pytest

from equilens.report import render_html

FIXTURE = Path(__file__).parent.parent / "fixtures" / "findings_loan.json"
HOSTILE = "<script>alert(1)</script>"


def _estimate(value, low, high, method="bootstrap"):
    return {"value": value, "ci": [low, high], "ci_method": method}


PROBES = {
    "flip_test": {
        "method": "flip method",
        "attributes": [
            {
                "attribute": "race",
                "column": "race",
                "model_uses_attribute": False,
                "proxy_columns": ["obrat"],
                "variants": ["with_proxies"],
                "note": "The model does not take 'race' as a feature; see probes.proxies.",
            }
        ],
        "results": [
            {
                "attribute": "race",
                "variant": "with_proxies",
                "group": HOSTILE,
                "counterfactual_group": "white",
                "n": 59,
                "flips": 14,
                "favorable_to_unfavorable": 0,
                "unfavorable_to_favorable": 14,
                "flip_rate": _estimate(0.2373, 0.147, 0.36, "wilson"),
                "selection_rate_change": _estimate(0.2373, 0.136, 0.339),
                "mean_score_change": {"value": None, "ci": None, "reason": "no scores"},
                "p_value": 0.0001,
                "p_adjusted": 0.0004,
            }
        ],
        "failures": [
            {
                "attribute": "race",
                "variant": "with_proxies",
                "group": "white",
                "counterfactual_group": "black",
                "rows": 504,
                "error": "ValueError: bad <input>",
            }
        ],
    },
    "proxies": {
        "threshold": 0.6,
        "attributes": [
            {
                "attribute": "race",
                "leakage_auc": {**_estimate(0.742, 0.686, 0.797), "group": "black"},
                "features": [
                    {
                        "feature": "obrat",
                        "auc": _estimate(0.6361, 0.559, 0.71),
                        "group": "black",
                        "nmi": 0.026,
                        "proxy": True,
                    }
                ],
                "proxies": [{"feature": "obrat", "auc": 0.636, "group": "black"}],
            }
        ],
    },
    "attributions": {
        "explainer": "tree",
        "output": "probability",
        "rows": 597,
        "attributes": [
            {
                "attribute": "race",
                "reference": "white",
                "groups": [
                    {
                        "group": "black",
                        "n": 59,
                        "reference_n": 504,
                        "mean_output": 0.72,
                        "reference_mean_output": 0.94,
                        "output_gap": _estimate(-0.2134, -0.311, -0.126),
                        "features": [
                            {
                                "feature": "gdlin",
                                "contribution": _estimate(-0.1145, -0.183, -0.051),
                                "mean_abs_shap": 0.2,
                                "reference_mean_abs_shap": 0.08,
                            }
                        ],
                    }
                ],
            }
        ],
    },
    "subgroups": {
        "metric": "selection_rate",
        "worse": "lower",
        "examined": 135,
        "tested": 135,
        "max_depth": 2,
        "min_support": 0.05,
        "subgroups": [
            {
                "rank": 1,
                "description": "race = black & sex = male",
                "n": 44,
                "value": _estimate(0.705, 0.56, 0.82, "wilson"),
                "rest_value": _estimate(0.935, 0.91, 0.95, "wilson"),
                "gap": _estimate(-0.2301, -0.378, -0.114, "newcombe"),
                "gap_ci_fcr": [-0.45, -0.05],
                "p_adjusted": 0.00013,
            }
        ],
    },
    "causal": {"status": "skipped", "reason": "dowhy is not installed"},
    "minimal_pairs": {"pairs": 12, "flip_rate": 0.25},
}


@pytest.fixture(scope="module")
def html():
    findings = json.loads(FIXTURE.read_text(encoding="utf-8"))
    findings = copy.deepcopy(findings)
    findings["probes"] = PROBES
    return render_html(findings)


def test_sections_present(html):
    for anchor in ("probe-flip-test", "probe-proxies", "probe-attributions", "probe-subgroups"):
        assert f'id="{anchor}"' in html
        assert f'href="#{anchor}"' in html


def test_key_numbers_shown(html):
    assert "0.237" in html
    assert "0.742" in html
    assert "-0.115" in html
    assert "race = black &amp; sex = male" in html


def test_not_a_feature_note_shown(html):
    assert "does not take &#39;race&#39; as a feature" in html


def test_strings_escaped(html):
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "bad &lt;input&gt;" in html


def test_failures_listed_with_rows(html):
    assert "504 rows" in html


def test_skipped_probe_reason_shown(html):
    assert 'id="probe-causal"' in html
    assert "dowhy is not installed" in html


def test_other_probes_keep_generic_section(html):
    generic = html[html.index('<section id="probes">') :]
    assert "minimal_pairs" in generic
    assert "flip_test" not in generic
