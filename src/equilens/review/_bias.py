"""Label bias between annotator groups, and the review's findings.

Two reviewer groups (e.g. annotator_locale ja-JP and en-US) are compared on the items
that both labelled. Each item gives one paired difference: the mean label of the first
group minus that of the second (on a nominal scale, the share choosing the positive
label). The Wilcoxon signed-rank test checks whether the differences centre on zero,
and the p-values of all comparisons of a review are adjusted together.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from equilens.metrics.table import Estimate
from equilens.report.taxonomy import DATA, DATA_LABELS, HUMAN_COGNITIVE
from equilens.review._agreement import ALL
from equilens.review._annotations import Annotations
from equilens.review._scale import LabelScale
from equilens.stats.intervals import percentile_interval
from equilens.stats.significance import adjust_p_values

WILCOXON = "wilcoxon_signed_rank"


def label_bias_tests(
    annotations: Annotations,
    items: pd.DataFrame,
    scale: LabelScale,
    *,
    replicates: int,
    confidence: float,
    multiple_testing: str,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Compare every two groups of each annotator attribute on the items both labelled.

    Each comparison is made over all items and within each item group. The difference
    is the first group's mean minus the second's, with a percentile bootstrap interval
    over items; ``difference_weighted`` weights each item by its sampling weight.

    Returns
    -------
    list of dict
        One entry per comparison, with ``p_adjusted`` across all of them.
    """
    frame = annotations.frame.assign(value=scale.numeric(annotations.frame["label"]))
    weights = items.set_index("item_id")["weight"]
    groups = items.set_index("item_id")["group"]
    tests = []
    for attribute in annotations.attributes:
        values = sorted(value for value in frame[attribute].dropna().unique() if value != "")
        for first, second in itertools.combinations(values, 2):
            means = (
                frame[frame[attribute].isin([first, second])]
                .groupby(["item_id", attribute])["value"]
                .mean()
                .unstack(attribute)
                .reindex(columns=[first, second])
                .dropna()
            )
            scopes = [(ALL, means)]
            scopes += [
                (str(group), part)
                for group, part in means.groupby(groups.reindex(means.index), sort=True)
            ]
            for scope, part in scopes:
                tests.append(
                    _compare(
                        part,
                        weights.reindex(part.index).to_numpy(float),
                        attribute=attribute,
                        pair=(str(first), str(second)),
                        scope=scope,
                        replicates=replicates,
                        confidence=confidence,
                        rng=rng,
                    )
                )
    tested = [test for test in tests if test["p_value"] is not None]
    adjusted = adjust_p_values([test["p_value"] for test in tested], method=multiple_testing)
    for test, p_adjusted in zip(tested, adjusted, strict=True):
        test["p_adjusted"] = p_adjusted
    return tests


def _compare(means, weights, *, attribute, pair, scope, replicates, confidence, rng):
    first, second = pair
    entry: dict[str, Any] = {
        "attribute": attribute,
        "group": first,
        "other": second,
        "item_group": scope,
        "items": int(len(means)),
        "test": WILCOXON,
        "p_value": None,
        "p_adjusted": None,
    }
    if means.empty:
        reason = f"no item was labelled by annotators of both {first} and {second}"
        entry["difference"] = Estimate.undefined(reason).to_dict()
        entry["difference_weighted"] = entry["difference"]
        return entry

    values = means.to_numpy(float)
    differences = values[:, 0] - values[:, 1]
    entry["group_value"] = float(values[:, 0].mean())
    entry["other_value"] = float(values[:, 1].mean())
    draws = np.empty((replicates, 2))
    for replicate in range(replicates):
        picks = rng.integers(0, len(differences), len(differences))
        draws[replicate, 0] = differences[picks].mean()
        draws[replicate, 1] = np.average(differences[picks], weights=weights[picks])
    for column, (key, value) in enumerate(
        (
            ("difference", differences.mean()),
            ("difference_weighted", np.average(differences, weights=weights)),
        )
    ):
        lower, upper = percentile_interval(draws[:, column], level=confidence)
        entry[key] = Estimate(float(value), (float(lower), float(upper)), "bootstrap").to_dict()
    if np.all(differences == 0):
        entry["p_value"] = 1.0
        entry["test_reason"] = "every item got the same mean label from both groups"
    else:
        entry["p_value"] = float(stats.wilcoxon(differences, zero_method="wilcox").pvalue)
    return entry


