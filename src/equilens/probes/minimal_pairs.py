"""Minimal pairs: does the decision move when one attribute of a message changes?

Every variant of a pair set is compared with its set's base text, scored by the same run.
The facts, and so the gold label, are the same within a set, so any change of decision
is a reaction to the varied attribute alone (an invariance test in the sense of
CheckList, Ribeiro et al. 2020). The probe reports per run, varied axis and value, and
again per locale: the flip rate, the direction of the flips and the mean score shift.
Each such cell gets an exact McNemar test of the decisions and a Wilcoxon signed-rank
test of the scores, with p-values adjusted across all of the probe's tests.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from equilens.probes._stats import (
    ProbeTest,
    adjust,
    bootstrap_mean,
    cell_rng,
    mcnemar_exact,
    proportion,
    wilcoxon_signed_rank,
)

logger = logging.getLogger(__name__)

_PAIR_COLUMNS = [
    "item_id",
    "locale",
    "text",
    "english_gloss",
    "input_text",
    "predicted_label",
    "y_pred",
    "score",
]


def pair_table(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join each scored variant to its scored base of the same run.

    Returns
    -------
    pairs : pandas.DataFrame
        One row per variant with its base: the variant's columns, the base's columns with
        the prefix ``base_``, and ``axis``, ``value`` and ``base_value``.
    dropped : pandas.DataFrame
        Per run and axis, ``noop`` (variants whose input text equals the base's, which
        are dropped) and ``unpaired`` (variants whose base has no prediction).
    """
    columns = ["run", "pair_id", *_PAIR_COLUMNS]
    bases = frame.loc[frame["pair_role"] == "base"]
    variants = frame.loc[frame["pair_role"] == "variant"].copy()
    base_part = bases[
        columns + [c for c in bases.columns if c not in columns and c in _axes(frame)]
    ]
    base_part = base_part.rename(
        columns={c: f"base_{c}" for c in base_part if c not in ("run", "pair_id")}
    )
    pairs = variants.merge(base_part, on=["run", "pair_id"], how="left")

    pairs["axis"] = pairs["varied_axis"]
    pairs["value"] = _lookup(pairs, "")
    pairs["base_value"] = _lookup(pairs, "base_")
    unpaired = pairs["base_item_id"].isna()
    noop = ~unpaired & (pairs["input_text"] == pairs["base_input_text"])

    dropped = (
        pd.DataFrame(
            {"run": pairs["run"], "axis": pairs["axis"], "noop": noop, "unpaired": unpaired}
        )
        .groupby(["run", "axis"], sort=False)[["noop", "unpaired"]]
        .sum()
        .reset_index()
    )
    return pairs[~unpaired & ~noop].reset_index(drop=True), dropped


def _axes(frame: pd.DataFrame) -> set[str]:
    return {axis for axis in frame["varied_axis"].dropna().unique() if axis in frame.columns}


def _lookup(pairs: pd.DataFrame, prefix: str) -> np.ndarray:
    values = np.full(len(pairs), None, dtype=object)
    for axis in pairs["axis"].dropna().unique():
        column = f"{prefix}{axis}"
        if column in pairs.columns:
            rows = (pairs["axis"] == axis).to_numpy()
            values[rows] = pairs.loc[rows, column].to_numpy(dtype=object)
    return values


def minimal_pair_probe(
    frame: pd.DataFrame,
    *,
    level: float,
    replicates: int,
    seed: int,
    multiple_testing: str,
    has_scores: dict[str, bool],
    max_listed: int | None = None,
) -> dict[str, Any]:
    """Compare every variant with its base and test the changes per axis, value and locale.

    Parameters
    ----------
    frame : pandas.DataFrame
        Scored rows with ``run``, ``pair_id``, ``pair_role``, ``varied_axis``, the
        axis columns, ``input_text``, ``y_pred`` (1 for the positive label) and ``score``.
    level : float
        Confidence level of the intervals.
    replicates : int
        Bootstrap replicates of the mean score shift.
    seed : int
        Seed of the bootstrap.
    multiple_testing : {"benjamini-hochberg", "holm"}
        Correction across the probe's tests.
    has_scores : dict of str to bool
        Whether each run's model gives scores.
    max_listed : int, optional
        Flipped pairs listed; all by default.

    Returns
    -------
    dict
        The ``minimal_pairs`` entry of findings.json ``probes``.
    """
    pairs, dropped = pair_table(frame)
    cells: list[dict[str, Any]] = []
    tests: list[ProbeTest] = []
    for (run, axis, value), group in pairs.groupby(["run", "axis", "value"], sort=True):
        scored = has_scores.get(run, False)
        for locale, subset in [(None, group), *group.groupby("locale", sort=True)]:
            cell, cell_tests = _cell(
                subset,
                level=level,
                replicates=replicates,
                seed=seed,
                key=f"{run}|{axis}|{value}|{locale}",
                scored=scored,
            )
            cells.append(
                {
                    "run": run,
                    "axis": axis,
                    "value": value,
                    "base_value": _single(subset["base_value"]),
                    "locale": locale,
                    **cell,
                }
            )
            tests.extend(cell_tests)
    adjust(tests, method=multiple_testing)
    for cell in cells:
        cell["mcnemar"] = cell["mcnemar"].to_dict()
        cell["wilcoxon"] = cell["wilcoxon"].to_dict()

    flipped = pairs[pairs["y_pred"] != pairs["base_y_pred"]]
    listed = flipped if max_listed is None else flipped.head(max_listed)
    alpha = 1 - level
    significant = sum(
        1 for test in tests if test.p_adjusted is not None and test.p_adjusted < alpha
    )
    logger.info(
        "Minimal pairs: %d pairs, %d flipped, %d tests", len(pairs), len(flipped), len(tests)
    )
    return {
        "pairs": int(len(pairs)),
        "flipped_pairs": int(len(flipped)),
        "flip_rate": proportion(len(flipped), len(pairs), level=level, reason="no pairs"),
        "dropped_noops": int(dropped["noop"].sum()) if len(dropped) else 0,
        "unpaired_variants": int(dropped["unpaired"].sum()) if len(dropped) else 0,
        "tests": len(tests),
        "significant_tests": significant,
        "by_axis": _by_axis(pairs, dropped, level=level),
        "cells": cells,
        "listed_flipped_pairs": int(len(listed)),
        "flipped": [_pair_entry(row) for row in listed.itertuples(index=False)],
    }


