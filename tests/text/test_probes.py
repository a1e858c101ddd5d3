"""Minimal pairs, monotonicity and cross-locale probes against hand-computed values and scipy."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from equilens.probes import cross_locale_probe, minimal_pair_probe, monotonicity_probe
from equilens.probes._stats import mcnemar_exact, wilcoxon_signed_rank
from equilens.stats.significance import compare_proportions

SETTINGS = {"level": 0.95, "multiple_testing": "benjamini-hochberg"}
BOOT = {"replicates": 500, "seed": 0}


def row(pair, role, y_pred, score, *, text, locale="en-US", run="r", intensity="moderate"):
    return {
        "run": run,
        "model_id": "m",
        "item_id": f"{pair}:{role}:{intensity}",
        "locale": locale,
        "pair_id": pair,
        "pair_role": role,
        "varied_axis": "intensity",
        "intensity": intensity,
        "severity": "S3",
        "text": text,
        "english_gloss": text + " (gloss)",
        "input_text": text,
        "input_field": "text",
        "predicted_label": "escalate" if y_pred else "no_escalate",
        "y_pred": y_pred,
        "score": score,
    }


BASE = [1, 1, 1, 1, 1, 0, 0]
VARIANT = [0, 0, 0, 0, 0, 0, 1]
BASE_SCORE = [0.9, 0.8, 0.7, 0.6, 0.5, 0.1, 0.2]
VARIANT_SCORE = [0.2, 0.1, 0.3, 0.4, 0.5, 0.1, 0.6]


def pair_frame():
    rows = []
    for index, (base, variant) in enumerate(zip(BASE, VARIANT, strict=True)):
        locale = "en-US" if index < 4 else "en-GB"
        rows.append(
            row(f"p{index}", "base", base, BASE_SCORE[index], text=f"b{index}", locale=locale)
        )
        rows.append(
            row(
                f"p{index}",
                "variant",
                variant,
                VARIANT_SCORE[index],
                text=f"v{index}",
                locale=locale,
                intensity="understated",
            )
        )
    # A variant whose text equals its base text, and a variant without a scored base.
    rows.append(row("noop", "base", 1, 0.5, text="same"))
    rows.append(row("noop", "variant", 0, 0.4, text="same", intensity="understated"))
    rows.append(row("orphan", "variant", 0, 0.4, text="alone", intensity="understated"))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def pairs():
    return minimal_pair_probe(
        pair_frame(), **SETTINGS, **BOOT, has_scores={"r": True}, max_listed=None
    )


def test_minimal_pairs_counts(pairs):
    assert pairs["pairs"] == 7
    assert pairs["flipped_pairs"] == 6
    assert pairs["dropped_noops"] == 1
    assert pairs["unpaired_variants"] == 1
    assert pairs["flip_rate"]["value"] == pytest.approx(6 / 7)


def test_minimal_pairs_cell_against_scipy(pairs):
    cell = next(cell for cell in pairs["cells"] if cell["locale"] is None)
    assert cell["axis"] == "intensity"
    assert cell["value"] == "understated"
    assert cell["base_value"] == "moderate"
    assert cell["escalated_base_only"] == 5
    assert cell["escalated_variant_only"] == 1
    exact = stats.binomtest(1, 6, 0.5).pvalue
    assert cell["mcnemar"]["p_value"] == pytest.approx(exact)
    shifts = np.array(VARIANT_SCORE) - np.array(BASE_SCORE)
    assert cell["mean_score_shift"]["value"] == pytest.approx(shifts.mean())
    assert cell["wilcoxon"]["p_value"] == pytest.approx(stats.wilcoxon(shifts).pvalue)
    assert cell["positive_rate_change"]["value"] == pytest.approx((1 - 5) / 7)


def test_minimal_pairs_adjusted_across_tests(pairs):
    tests = [cell[name] for cell in pairs["cells"] for name in ("mcnemar", "wilcoxon")]
    raw = [test["p_value"] for test in tests]
    expected = multipletests(raw, method="fdr_bh")[1]
    assert [test["p_adjusted"] for test in tests] == pytest.approx(expected)
    assert pairs["tests"] == len(tests) == 6


def test_minimal_pairs_per_locale(pairs):
    by_locale = {cell["locale"]: cell for cell in pairs["cells"]}
    assert by_locale["en-US"]["n_pairs"] == 4
    assert by_locale["en-GB"]["n_pairs"] == 3
    assert by_locale["en-GB"]["escalated_variant_only"] == 1


def test_minimal_pairs_lists_flipped(pairs):
    first = pairs["flipped"][0]
    assert first["base_text"] == "b0"
    assert first["variant_text"] == "v0"
    assert first["base_gloss"] == "b0 (gloss)"
    assert first["base_label"] == "escalate"
    assert first["variant_label"] == "no_escalate"
    assert first["base_score"] == 0.9
    assert len(pairs["flipped"]) == 6


def test_minimal_pairs_listing_capped():
    capped = minimal_pair_probe(
        pair_frame(), **SETTINGS, **BOOT, has_scores={"r": True}, max_listed=2
    )
    assert capped["flipped_pairs"] == 6
    assert capped["listed_flipped_pairs"] == 2


def test_minimal_pairs_without_scores():
    result = minimal_pair_probe(pair_frame(), **SETTINGS, **BOOT, has_scores={"r": False})
    cell = result["cells"][0]
    assert cell["wilcoxon"]["p_value"] is None
    assert cell["mean_score_shift"]["reason"] == "the model gives no scores"
    assert result["tests"] == 3


def test_mcnemar_no_discordant_pairs():
    test = mcnemar_exact(0, 0)
    assert test.p_value == 1.0
    assert test.reason == "no pair changed its decision"


def test_wilcoxon_all_zero_differences():
    test = wilcoxon_signed_rank([0.0, 0.0, 0.0])
    assert test.p_value == 1.0
    assert test.reason == "every score difference is zero"


def test_wilcoxon_drops_zero_differences():
    differences = [0.0, 0.3, -0.1, 0.4, 0.2, 0.0, 0.5]
    expected = stats.wilcoxon(differences, zero_method="wilcox").pvalue
    assert wilcoxon_signed_rank(differences).p_value == pytest.approx(expected)


def monotonic_frame():
    rates = {"S0": (0, 10), "S1": (1, 10), "S2": (8, 10), "S3": (3, 10), "S4": (9, 10)}
    rows = []
    for severity, (hits, n) in rates.items():
        for index in range(n):
            rows.append(
                {
                    "run": "r",
                    "locale": "en-US",
                    "style": "base",
                    "severity": severity,
                    "y_pred": int(index < hits),
                }
            )
            rows.append(
                {
                    "run": "r",
                    "locale": "en-US",
                    "style": "hint",
                    "severity": severity,
                    "y_pred": int(index < min(10, 2 * int(severity[1]))),
                }
            )
    return pd.DataFrame(rows)


def test_monotonicity_finds_violation():
    result = monotonicity_probe(monotonic_frame(), **SETTINGS, min_group_size=5)
    assert result["severity_levels"] == ["S0", "S1", "S2", "S3", "S4"]
    violations = [step for step in result["violating_steps"] if step["style"] == "base"]
    assert len(violations) == 1
    step = violations[0]
    assert (step["from_severity"], step["to_severity"]) == ("S2", "S3")
    assert step["from_rate"]["value"] == 0.8
    assert step["to_rate"]["value"] == 0.3
    lower, upper = proportion_confint(3, 10, method="wilson")
    assert step["to_rate"]["ci"] == pytest.approx([lower, upper])
    assert step["difference"]["value"] == pytest.approx(-0.5)
    assert step["test"]["p_value"] == pytest.approx(compare_proportions(3, 10, 8, 10).p_value)


def test_monotonicity_lists_every_step():
    result = monotonicity_probe(monotonic_frame(), **SETTINGS, min_group_size=5)
    # Cells: all styles pooled, base and hint; four steps each.
    assert result["cells"] == 3
    assert result["steps_tested"] == 12
    assert not any(step["violation"] for step in result["steps"] if step["style"] == "hint")
    raw = [step["test"]["p_value"] for step in result["steps"]]
    adjusted = multipletests(raw, method="fdr_bh")[1]
    assert [step["test"]["p_adjusted"] for step in result["steps"]] == pytest.approx(adjusted)


def lane_rows(run, locale, model, decisions, scores):
    return [
        {
            "run": run,
            "model_id": model,
            "locale": locale,
            "template_id": f"t{index}",
            "style": "base",
            "severity": "S3" if index < 3 else "S4",
            "y_pred": decision,
            "score": score,
        }
        for index, (decision, score) in enumerate(zip(decisions, scores, strict=True))
    ]


def test_cross_locale_same_model():
    frame = pd.DataFrame(
        lane_rows("r", "en-US", "m", [1, 1, 1, 0, 1], [0.9, 0.8, 0.7, 0.2, 0.6])
        + lane_rows("r", "ja-JP", "m", [0, 1, 0, 0, 1], [0.1, 0.7, 0.3, 0.1, 0.6])
    )
    result = cross_locale_probe(frame, **SETTINGS, **BOOT, has_scores={"r": True})
    assert result["lane_pairs"] == 1
    pair = result["pairs"][0]
    assert pair["lane_a"] == {"run": "r", "locale": "en-US"}
    assert pair["matched_keys"] == 5
    assert pair["rate_difference"]["value"] == pytest.approx(0.4)
    assert pair["disagreement"]["value"] == pytest.approx(0.4)
    score_differences = np.array([0.8, 0.1, 0.4, 0.1, 0.0])
    assert pair["score_difference"]["value"] == pytest.approx(score_differences.mean())
    assert pair["score_test"]["p_value"] == pytest.approx(stats.wilcoxon(score_differences).pvalue)
    severities = [entry["severity"] for entry in pair["by_severity"]]
    assert severities == ["S3", "S4"]
    assert pair["by_severity"][0]["rate_difference"]["value"] == pytest.approx(2 / 3)


def test_cross_locale_different_models_skip_scores():
    frame = pd.DataFrame(
        lane_rows("a", "en-US", "m1", [1, 0, 1], [0.9, 0.1, 0.7])
        + lane_rows("b", "ja-JP", "m2", [1, 1, 0], [5.0, 3.0, -1.0])
    )
    result = cross_locale_probe(frame, **SETTINGS, **BOOT, has_scores={"a": True, "b": True})
    pair = result["pairs"][0]
    assert pair["score_difference"]["value"] is None
    assert "different models" in pair["score_difference"]["reason"]
    assert pair["rate_difference"]["value"] == pytest.approx(0.0)


def test_wilcoxon_small_samples_with_ties_match_scipy():
    # scipy runs a permutation test over every sign pattern for these; the probe computes
    # the same distribution directly.
    rng = np.random.default_rng(7)
    for _ in range(20):
        differences = rng.choice([-2, -1, -0.5, 0, 0.5, 1, 2, 3], size=rng.integers(2, 14))
        if not np.any(differences != 0):
            continue
        expected = stats.wilcoxon(differences, zero_method="wilcox")
        result = wilcoxon_signed_rank(differences)
        assert result.p_value == pytest.approx(expected.pvalue)
        assert result.statistic == pytest.approx(expected.statistic)
