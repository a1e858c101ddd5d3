"""Fitting the baseline and every candidate, and judging them on held-out rows."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone

from equilens.errors import ModelError, PlanError
from equilens.mitigate._data import MitigationData, prepare_data
from equilens.mitigate._estimators import (
    MitigatedModel,
    build_estimator,
    build_mitigator,
    check_scores,
)
from equilens.mitigate._evaluate import (
    audit_decisions,
    evaluation_plan,
    fairness_entries,
    utility_entries,
)
from equilens.mitigate._recommend import BASELINE, frontier, recommend, unmet
from equilens.mitigate._result import CandidateResult, MitigationResult
from equilens.mitigate._spec import CandidateSpec, MitigationSpec
from equilens.plan import AuditPlan

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
# Errors a mitigator raises when it cannot fit the data it is given (for example a group
# with a single label under an error-rate constraint). The candidate is reported as failed
# with the message instead of stopping the comparison.
FIT_ERRORS = (ValueError, ArithmeticError, np.linalg.LinAlgError)


def run_mitigation(
    plan: AuditPlan,
    data: Any = None,
    *,
    training_data: Any = None,
    spec: MitigationSpec | None = None,
    estimator: Any = None,
    out_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> MitigationResult:
    """Compare mitigations of a model on held-out rows against the plan's hypotheses.

    The baseline and every candidate are fitted on the training rows. Their held-out
    decisions are audited with the plan's groups, hypotheses and bootstrap settings, and
    the same engine estimates their utility with intervals.

    Parameters
    ----------
    plan : AuditPlan
        The audit plan; its hypotheses are the fairness requirements.
    data : dataframe, optional
        Rows to split (or to hold out whole, with training data); read from ``plan.data``
        when omitted.
    training_data : dataframe, optional
        Training rows; overrides ``spec.training_data``.
    spec : MitigationSpec, optional
        The comparison; defaults to ``plan.mitigation``.
    estimator : classifier, optional
        Unfitted scikit-learn classifier of the baseline and the candidates; overrides
        ``spec.estimator``. Its ``fit`` must accept ``sample_weight`` for reweighing.
    out_dir : path, optional
        Write the outputs there (see `MitigationResult.write`).
    progress : callable, optional
        Called with the name of each step as it starts.

    Returns
    -------
    MitigationResult

    Raises
    ------
    PlanError
        When the plan has no hypotheses or no mitigation section.
    ModelError
        When a candidate needs scores that the estimator does not produce.
    DataError
        When a held-out group has no training rows, or a column is missing.
    """
    step = progress or (lambda name: None)
    spec = spec or getattr(plan, "mitigation", None)
    if spec is None:
        raise PlanError(
            "The plan has no 'mitigation' section; add one (see docs/mitigation.md) or pass "
            "spec= to run_mitigation."
        )
    if not plan.hypotheses:
        raise PlanError(
            f"Plan {plan.name!r} has no hypotheses, so there is nothing to optimise the "
            f"mitigations against. Add at least one hypothesis, e.g. the four-fifths rule: "
            f"metric: selection_rate, comparison: ratio, operator: '>=', threshold: 0.8."
        )
    audit_plan = evaluation_plan(plan)
    seed = plan.seed if spec.seed is None else spec.seed

    plan_model = _plan_model(plan, spec)
    base = estimator
    if base is None:
        base = build_estimator(spec.estimator, seed=seed, plan_model=plan_model)
    reduction_base = base
    if spec.reduction_estimator is not None:
        reduction_base = build_estimator(spec.reduction_estimator, seed=seed, plan_model=plan_model)
    for candidate in spec.candidates:
        check_scores(candidate, base)

    step("Reading and splitting the data")
    data = prepare_data(plan, spec, data=data, training_data=training_data, seed=seed)
    protected = [attribute.model_dump(mode="json") for attribute in data.sensitive]

    entries: list[tuple[str, CandidateSpec | None, Any]] = [(BASELINE, None, base)]
    for candidate in spec.candidates:
        mitigator = build_mitigator(
            candidate,
            estimator=base,
            reduction_estimator=reduction_base,
            privileged_group=data.privileged,
            utility_measure=spec.utility.measure,
            seed=seed,
        )
        entries.append((candidate.label, candidate, mitigator))

    held_out = np.sort(np.concatenate([test for _, test in data.splits]))
    results = []
    for name, candidate, estimator_ in entries:
        step(f"Fitting and auditing {name}")
        model = MitigatedModel(
            estimator_,
            features=data.features,
            protected=protected,
            sensitive_at_fit=candidate is not None,
            random_state=seed,
        )
        results.append(
            _evaluate_candidate(name, candidate, model, data, held_out, audit_plan, spec, seed)
        )

    measure = spec.utility.measure
    for result in results:
        result.unmet = unmet(result.to_dict(), strict=spec.strict) if result.status == "ok" else []
        result.meets_all = result.status == "ok" and not result.unmet
    mappings = [result.to_dict() for result in results]
    hypothesis_ids = list(results[0].fairness)
    fronts = {h: frontier(mappings, h, measure) for h in hypothesis_ids}
    for result in results:
        result.frontier = [h for h in hypothesis_ids if result.name in fronts[h]]
    recommendation = recommend(
        [r.to_dict() for r in results],
        measure=measure,
        strict=spec.strict,
        allow_group_aware=spec.allow_group_aware_decisions,
    )

    mitigation = MitigationResult(
        plan=plan,
        spec=spec,
        data=data,
        run=_run_record(plan, spec, data, base, reduction_base, seed, held_out),
        candidates=results,
        recommendation=recommendation,
    )
    if out_dir is not None:
        step("Writing the mitigation report")
        mitigation.write(out_dir)
    return mitigation


def _plan_model(plan: AuditPlan, spec: MitigationSpec) -> Any:
    """Load the plan's model file when an estimator spec requests a copy of it."""
    kinds = {spec.estimator.kind}
    if spec.reduction_estimator is not None:
        kinds.add(spec.reduction_estimator.kind)
    if "plan_model" not in kinds or plan.model is None:
        return None
    from equilens.models.tabular import load_sklearn_model

    return load_sklearn_model(plan.model.path, trusted=plan.model.trusted)


