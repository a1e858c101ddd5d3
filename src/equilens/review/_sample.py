"""Stratified review samples: strata, allocation with a minimum per stratum, weights.

Items are stratified by group x predicted label x model-confidence band x minimal-pair
status. Each stratum gets at least `min_per_stratum` items (all of them when it is
smaller), and the rest of the sample is allocated in proportion to stratum size, so that
small groups are oversampled. Each sampled item carries the weight N_h / n_h of its
stratum h, so that weighted estimates describe the whole audit: the weights of a
stratum's sampled items add up to its size.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from equilens.errors import DataError, did_you_mean
from equilens.review._run import NO_PAIR, ReviewRun, pair_status
from equilens.review._scale import LabelScale

logger = logging.getLogger(__name__)

BANDS = ("low", "medium", "high")
NO_SCORE = "no score"
STRATUM_COLUMNS = ("group", "predicted_label", "confidence_band", "pair_status")
#: Item columns that identify or describe an item rather than group it.
NOT_GROUPS = frozenset(
    ("item_id", "text", "english_gloss", "gold_label", "y_true", "pair_id", "pair_role", "bed")
)


@dataclass
class ReviewSample:
    """A stratified sample of items to review.

    Attributes
    ----------
    items : pandas.DataFrame
        One row per sampled item: ``item_id``, ``stratum``, the group columns, ``group``,
        ``run`` (the model whose decisions set the strata), ``predicted_label``,
        ``score``, ``confidence_band``, ``pair_status``, ``stratum_size`` (N_h),
        ``stratum_sample`` (n_h), ``weight`` (N_h / n_h), ``gold_label``, ``locale``,
        ``text`` and ``english_gloss``.
    strata : pandas.DataFrame
        One row per stratum: ``stratum``, its four parts, ``size`` and ``sampled``.
    scale : LabelScale
        Labels the reviewers choose from.
    settings : dict
        Requested size, minimum per stratum, seed, group columns, stratifying runs and
        the confidence-band edges of each run.
    """

    items: pd.DataFrame
    strata: pd.DataFrame
    scale: LabelScale
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def group_columns(self) -> list[str]:
        return list(self.settings.get("group_columns", []))

    def weights(self) -> pd.Series:
        """Return the sampling weight of each item, indexed by item id."""
        return self.items.set_index("item_id")["weight"]


def draw_sample(
    run: ReviewRun,
    *,
    size: int = 400,
    min_per_stratum: int = 5,
    seed: int = 0,
    group: Sequence[str] | None = None,
    model_runs: Sequence[str] | None = None,
    scale: LabelScale | None = None,
) -> ReviewSample:
    """Draw a stratified review sample from an audit run.

    Parameters
    ----------
    run : ReviewRun
        The audit run, from `load_run`.
    size : int
        Requested number of items. The sample is larger when the minimum per stratum
        needs more, and smaller when the run has fewer items.
    min_per_stratum : int
        Items drawn from every stratum (all of a smaller stratum) before the rest is
        allocated in proportion to stratum size.
    seed : int
        Seed of the draw; the same run, settings and seed give the same sample.
    group : sequence of str, optional
        Item columns whose values form the groups; by default ``locale`` when the items
        have several locales, else the first audited attribute.
    model_runs : sequence of str, optional
        Runs whose items are sampled. Each item takes its predicted label, confidence and
        pair status from the first of these runs (in plan order) that scored it. All runs
        by default.
    scale : LabelScale, optional
        Labels the reviewers choose from; the plan's labels by default.

    Returns
    -------
    ReviewSample

    Raises
    ------
    DataError
        For an unknown group column or run, or a size below one.
    """
    if size < 1 or min_per_stratum < 1:
        raise DataError(
            f"The sample size ({size}) and the minimum per stratum ({min_per_stratum}) must "
            f"be at least 1."
        )
    group_columns = list(group) if group else run.default_group()
    choices = [
        name
        for name in run.items.columns
        if name not in NOT_GROUPS and run.items[name].notna().any()
    ]
    for column in group_columns:
        if column not in choices:
            raise DataError(
                f"Group column {column!r} is not an attribute of this run's items."
                f"{did_you_mean(column, choices)} Attributes: {sorted(map(str, choices))}."
            )
    names = run.run_names
    chosen = list(model_runs) if model_runs else names
    for name in chosen:
        if name not in names:
            raise DataError(
                f"Model run {name!r} is not in this audit.{did_you_mean(name, names)} "
                f"Runs: {names}."
            )

    decisions = run.decisions[run.decisions["run"].isin(chosen)].copy()
    decisions["order"] = decisions["run"].map({name: index for index, name in enumerate(chosen)})
    bands, edges = _confidence_bands(run, decisions)
    decisions["confidence_band"] = bands
    primary = decisions.sort_values(["order"], kind="stable").drop_duplicates("item_id")

    population = run.items.merge(
        primary[["item_id", "run", "predicted_label", "score", "confidence_band", "y_pred"]],
        on="item_id",
        how="inner",
    )
    status = {
        name: pair_status(run, run.decisions[run.decisions["run"] == name])
        for name in population["run"].unique()
    }
    population["pair_status"] = [
        status[name].get(item_id, NO_PAIR)
        for name, item_id in zip(population["run"], population["item_id"], strict=True)
    ]
    population["group"] = group_labels(population, group_columns)
    population["stratum"] = population[list(STRATUM_COLUMNS)].astype(str).agg(" | ".join, axis=1)

    strata = (
        population.groupby("stratum", sort=True)
        .agg(**{column: (column, "first") for column in STRATUM_COLUMNS}, size=("item_id", "size"))
        .reset_index()
    )
    strata["sampled"] = allocate(strata["size"].to_numpy(), size, min_per_stratum)
    if strata["sampled"].sum() > size:
        logger.warning(
            "The minimum of %d items per stratum over %d strata gives %d items, more than the "
            "requested %d",
            min_per_stratum,
            len(strata),
            strata["sampled"].sum(),
            size,
        )

    rng = np.random.default_rng(seed)
    chosen_rows = []
    for row in strata.itertuples(index=False):
        members = population[population["stratum"] == row.stratum].sort_values("item_id")
        picks = rng.choice(len(members), size=int(row.sampled), replace=False)
        picked = members.iloc[np.sort(picks)].copy()
        picked["stratum_size"] = int(row.size)
        picked["stratum_sample"] = int(row.sampled)
        picked["weight"] = row.size / row.sampled
        chosen_rows.append(picked)
    items = pd.concat(chosen_rows, ignore_index=True)
    ordered = [
        "item_id", "stratum", *group_columns, "group", "run", "predicted_label", "score",
        "confidence_band", "pair_status", "stratum_size", "stratum_sample", "weight",
        "gold_label", "locale", "text", "english_gloss",
    ]  # fmt: skip
    items = items[list(dict.fromkeys(ordered))]
    settings = {
        "size": size,
        "min_per_stratum": min_per_stratum,
        "seed": seed,
        "group_columns": group_columns,
        "model_runs": chosen,
        "confidence_edges": edges,
        "population": int(len(population)),
        "sampled": int(len(items)),
    }
    logger.info("Drew %d of %d items from %d strata", len(items), len(population), len(strata))
    return ReviewSample(items, strata, scale or run.default_scale(), settings)


def group_labels(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Return each row's group label: the values of `columns` joined by `` x ``."""
    if not columns:
        return pd.Series("all", index=frame.index, dtype=object)
    parts = [
        frame[column].map(lambda value: "missing" if pd.isna(value) else str(value))
        for column in columns
    ]
    labels = parts[0]
    for part in parts[1:]:
        labels = labels + " x " + part
    return labels.astype(object)


