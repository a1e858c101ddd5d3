"""Cross-locale consistency: does the same fact frame get the same decision in every locale?

A lane is one run in one locale. For every pair of lanes, items are matched on their
fact frame (``template_id``, which the test beds share across locales), style and
severity. Each matched key contributes the difference of its mean decision (and, when
both lanes use the same model, of its mean score) between the two lanes. Per lane pair
and per severity, the probe reports the mean difference with a bootstrap interval over
the keys and the share of keys whose decisions differ. A Wilcoxon signed-rank test of
the differences is adjusted across all of the probe's tests.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np
import pandas as pd

from equilens.probes._stats import (
    ProbeTest,
    adjust,
    bootstrap_mean,
    cell_rng,
    proportion,
    wilcoxon_signed_rank,
)
from equilens.probes.monotonicity import severity_order

logger = logging.getLogger(__name__)

KEY_COLUMNS = ["template_id", "style", "severity"]


def cross_locale_probe(
    frame: pd.DataFrame,
    *,
    level: float,
    replicates: int,
    seed: int,
    multiple_testing: str,
    has_scores: dict[str, bool],
) -> dict[str, Any]:
    """Compare the decisions and scores of each pair of lanes on matched fact frames.

    Parameters
    ----------
    frame : pandas.DataFrame
        Scored rows with ``run``, ``model_id``, ``locale``, ``template_id``, ``style``,
        ``severity``, ``y_pred`` and ``score``.
    level, replicates, seed, multiple_testing
        Interval level, bootstrap replicates, seed and correction across the tests.
    has_scores : dict of str to bool
        Whether each run's model gives scores.

    Returns
    -------
    dict
        The ``cross_locale`` entry of findings.json ``probes``.
    """
    keys = [column for column in KEY_COLUMNS if column in frame.columns]
    means = (
        frame.groupby(["run", "locale", *keys], dropna=False)
        .agg(rate=("y_pred", "mean"), score=("score", "mean"), model_id=("model_id", "first"))
        .reset_index()
    )
    lanes = means[["run", "locale"]].drop_duplicates().itertuples(index=False, name=None)
    lanes = sorted(lanes, key=lambda lane: (lane[0], lane[1]))
    levels = severity_order(frame["severity"].dropna().unique().tolist())
    pairs: list[dict[str, Any]] = []
    tests: list[ProbeTest] = []
    for first, second in itertools.combinations(lanes, 2):
        left = _lane(means, first)
        right = _lane(means, second)
        matched = left.merge(right, on=keys, suffixes=("_a", "_b"))
        same_model = left["model_id"].iloc[0] == right["model_id"].iloc[0]
        scored = same_model and has_scores.get(first[0], False) and has_scores.get(second[0], False)
        if scored:
            score_reason = None
        elif not same_model:
            score_reason = "the lanes use different models, whose scores are not on one scale"
        else:
            score_reason = "the model gives no scores"
        name = f"{first[0]}/{first[1]} vs {second[0]}/{second[1]}"
        entry = {
            "lane_a": {"run": first[0], "locale": first[1]},
            "lane_b": {"run": second[0], "locale": second[1]},
            **_compare(
                matched,
                level=level,
                replicates=replicates,
                seed=seed,
                key=name,
                score_reason=score_reason,
                tests=tests,
            ),
            "by_severity": [],
        }
        for severity in levels:
            subset = (
                matched[matched["severity"] == severity] if "severity" in matched else matched[:0]
            )
            if len(subset):
                entry["by_severity"].append(
                    {
                        "severity": severity,
                        **_compare(
                            subset,
                            level=level,
                            replicates=replicates,
                            seed=seed,
                            key=f"{name}|{severity}",
                            score_reason=score_reason,
                            tests=tests,
                        ),
                    }
                )
        pairs.append(entry)

    adjust(tests, method=multiple_testing)
    for entry in pairs:
        for part in [entry, *entry["by_severity"]]:
            part["rate_test"] = part["rate_test"].to_dict()
            part["score_test"] = part["score_test"].to_dict()
    alpha = 1 - level
    significant = sum(
        1 for test in tests if test.p_adjusted is not None and test.p_adjusted < alpha
    )
    logger.info(
        "Cross-locale: %d lanes, %d lane pairs, %d tests", len(lanes), len(pairs), len(tests)
    )
    return {
        "lanes": [{"run": run, "locale": locale} for run, locale in lanes],
        "lane_pairs": len(pairs),
        "tests": len(tests),
        "significant_tests": significant,
        "match_on": keys,
        "pairs": pairs,
    }


def _lane(means: pd.DataFrame, lane: tuple[str, str]) -> pd.DataFrame:
    selected = (means["run"] == lane[0]) & (means["locale"] == lane[1])
    return means[selected].drop(columns=["run", "locale"])


def _compare(
    matched: pd.DataFrame,
    *,
    level: float,
    replicates: int,
    seed: int,
    key: str,
    score_reason: str | None,
    tests: list[ProbeTest],
) -> dict[str, Any]:
    rng = cell_rng(seed, key)
    rate_differences = (matched["rate_a"] - matched["rate_b"]).to_numpy(float)
    disagree = int(np.count_nonzero(rate_differences))
    rate_test = wilcoxon_signed_rank(rate_differences)
    tests.append(rate_test)
    if score_reason is None:
        score_differences = (matched["score_a"] - matched["score_b"]).to_numpy(float)
        score_shift = bootstrap_mean(
            score_differences, level=level, replicates=replicates, rng=rng, reason="no matches"
        )
        score_test = wilcoxon_signed_rank(score_differences)
        tests.append(score_test)
    else:
        score_shift = {"value": None, "ci": None, "reason": score_reason}
        score_test = ProbeTest("wilcoxon_signed_rank", None, None, score_reason)
    return {
        "matched_keys": int(len(matched)),
        "rate_a": _mean(matched["rate_a"]),
        "rate_b": _mean(matched["rate_b"]),
        "rate_difference": bootstrap_mean(
            rate_differences, level=level, replicates=replicates, rng=rng, reason="no matches"
        ),
        "disagreement": proportion(disagree, len(matched), level=level, reason="no matches"),
        "score_difference": score_shift,
        "rate_test": rate_test,
        "score_test": score_test,
    }


def _mean(values: pd.Series) -> float | None:
    return float(values.mean()) if len(values) else None
