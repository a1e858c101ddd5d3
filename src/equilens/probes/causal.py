"""Causal counterfactual fairness of a tabular model with DoWhy's graphical causal models.

A decision is counterfactually fair when it would be the same had the person belonged to
another group, with everything the attribute causes changing along with it (Kusner et
al., 2017, "Counterfactual fairness", NeurIPS). Given a causal graph over the columns,
the probe fits a structural causal model with ``dowhy.gcm``, computes each row's
counterfactual under do(attribute = another group's value) by abduction, action and
prediction (``gcm.counterfactual_samples``), predicts again and compares. Needs the
``causal`` extra (dowhy).
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from equilens.errors import DataError, EquilensError, did_you_mean
from equilens.probes._model import (
    MISSING_LABEL,
    as_predictor,
    predict_counterfactuals,
    predict_rows,
    protected_columns,
)
from equilens.probes._paired import adjust_results, cell_rng, compare_paired
from equilens.stats.intervals import percentile_interval

logger = logging.getLogger(__name__)


def causal_counterfactuals(
    data: pd.DataFrame,
    model: Any,
    protected: Mapping[str, str] | Sequence[str],
    *,
    edges: Sequence[tuple[str, str]],
    labels: Mapping[str, Any] | None = None,
    mechanisms: str = "auto",
    favorable_label: Any = 1,
    level: float = 0.95,
    refits: int = 100,
    seed: int = 0,
    multiple_testing: str = "benjamini-hochberg",
    missing_label: str = MISSING_LABEL,
) -> dict[str, Any]:
    """Measure the counterfactual-fairness gap of each group under a causal graph.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows to probe, with the model's features and every column of the graph. The
        mechanisms are fitted on these rows.
    model : object
        A `Predictor`, a fitted scikit-learn estimator or a callable mapping a frame to
        labels.
    protected : mapping of str to str, or sequence of str
        Attributes to intervene on: name to column, or columns named as their attribute.
        Each column must be a node of the graph.
    edges : sequence of (cause, effect)
        The causal graph over columns; it must be acyclic.
    labels : mapping of str to array-like, optional
        Group label of each row per attribute; defaults to the column's values as text.
    mechanisms : {"auto", "linear"}
        ``auto``: DoWhy assigns each node's model; ``linear``: an additive-noise model with
        linear regression for each node with parents, the empirical distribution for roots.
    favorable_label, level, seed, multiple_testing, missing_label
        As in `equilens.probes.flip_test`.
    refits : int
        Bootstrap replicates of the whole estimate: rows resampled, mechanisms fitted
        again, counterfactuals and decisions recomputed. Their percentiles are the
        intervals, so that the error of the fitted mechanisms is part of them.

    Returns
    -------
    dict
        ``edges``, ``mechanisms`` (the model fitted for each node), ``assumption``,
        ``dropped_rows``, ``results`` and ``failures``. A result covers one attribute,
        group and counterfactual group, with the fields of the flip test and the
        counterfactual-fairness ``gap``: the mean score change, or the selection-rate
        change for a model without scores. Intervals come from `refits`, while the exact
        McNemar test treats the fitted mechanisms as known.

    Raises
    ------
    DataError
        When a graph column is not in the data, an attribute is not a node, a node with
        parents is not numeric, or an attribute has a single group.
    EquilensError
        When dowhy is not installed.
    """
    gcm = _import_gcm()
    predictor = as_predictor(model, favorable_label)
    nodes = list(dict.fromkeys(node for edge in edges for node in edge))
    _check_graph(data, nodes, edges, protected)

    frame = data.reset_index(drop=True)
    complete = frame[nodes].notna().all(axis=1).to_numpy()
    frame = frame.loc[complete].reset_index(drop=True)
    if labels is not None:
        labels = {
            name: np.asarray(values, dtype=object)[complete] for name, values in labels.items()
        }
    attributes = protected_columns(frame, protected, labels, missing_label=missing_label)

    scm = _fit_scm(gcm, frame[nodes], edges, mechanisms=mechanisms, seed=seed)
    decision, score = predict_rows(predictor, frame, favorable_label)
    gap_name = "mean_score_change" if score is not None else "selection_rate_change"

    cells, results, failures = [], [], []
    for attribute in attributes:
        for group in attribute.groups:
            for target in attribute.groups:
                if target == group:
                    continue
                rows = attribute.rows(group)
                value = _intervention_value(
                    frame[attribute.column].to_numpy()[attribute.rows(target)]
                )
                cell = {"attribute": attribute.name, "group": group, "counterfactual_group": target}
                changed = _counterfactual_frame(
                    gcm, scm, frame, rows, nodes, attribute.column, value
                )
                predicted = predict_counterfactuals(
                    predictor, changed, favorable_label, cell=cell, failures=failures
                )
                if predicted is None:
                    continue
                cf_decision, cf_score = predicted
                comparison = compare_paired(
                    decision[rows],
                    cf_decision,
                    None if score is None else score[rows],
                    cf_score,
                    level=level,
                    replicates=0,
                    rng=cell_rng(seed, "causal", attribute.name, group, target),
                )
                cells.append((attribute, group, value))
                results.append({**cell, "gap_measure": gap_name, **comparison})

    draws = _refit_draws(
        gcm, scm, frame, nodes, cells, predictor, favorable_label, refits=refits, seed=seed
    )
    for result, cell_draws in zip(results, draws, strict=True):
        _set_refit_intervals(result, cell_draws, level=level)
        result["gap"] = result[gap_name]

    adjust_results(results, method=multiple_testing)
    return {
        "method": (
            "Structural causal model fitted with dowhy.gcm on the graph; each row's "
            "counterfactual under do(attribute = other group's value) comes from abduction of "
            "its noise terms, the intervention and prediction; the model then decides again."
        ),
        "edges": [list(edge) for edge in edges],
        "mechanisms": {node: str(scm.causal_mechanism(node)) for node in nodes},
        "assumption": (
            "The graph is complete: columns outside it keep their observed values, which "
            "assumes the protected attribute does not cause them."
        ),
        "rows": int(len(frame)),
        "refits": refits,
        "dropped_rows": int((~complete).sum()),
        "results": results,
        "failures": failures,
        "multiple_testing": multiple_testing,
    }


def _import_gcm():
    try:
        from dowhy import gcm
    except ImportError:
        raise EquilensError(
            "The causal probe needs dowhy, which is not installed; install the extra with "
            "pip install 'equilens[causal]', or remove 'causal' from probes.run."
        ) from None
    return gcm


def _check_graph(
    data: pd.DataFrame,
    nodes: list[str],
    edges: Sequence[tuple[str, str]],
    protected: Mapping[str, str] | Sequence[str],
) -> None:
    columns = [str(name) for name in data.columns]
    unknown = [node for node in nodes if node not in columns]
    if unknown:
        hints = "".join(did_you_mean(node, columns) for node in unknown)
        raise DataError(
            f"The causal graph names columns that are not in the data: {unknown}.{hints} "
            f"Correct probes.dag.edges; available columns: {columns[:30]}."
        )
    targets = dict(protected) if isinstance(protected, Mapping) else {c: c for c in protected}
    outside = {name: column for name, column in targets.items() if column not in nodes}
    if outside:
        raise DataError(
            f"Protected columns {sorted(outside.values())} are not nodes of the causal graph, "
            f"so there is nothing to intervene on. Add edges from them to the columns they "
            f"cause, or list only graph nodes in probes.dag.attributes."
        )
    children = {effect for _, effect in edges}
    for node in nodes:
        if node in children and not pd.api.types.is_numeric_dtype(data[node]):
            raise DataError(
                f"Column {node!r} has causes in the graph but is not numeric. Abduction needs "
                f"an invertible (additive-noise) mechanism for every node with parents, which "
                f"DoWhy offers only for numeric columns: encode {node!r} as numbers, or make "
                f"it a root of the graph."
            )


def _fit_scm(gcm, node_data: pd.DataFrame, edges, *, mechanisms: str, seed: int):
    import networkx as nx

    scm = gcm.InvertibleStructuralCausalModel(nx.DiGraph(list(edges)))
    with _quiet(gcm, seed):
        if mechanisms == "linear":
            for node in scm.graph.nodes:
                if scm.graph.in_degree(node) == 0:
                    scm.set_causal_mechanism(node, gcm.EmpiricalDistribution())
                else:
                    regressor = gcm.ml.create_linear_regressor()
                    scm.set_causal_mechanism(node, gcm.AdditiveNoiseModel(regressor))
        else:
            gcm.auto.assign_causal_mechanisms(scm, node_data)
        gcm.fit(scm, node_data)
    return scm


def _counterfactual_frame(
    gcm, scm, frame: pd.DataFrame, rows: np.ndarray, nodes: list[str], column: str, value: Any
) -> pd.DataFrame:
    """Return the rows with every graph column replaced by its counterfactual under
    do(column = value)."""
    observed = frame.iloc[rows][nodes].reset_index(drop=True)
    with threadpool_limits(limits=1, user_api="openmp"):
        counterfactual = gcm.counterfactual_samples(
            scm, {column: lambda current: value}, observed_data=observed
        )
    changed = frame.iloc[rows].copy()
    for node in nodes:
        changed[node] = counterfactual[node].to_numpy()
    return changed


def _refit_draws(
    gcm, scm, frame, nodes, cells, predictor, favorable_label, *, refits: int, seed: int
) -> list[np.ndarray]:
    """Return, per cell, the (refits, 3) flip rate, selection-rate change and mean score
    change of each bootstrap refit; NaN where a resample lacks the group or the model
    failed."""
    draws = [np.full((refits, 3), np.nan) for _ in cells]
    if not cells:
        return draws
    rng = cell_rng(seed, "causal-refit")
    failed = 0
    for replicate in range(refits):
        drawn = rng.integers(0, len(frame), len(frame))
        sample = frame.iloc[drawn].reset_index(drop=True)
        refitted = gcm.InvertibleStructuralCausalModel(scm.graph.copy())
        for node in nodes:
            refitted.set_causal_mechanism(node, scm.causal_mechanism(node).clone())
        with _quiet(gcm, seed + replicate):
            gcm.fit(refitted, sample[nodes])
        for index, (attribute, group, value) in enumerate(cells):
            rows = np.flatnonzero(attribute.labels[drawn] == group)
            if rows.size == 0:
                continue
            changed = _counterfactual_frame(
                gcm, refitted, sample, rows, nodes, attribute.column, value
            )
            try:
                decision, score = predict_rows(predictor, sample.iloc[rows], favorable_label)
                cf_decision, cf_score = predict_rows(predictor, changed, favorable_label)
            except Exception as error:  # any failure of the user's model is reported
                failed += 1
                logger.debug("model failed in refit %d: %s", replicate, error)
                continue
            draws[index][replicate, 0] = np.mean(decision != cf_decision)
            draws[index][replicate, 1] = np.mean(cf_decision.astype(float) - decision)
            if score is not None and cf_score is not None:
                draws[index][replicate, 2] = np.mean(cf_score - score)
    if failed:
        logger.warning("the model failed on %d refit counterfactual batches", failed)
    return draws


def _set_refit_intervals(result: dict[str, Any], draws: np.ndarray, *, level: float) -> None:
    for column, name in enumerate(("flip_rate", "selection_rate_change", "mean_score_change")):
        estimate = result[name]
        if estimate.get("value") is None:
            continue
        values = draws[:, column]
        values = values[~np.isnan(values)]
        estimate.pop("ci_reason", None)
        if values.size < 2:
            estimate.update(ci=None, ci_reason="fewer than two bootstrap refits succeeded")
            estimate.pop("ci_method", None)
            continue
        lower, upper = percentile_interval(values, level=level)
        estimate.update(ci=[float(lower), float(upper)], ci_method="refit_bootstrap")


def _intervention_value(target_values: np.ndarray) -> Any:
    """Return the value set by do(): the group's single raw value, or its median if numeric
    with several values (a bin), else its most frequent value."""
    present = pd.Series(target_values).dropna()
    if present.nunique() > 1 and pd.api.types.is_numeric_dtype(present):
        return float(present.median())
    return present.mode().iloc[0]


@contextlib.contextmanager
def _quiet(gcm, seed: int) -> Iterator[None]:
    """Seed DoWhy's random draws and hide its progress bars, restoring both afterwards.

    DoWhy draws from NumPy's and Python's global generators, so their states are saved
    and restored to leave the caller's random streams untouched. Mechanisms are fitted
    on one OpenMP thread, like the counterfactuals computed from them: the
    gradient-boosting regressors that ``auto`` may choose ran about 4 to 8 times faster
    that way on 600 rows on a busy 2-core VM.
    """
    # The legacy global generator is what DoWhy draws from, so it is the one to seed.
    numpy_state, python_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    progress = gcm.config.show_progress_bars
    gcm.config.disable_progress_bars()
    np.random.seed(seed)  # noqa: NPY002
    random.seed(seed)
    try:
        with threadpool_limits(limits=1, user_api="openmp"):
            yield
    finally:
        gcm.config.show_progress_bars = progress
        np.random.set_state(numpy_state)  # noqa: NPY002
        random.setstate(python_state)
