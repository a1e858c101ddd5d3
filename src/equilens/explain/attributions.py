"""SHAP attributions by group: which features drive a group's lower (or higher) scores.

SHAP values split each row's model output into one additive contribution per feature
(Lundberg and Lee, 2017, "A unified approach to interpreting model predictions",
NeurIPS). Because the split is additive, the gap between two groups' mean outputs is the
sum over features of the gaps between their mean SHAP values: each feature's share of a
disparity. Tree models are explained exactly with ``shap.TreeExplainer``; other models by
the permutation explainer on a sample. Needs the ``explain`` extra (shap).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from equilens.errors import DataError, EquilensError
from equilens.metrics.table import Estimate
from equilens.probes._model import (
    MISSING_LABEL,
    as_predictor,
    favorable_decisions,
    model_features,
    require_column,
)
from equilens.probes._paired import bootstrap_means, cell_rng
from equilens.stats.intervals import percentile_interval

logger = logging.getLogger(__name__)


def shap_attributions(
    data: pd.DataFrame,
    model: Any,
    labels: Mapping[str, Any],
    *,
    features: Sequence[str] | None = None,
    references: Mapping[str, str] | None = None,
    favorable_label: Any = 1,
    max_rows: int = 2000,
    background_rows: int = 100,
    permutations: int = 5,
    level: float = 0.95,
    replicates: int = 1000,
    seed: int = 0,
    missing_label: str = MISSING_LABEL,
) -> dict[str, Any]:
    """Attribute each group's gap in model output to the features with SHAP values.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows to explain, with the model's feature columns.
    model : object
        A `Predictor` (a scikit-learn adapter is explained exactly when its estimator is a
        tree ensemble), a fitted estimator or a callable mapping a frame to labels.
    labels : mapping of str to array-like
        Group label of each row per protected attribute.
    features : sequence of str, optional
        The model's feature columns; defaults to the model's own list.
    references : mapping of str to str, optional
        Reference group per attribute; defaults to the largest group.
    favorable_label : scalar
        Class of the favorable decision, whose probability is explained.
    max_rows : int
        Largest number of rows explained; a seeded random sample is taken beyond it.
    background_rows : int
        Rows of the background sample over which absent features are integrated out.
    permutations : int
        Feature orderings per row of the permutation explainer, which explains models
        that are not tree ensembles. Each costs 2 x features + 1 model calls on the
        background sample; one ordering is exact only for an additive model.
    level, replicates, seed
        Confidence level, bootstrap replicates over rows, and seed of samples and draws.
    missing_label : str
        Group label of rows with a missing attribute; they form no group here.

    Returns
    -------
    dict
        ``explainer``, ``output``, ``rows``, ``sampled`` and ``attributes``. Each group of
        an attribute, compared with the reference, has ``output_gap`` with its interval and
        one entry per feature, largest share first. A feature entry has ``mean_abs_shap``
        in the group and the reference and ``contribution``, the feature's share of the
        gap, with its interval.
    """
    shap = _import_shap()
    predictor = as_predictor(model, favorable_label)
    features = model_features(predictor, features)
    if not features:
        raise DataError(
            "SHAP attributions need the model's feature columns, and this model does not list "
            "them; pass features (probes.features in the plan)."
        )
    for column in features:
        require_column(data, column, role="feature")

    frame = data.reset_index(drop=True)
    rng = cell_rng(seed, "attributions")
    rows = np.arange(len(frame))
    if len(frame) > max_rows:
        rows = np.sort(rng.choice(len(frame), size=max_rows, replace=False))
    explained = frame.iloc[rows][features].reset_index(drop=True)
    background = frame[features].iloc[
        rng.choice(len(frame), size=min(background_rows, len(frame)), replace=False)
    ]

    values, base, explainer_name, output = _shap_values(
        shap, predictor, explained, background, favorable_label, permutations, seed=seed
    )
    contributions = np.column_stack([values, base + values.sum(axis=1)])

    attributes = []
    for name, group_values in labels.items():
        group_labels = np.asarray([str(value) for value in group_values], dtype=object)[rows]
        reference = (references or {}).get(name)
        attributes.append(
            _attribute_entry(
                name,
                group_labels,
                contributions,
                features,
                reference=reference,
                missing_label=missing_label,
                level=level,
                replicates=replicates,
                seed=seed,
            )
        )
    return {
        "method": (
            "Mean SHAP value of each feature per group; a feature's contribution to a group's "
            "gap is its mean SHAP value in the group minus that in the reference group, and "
            "the contributions add up to the gap in mean model output."
        ),
        "explainer": explainer_name,
        "output": output,
        "rows": int(len(rows)),
        "sampled": bool(len(rows) < len(frame)),
        "background_rows": int(len(background)),
        "permutations": permutations if explainer_name == "permutation" else None,
        "attributes": attributes,
    }


def _import_shap():
    try:
        import shap
    except ImportError:
        raise EquilensError(
            "SHAP attributions need the shap package, which is not installed; install the "
            "extra with pip install 'equilens[explain]', or remove 'attributions' from "
            "probes.run."
        ) from None
    return shap


def _shap_values(shap, predictor, explained, background, favorable_label, permutations, *, seed):
    """Return SHAP values (rows x features), the base value, the explainer and the output."""
    estimator = getattr(predictor, "estimator", None)
    has_score = predictor.score(explained.iloc[:1]) is not None
    if estimator is not None and has_score and getattr(predictor, "threshold", None) is None:
        try:
            explainer = shap.TreeExplainer(
                estimator,
                data=background,
                model_output="probability",
                feature_perturbation="interventional",
            )
        except Exception as error:  # shap raises several types for unsupported models
            logger.info("TreeExplainer does not support this model (%s); using permutation", error)
        else:
            values = np.asarray(explainer.shap_values(explained))
            base = np.asarray(explainer.expected_value, dtype=float)
            classes = [str(label) for label in estimator.classes_]
            position = classes.index(str(favorable_label))
            if values.ndim == 3:
                values, base = values[:, :, position], base.reshape(-1)[position]
            elif position == 0:
                # For two classes shap explains the second class; the first is its complement.
                values, base = -values, 1.0 - float(base.reshape(-1)[0])
            return values, float(np.asarray(base).reshape(-1)[0]), "tree", "probability"

    output = "probability" if has_score else "decision"
    dtypes = explained.dtypes.to_dict()

    def model_output(matrix: np.ndarray) -> np.ndarray:
        batch = pd.DataFrame(matrix, columns=explained.columns).astype(dtypes)
        if has_score:
            return np.asarray(predictor.score(batch), dtype=float)
        return favorable_decisions(predictor.predict(batch), favorable_label).astype(float)

    masker = shap.maskers.Independent(background, max_samples=len(background))
    explainer = shap.PermutationExplainer(model_output, masker, seed=seed)
    max_evals = permutations * (2 * explained.shape[1] + 1)
    explanation = explainer(explained, max_evals=max_evals, silent=True)
    base = float(np.asarray(explanation.base_values, dtype=float).reshape(-1)[0])
    return np.asarray(explanation.values, dtype=float), base, "permutation", output


def _attribute_entry(
    name,
    group_labels,
    contributions,
    features,
    *,
    reference,
    missing_label,
    level,
    replicates,
    seed,
) -> dict[str, Any]:
    counts = pd.Series(group_labels).value_counts()
    groups = [str(label) for label in counts.index if label != missing_label]
    if reference is None or reference not in groups:
        reference = groups[0] if groups else None
    entry: dict[str, Any] = {"attribute": name, "reference": reference, "groups": []}
    if reference is None or len(groups) < 2:
        entry["reason"] = "fewer than two groups among the explained rows"
        return entry

    reference_rows = contributions[group_labels == reference]
    reference_draws = bootstrap_means(
        reference_rows, replicates=replicates, rng=cell_rng(seed, "shap", name, reference)
    )
    for group in groups:
        if group == reference:
            continue
        group_rows = contributions[group_labels == group]
        draws = bootstrap_means(
            group_rows, replicates=replicates, rng=cell_rng(seed, "shap", name, group)
        )
        differences = draws - reference_draws
        gaps = group_rows.mean(axis=0) - reference_rows.mean(axis=0)
        feature_entries = [
            {
                "feature": feature,
                "mean_abs_shap": float(np.abs(group_rows[:, index]).mean()),
                "reference_mean_abs_shap": float(np.abs(reference_rows[:, index]).mean()),
                "mean_shap": float(group_rows[:, index].mean()),
                "reference_mean_shap": float(reference_rows[:, index].mean()),
                "contribution": _estimate(gaps[index], differences[:, index], level).to_dict(),
            }
            for index, feature in enumerate(features)
        ]
        feature_entries.sort(key=lambda item: abs(item["contribution"]["value"]), reverse=True)
        entry["groups"].append(
            {
                "group": group,
                "n": int(len(group_rows)),
                "reference_n": int(len(reference_rows)),
                "mean_output": float(group_rows[:, -1].mean()),
                "reference_mean_output": float(reference_rows[:, -1].mean()),
                "output_gap": _estimate(gaps[-1], differences[:, -1], level).to_dict(),
                "features": feature_entries,
            }
        )
    return entry


def _estimate(value: float, draws: np.ndarray, level: float) -> Estimate:
    lower, upper = percentile_interval(draws, level=level)
    if not lower < upper:
        return Estimate(float(value), ci_reason="bootstrap distribution degenerate")
    return Estimate(float(value), (float(lower), float(upper)), "bootstrap")