def reliability_finding(
    agreement: dict[str, Any], *, min_alpha: float, confidence: float
) -> dict[str, Any]:
    """Judge whether reviewers agree at Krippendorff's alpha of at least `min_alpha`.

    The finding fails when the alpha of all items or of any item group is below the
    bound. It is inconclusive when the overall alpha is undefined.
    """
    rows = [{"group": [ALL], **agreement}] + [
        {**entry, "group": [entry["group"]]} for entry in agreement["by_item_group"]
    ]
    groups = []
    for row in rows:
        estimate = row["alpha"]
        verdict, evidence = _judge_bound(estimate, min_alpha)
        groups.append(
            {
                "group": row["group"],
                "n": row["items"],
                "small": False,
                **estimate,
                "p_value": None,
                "p_adjusted": None,
                "verdict": verdict,
                "evidence": evidence,
                "minimum_detectable_difference": None,
            }
        )
    overall = groups[0]
    judged = [row for row in groups if row["verdict"] != "inconclusive"]
    if overall["verdict"] == "inconclusive":
        verdict, worst = "inconclusive", overall
    else:
        worst = min(judged, key=lambda row: row["value"])
        verdict = "fail" if any(row["verdict"] == "fail" for row in judged) else "pass"
    level = agreement["level"]
    value = worst.get("value")
    label = "all items" if worst["group"] == [ALL] else f"items of {worst['group'][0]}"
    rationale = (
        f"Reviewers agree at Krippendorff's alpha {value:.2f} ({level}) on {label}, below "
        f"{min_alpha:g}: the labels of these items depend on who labels them, so gold labels "
        f"and audit metrics built on them rest on a judgement that others do not share."
        if verdict == "fail"
        else f"Reviewers agree at Krippendorff's alpha of {value:.2f} ({level}) or more on all "
        f"items and in every item group, at or above {min_alpha:g}."
        if value is not None
        else f"Agreement could not be measured: {overall.get('reason')}."
    )
    return _finding(
        identifier="label_reliability",
        statement=(
            f"Reviewers agree on the labels at Krippendorff's alpha of at least {min_alpha:g}, "
            f"on all items and within each item group"
        ),
        metric="krippendorff_alpha",
        operator=">=",
        threshold=min_alpha,
        verdict=verdict,
        worst=worst,
        groups=groups,
        category=(DATA, DATA_LABELS),
        rationale=rationale,
        recommendation=(
            "Sharpen the labelling guidelines with examples from the items that reviewers "
            "disagree on, adjudicate those items (adjudication.csv), and report audit "
            "metrics on them with their label uncertainty."
        ),
        confidence=confidence,
    )