def _evaluate_candidate(
    name: str,
    candidate: CandidateSpec | None,
    model: MitigatedModel,
    data: MitigationData,
    held_out: np.ndarray,
    audit_plan: AuditPlan,
    spec: MitigationSpec,
    seed: int,
) -> CandidateResult:
    method = candidate.method if candidate else BASELINE
    constraint = candidate.constraint if candidate else None
    decisions = np.zeros(len(data.rows), dtype=np.int8)
    started = time.perf_counter()
    fitted = None
    try:
        with warnings.catch_warnings():
            # fairlearn 0.15 sets Series values in ways pandas deprecates; the warnings
            # concern fairlearn's code, not the caller's.
            warnings.filterwarnings("ignore", message="Setting a value on a Series via .at")
            warnings.filterwarnings("ignore", message="Setting an item of incompatible dtype")
            for train, test in data.splits:
                fitted = clone(model).fit(data.rows.iloc[train], data.y[train])
                decisions[test] = fitted.predict(data.rows.iloc[test])
    except FIT_ERRORS as error:
        if candidate is None:
            raise ModelError(
                f"The baseline estimator could not be fitted on the training rows: {error}. "
                f"Check the features and mitigation.estimator."
            ) from error
        logger.warning("candidate %s could not be fitted: %s", name, error)
        return CandidateResult(
            name, method, constraint, "failed", reason=f"{type(error).__name__}: {error}"
        )
    seconds = time.perf_counter() - started

    level = audit_plan.confidence_level
    audit = audit_decisions(
        audit_plan, data.rows.iloc[held_out], data.y[held_out], decisions[held_out], name=name
    )
    utility = utility_entries(
        data.y[held_out],
        decisions[held_out],
        spec.utility,
        level=level,
        replicates=audit_plan.bootstrap_replicates,
        seed=seed,
    )
    return CandidateResult(
        name,
        method,
        constraint,
        "ok",
        utility=utility,
        fairness=fairness_entries(audit),
        uses_groups_at_prediction=fitted.uses_groups_at_prediction,
        randomised=fitted.randomised,
        fit_seconds=seconds,
        audit=audit,
        # With folds the last fold's fit is no model of all rows; the writer refits.
        model=fitted if len(data.splits) == 1 else None,
        template=model,
    )


def _estimator_record(estimator: Any) -> dict[str, Any]:
    """Describe a classifier by its class and scalar parameters (a pipeline by its steps)."""
    steps = getattr(estimator, "steps", None)
    if steps:
        return {
            "class": type(estimator).__name__,
            "steps": [{"name": name, **_estimator_record(step)} for name, step in steps],
        }
    params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    shown = {
        key: value
        for key, value in params.items()
        if isinstance(value, int | float | str | bool) or value is None
    }
    return {"class": type(estimator).__name__, "params": shown}


def _run_record(
    plan: AuditPlan,
    spec: MitigationSpec,
    data: MitigationData,
    base: Any,
    reduction_base: Any,
    seed: int,
    held_out: np.ndarray,
) -> dict[str, Any]:
    from equilens.result import provenance

    record = provenance(
        plan,
        digest=data.data_sha256,
        n_rows=len(held_out),
        model_kind="mitigation",
        model_id="baseline and candidates",
    )
    train_rows = len(data.splits[0][0]) if len(data.splits) == 1 else len(data.rows)
    record.update(
        {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": seed,
            "evaluation": data.evaluation,
            "folds": spec.folds,
            "n_train": train_rows,
            "n_test": len(held_out),
            "features": data.features,
            "sensitive_features": [attribute.name for attribute in data.sensitive],
            "privileged": data.privileged,
            "estimator": _estimator_record(base),
            "reduction_estimator": _estimator_record(reduction_base),
            "utility_measure": spec.utility.measure,
            "strict": spec.strict,
            "mitigation": spec.model_dump(mode="json", exclude_none=True),
        }
    )
    return record