def _cell(
    subset: pd.DataFrame, *, level: float, replicates: int, seed: int, key: str, scored: bool
) -> tuple[dict[str, Any], list[ProbeTest]]:
    base, variant = subset["base_y_pred"].to_numpy(int), subset["y_pred"].to_numpy(int)
    base_only = int(((base == 1) & (variant == 0)).sum())
    variant_only = int(((base == 0) & (variant == 1)).sum())
    n = len(subset)
    rng = cell_rng(seed, key)
    mcnemar = mcnemar_exact(base_only, variant_only)
    if scored:
        shifts = subset["score"].to_numpy(float) - subset["base_score"].to_numpy(float)
        shift = bootstrap_mean(shifts, level=level, replicates=replicates, rng=rng)
        wilcoxon = wilcoxon_signed_rank(shifts)
    else:
        shift = {"value": None, "ci": None, "reason": "the model gives no scores"}
        wilcoxon = ProbeTest("wilcoxon_signed_rank", None, None, "the model gives no scores")
    change = bootstrap_mean(variant - base, level=level, replicates=replicates, rng=rng)
    cell = {
        "n_pairs": n,
        "flipped": base_only + variant_only,
        "escalated_base_only": base_only,
        "escalated_variant_only": variant_only,
        "flip_rate": proportion(base_only + variant_only, n, level=level, reason="no pairs"),
        "positive_rate_change": change,
        "mean_score_shift": shift,
        "mcnemar": mcnemar,
        "wilcoxon": wilcoxon,
    }
    return cell, [mcnemar, *([wilcoxon] if scored else [])]


def _by_axis(pairs: pd.DataFrame, dropped: pd.DataFrame, *, level: float) -> list[dict[str, Any]]:
    entries = []
    dropped_by = {(row.run, row.axis): row for row in dropped.itertuples(index=False)}
    for (run, axis), group in pairs.groupby(["run", "axis"], sort=True):
        flips = int((group["y_pred"] != group["base_y_pred"]).sum())
        counts = dropped_by.get((run, axis))
        entries.append(
            {
                "run": run,
                "axis": axis,
                "n_pairs": int(len(group)),
                "flipped": flips,
                "flip_rate": proportion(flips, len(group), level=level, reason="no pairs"),
                "dropped_noops": int(counts.noop) if counts is not None else 0,
                "unpaired_variants": int(counts.unpaired) if counts is not None else 0,
            }
        )
    return entries


def _single(values: pd.Series) -> Any:
    unique = values.dropna().unique()
    return unique[0] if len(unique) == 1 else None


def _pair_entry(row: Any) -> dict[str, Any]:
    return {
        "run": row.run,
        "locale": row.locale,
        "pair_id": row.pair_id,
        "axis": row.axis,
        "base_value": row.base_value,
        "value": row.value,
        "severity": getattr(row, "severity", None),
        "base_item_id": row.base_item_id,
        "variant_item_id": row.item_id,
        "input_field": row.input_field,
        "base_text": row.base_text,
        "variant_text": row.text,
        "base_gloss": row.base_english_gloss,
        "variant_gloss": row.english_gloss,
        "base_label": row.base_predicted_label,
        "variant_label": row.predicted_label,
        "base_score": _number(row.base_score),
        "variant_score": _number(row.score),
    }


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