def label_bias_finding(
    tests: list[dict[str, Any]], attribute: str, *, confidence: float, meaning: str
) -> dict[str, Any]:
    """Judge whether reviewer groups of one attribute label the same items alike."""
    rows = [test for test in tests if test["attribute"] == attribute]
    significance = 1 - confidence
    groups = []
    for test in rows:
        difference = test["difference"]
        p_adjusted = test["p_adjusted"]
        if p_adjusted is None:
            verdict, evidence = "inconclusive", None
        else:
            verdict = "fail" if p_adjusted < significance else "pass"
            ci = difference.get("ci")
            excludes_zero = ci is not None and (ci[0] > 0 or ci[1] < 0)
            evidence = "strong" if excludes_zero == (verdict == "fail") else "weak"
        groups.append(
            {
                "group": [f"{test['group']} vs {test['other']}", test["item_group"]],
                "n": test["items"],
                "small": False,
                **difference,
                "p_value": test["p_value"],
                "p_adjusted": p_adjusted,
                "verdict": verdict,
                "evidence": evidence,
                "minimum_detectable_difference": None,
            }
        )
    failing = [row for row in groups if row["verdict"] == "fail"]
    judged = [row for row in groups if row["verdict"] != "inconclusive"]
    if failing:
        verdict = "fail"
        worst = max(failing, key=lambda row: abs(row["value"]))
    elif judged:
        verdict = "pass"
        worst = min(judged, key=lambda row: row["p_adjusted"])
    else:
        verdict, worst = "inconclusive", groups[0] if groups else {"group": None, "value": None}
    name = attribute.removeprefix("annotator_")
    if verdict == "fail":
        pair, scope = worst["group"]
        where = "all items" if scope == ALL else f"items of {scope}"
        rationale = (
            f"Reviewers grouped by {name} label the same items differently: {pair} differ by "
            f"{worst['value']:+.2f} in {meaning} on {worst['n']} {where} (Wilcoxon "
            f"signed-rank, adjusted p = {worst['p_adjusted']:.3g}). A single set of gold "
            f"labels carries the judgement of whoever wrote it, so the audit's error rates "
            f"depend on that choice."
        )
    elif verdict == "pass":
        rationale = (
            f"No two reviewer groups by {name} differ in {meaning} on the items both labelled "
            f"(smallest adjusted p = {worst['p_adjusted']:.3g})."
        )
    else:
        rationale = f"No two reviewer groups by {name} labelled the same items."
    return _finding(
        identifier=f"label_bias_{name}",
        statement=f"Reviewers of every {name} label the same items alike ({meaning})",
        metric="label_difference",
        operator="within",
        threshold=0.0,
        verdict=verdict,
        worst=worst,
        groups=groups,
        category=(HUMAN_COGNITIVE, DATA_LABELS),
        rationale=rationale,
        recommendation=(
            f"Do not treat one {name} group's labels as ground truth for texts from another: "
            f"have in-locale reviewers label each locale, report the audit against each "
            f"group's labels, and adjudicate the items the groups disagree on."
        ),
        confidence=confidence,
        p_value=worst.get("p_value"),
        p_adjusted=worst.get("p_adjusted"),
    )


def _judge_bound(estimate: dict[str, Any], bound: float) -> tuple[str, str | None]:
    value = estimate.get("value")
    if value is None:
        return "inconclusive", None
    verdict = "pass" if value >= bound else "fail"
    ci = estimate.get("ci")
    if ci is None:
        return verdict, "weak"
    inside = ci[0] >= bound if verdict == "pass" else ci[1] < bound
    return verdict, "strong" if inside else "weak"


def _finding(
    *,
    identifier,
    statement,
    metric,
    operator,
    threshold,
    verdict,
    worst,
    groups,
    category,
    rationale,
    recommendation,
    confidence,
    p_value=None,
    p_adjusted=None,
) -> dict[str, Any]:
    strong = worst.get("evidence") == "strong"
    severity = {"pass": "none", "inconclusive": "low"}.get(verdict)
    if severity is None:
        severity = "high" if strong else "medium"
    effect_keys = ("value", "ci", "ci_method", "reason", "ci_reason", "ci_undefined_share")
    return {
        "id": identifier,
        "statement": statement,
        "attributes": ["review"],
        "metric": metric,
        "comparison": "value" if metric == "krippendorff_alpha" else "difference",
        "operator": operator,
        "threshold": threshold,
        "verdict": verdict,
        "severity": severity,
        "effect": {
            "group": worst.get("group"),
            **{key: worst[key] for key in effect_keys if key in worst},
        },
        "p_value": p_value,
        "p_adjusted": p_adjusted,
        "groups": groups,
        "bias_category": {"category": category[0], "subtype": category[1], "rationale": rationale},
        "recommendation": recommendation,
        "confidence_level": confidence,
    }