def allocate(sizes: np.ndarray, total: int, minimum: int) -> np.ndarray:
    """Allocate `total` draws to strata of the given sizes.

    Each stratum first gets ``min(size, minimum)``. The scale factor ``s`` is then chosen
    so that ``sum(clip(s * size, first, size))`` equals `total`, and the values are
    rounded by the largest-remainder method. A total below the sum of the minimums gives
    the minimums, and a total above the population gives every item.

    Parameters
    ----------
    sizes : numpy.ndarray
        Number of items in each stratum.
    total : int
        Requested number of draws.
    minimum : int
        Draws from each stratum before the proportional allocation.

    Returns
    -------
    numpy.ndarray
        Draws per stratum, each between ``min(size, minimum)`` and ``size``.

    Examples
    --------
    >>> allocate(np.array([1000, 100, 10, 2]), 120, 5).tolist()
    [103, 10, 5, 2]
    """
    sizes = np.asarray(sizes, dtype=int)
    floor = np.minimum(sizes, minimum)
    if total >= sizes.sum():
        return sizes.copy()
    if total <= floor.sum():
        return floor

    low, high = 0.0, float(total) / max(1, sizes.min())
    for _ in range(100):
        middle = (low + high) / 2
        if np.clip(middle * sizes, floor, sizes).sum() < total:
            low = middle
        else:
            high = middle
    exact = np.clip(high * sizes, floor, sizes)
    counts = np.clip(np.floor(exact).astype(int), floor, sizes)
    remainder = total - counts.sum()
    order = np.lexsort((np.arange(len(sizes)), -(exact - counts)))
    for index in order:
        if remainder <= 0:
            break
        if counts[index] < sizes[index]:
            counts[index] += 1
            remainder -= 1
    return counts


def _confidence_bands(run: ReviewRun, decisions: pd.DataFrame) -> tuple[np.ndarray, dict]:
    """Band each decision by its score's distance from the run's decision threshold.

    The bands are the tertiles of that distance within each run. Where the plan states no
    threshold, it is estimated as the midpoint between the two decisions' scores.
    """
    bands = np.full(len(decisions), NO_SCORE, dtype=object)
    edges: dict[str, Any] = {}
    for name, rows in decisions.groupby("run", sort=False):
        position = np.flatnonzero((decisions["run"] == name).to_numpy())
        scores = rows["score"].to_numpy(float)
        if not np.isfinite(scores).any():
            edges[name] = None
            continue
        threshold = run.thresholds.get(name)
        if threshold is None:
            threshold = estimate_threshold(scores, rows["y_pred"].to_numpy())
        margin = np.abs(scores - threshold)
        finite = np.isfinite(margin)
        cuts = np.quantile(margin[finite], [1 / 3, 2 / 3])
        labels = np.array(BANDS, dtype=object)[np.searchsorted(cuts, margin[finite], side="right")]
        bands[position[finite]] = labels
        edges[name] = {"threshold": float(threshold), "margin_tertiles": [float(c) for c in cuts]}
    return bands, edges


def estimate_threshold(scores: np.ndarray, y_pred: np.ndarray) -> float:
    """Estimate a decision threshold from scores where higher means the positive label.

    The midpoint between the highest score of a negative decision and the lowest of a
    positive one when they separate; otherwise the median score.
    """
    finite = np.isfinite(scores)
    positive, negative = scores[finite & (y_pred == 1)], scores[finite & (y_pred == 0)]
    if positive.size and negative.size and negative.max() <= positive.min():
        return float((negative.max() + positive.min()) / 2)
    # NOTE: with scores that do not separate the two decisions, the bands measure
    # distance from the median score, which indicates little about the model's confidence.
    return float(np.median(scores[finite]))
