"""Judging one candidate's held-out decisions: utility and the plan's hypotheses.

Both go through equilens's own engine, so a candidate's numbers and intervals are the ones
an audit of its decisions would report. `run_audit` judges the hypotheses on the held-out
rows, and the same count bootstrap over a single group gives the utility measures.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pandas as pd

from equilens.audit import run_audit
from equilens.engines import EncodedAttribute, count_groups
from equilens.errors import PlanError
from equilens.metrics import METRICS
from equilens.metrics.table import estimate_grouping
from equilens.mitigate._spec import UtilitySpec
from equilens.plan import AuditPlan, Prediction
from equilens.result import AuditResult
from equilens.stats.intervals import percentile_interval

DECISION_COLUMN = "equilens_mitigation_decision"
RATE_MEASURES = ("accuracy", "balanced_accuracy", "selection_rate")


def evaluation_plan(plan: AuditPlan) -> AuditPlan:
    """Return the plan that audits a candidate's 0/1 decisions on the held-out rows.

    Raises
    ------
    PlanError
        When a hypothesis is about a score metric, which the candidates cannot share:
        several of them output decisions without scores.
    """
    scored = [h.id or h.metric for h in plan.hypotheses if METRICS[h.metric].needs_score]
    if scored:
        raise PlanError(
            f"Hypotheses {scored} are about scores (auc or mean_score), but mitigations are "
            f"compared on their decisions, and several produce no scores. Remove them from "
            f"the plan used for mitigation."
        )
    metrics = plan.metrics
    if metrics is not None:
        metrics = [name for name in metrics if not METRICS[name].needs_score]
    updates: dict[str, Any] = {
        "data": None,
        "model": None,
        "prediction": Prediction(column=DECISION_COLUMN, favorable_label=1),
        "favorable_label": 1,
        "metrics": metrics,
        "mitigation": None,
    }
    return plan.model_copy(update={k: v for k, v in updates.items() if k in AuditPlan.model_fields})


def audit_decisions(
    plan: AuditPlan, rows: pd.DataFrame, y_true: np.ndarray, decisions: np.ndarray, *, name: str
) -> AuditResult:
    """Audit one candidate's held-out decisions with the plan's groups and hypotheses.

    Parameters
    ----------
    plan : AuditPlan
        A plan from `evaluation_plan`.
    rows : pandas.DataFrame
        Held-out rows with the protected columns.
    y_true, decisions : ndarray
        Actual outcomes and decisions, 1 for favorable.
    name : str
        Candidate name, recorded as the model id.
    """
    columns = {attribute.source_column for attribute in plan.protected}
    frame = rows[sorted(columns)].copy()
    frame[plan.target] = np.asarray(y_true, dtype=np.int8)
    frame[DECISION_COLUMN] = np.asarray(decisions, dtype=np.int8)
    frame["row_id"] = rows["row_id"].to_numpy() if "row_id" in rows else rows.index.to_numpy()
    audited = plan.model_copy(
        update={"prediction": plan.prediction.model_copy(update={"model_id": name})}
    )
    return run_audit(audited, frame)


def fairness_entries(result: AuditResult) -> dict[str, dict[str, Any]]:
    """Return each hypothesis's effect (the worst group's comparison) with its verdict."""
    entries = {}
    for finding in result.findings:
        hypothesis = finding.hypothesis
        entries[finding.id] = {
            **finding.effect.to_dict(),
            "group": list(finding.effect_group) if finding.effect_group else None,
            "metric": hypothesis.metric,
            "comparison": hypothesis.comparison,
            "operator": hypothesis.resolved_operator,
            "threshold": hypothesis.threshold,
            "verdict": finding.verdict,
            "p_adjusted": finding.p_adjusted,
        }
    return entries


def utility_entries(
    y_true: np.ndarray,
    decisions: np.ndarray,
    spec: UtilitySpec,
    *,
    level: float,
    replicates: int,
    seed: int,
) -> dict[str, dict[str, Any]]:
    """Return accuracy, balanced accuracy, selection rate, favorable decisions and, with
    outcome values, the expected value per decision, each with its interval.

    The rates come from the audit engine's estimate for one group of every row. The count
    of favorable decisions is the selection rate times the fixed number of rows, so its
    interval is the rate's interval scaled. The expected value's interval is a percentile
    bootstrap of multinomial draws on the four confusion counts, the engine's method.
    """
    y_true = np.asarray(y_true, dtype=np.int8)
    decisions = np.asarray(decisions, dtype=np.int8)
    n = len(y_true)
    everyone = EncodedAttribute("all rows", np.zeros(n, dtype=np.int64), ["all"])
    counts = count_groups([everyone], y_true, decisions, groupings=[("all rows",)])
    table = estimate_grouping(
        counts[("all rows",)], list(RATE_MEASURES), level=level, replicates=replicates, seed=seed
    )
    entries = {name: table.estimates[name][0].to_dict() for name in RATE_MEASURES}

    rate = entries["selection_rate"]
    entries["favorable_decisions"] = {
        "value": int(decisions.sum()),
        "ci": [bound * n for bound in rate["ci"]] if rate.get("ci") else None,
        "ci_method": rate.get("ci_method"),
        "n": n,
    }
    if spec.values is not None:
        entries["expected_value"] = _expected_value(
            y_true, decisions, spec, level=level, replicates=replicates, seed=seed
        )
    return entries


def _expected_value(
    y_true: np.ndarray,
    decisions: np.ndarray,
    spec: UtilitySpec,
    *,
    level: float,
    replicates: int,
    seed: int,
) -> dict[str, Any]:
    values = spec.values
    # Cells in the order tn, fp, fn, tp.
    payoff = np.array(
        [values.true_negative, values.false_positive, values.false_negative, values.true_positive]
    )
    cells = np.bincount(2 * y_true + decisions, minlength=4)
    n = int(cells.sum())
    value = float(cells @ payoff / n)
    rng = np.random.default_rng([seed, zlib.crc32(b"expected_value")])
    draws = rng.multinomial(n, cells / n, size=replicates)
    lower, upper = percentile_interval(draws @ payoff / n, level=level)
    if not lower < upper:
        return {"value": value, "ci": None, "ci_reason": "bootstrap distribution degenerate"}
    return {"value": value, "ci": [float(lower), float(upper)], "ci_method": "bootstrap"}
