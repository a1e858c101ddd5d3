"""The mitigation comparison of the loan demonstration.

It uses the data, split, features, approval model and hypotheses of `equilens.demo`, so
its baseline makes the same held-out decisions as the demonstration audit.
"""

from __future__ import annotations

from pathlib import Path

from sklearn.base import clone
from threadpoolctl import threadpool_limits

from equilens.audit import Progress
from equilens.demo import (
    LOAN_PLAN,
    SEED,
    load_loanapp,
    loan_features,
    split_loan_data,
    train_loan_model,
)
from equilens.mitigate._compare import run_mitigation
from equilens.mitigate._result import MitigationResult
from equilens.mitigate._spec import MitigationSpec
from equilens.plan import parse_plan

INTENDED_USE = (
    "Demonstration only: approval decisions on the 1990 Boston mortgage applications of the "
    "Munnell et al. (1996) data. It shows how equilens compares mitigations; it is not a "
    "credit model for any lender or period."
)


def run_loan_mitigation(out_dir: str | Path, progress: Progress | None = None) -> MitigationResult:
    """Compare mitigations of the demonstration's loan model and write them to `out_dir`.

    The baseline is the demonstration's gradient-boosting model on its stratified 70%
    training split; the held-out 30% judge every candidate against the demonstration's
    hypotheses. The candidates constrain race, the attribute whose hypotheses the
    baseline fails. Exponentiated gradient and grid search fit a logistic regression,
    because they refit their estimator dozens of times.

    Parameters
    ----------
    out_dir : path
        Folder that receives mitigation.json, mitigation.html, summary.md and, with a
        recommendation, model.skops and model_card.md; ``equilens demo`` passes
        ``DIR/loan/mitigation``.
    progress : callable, optional
        Called with the name of each step as it starts.

    Returns
    -------
    MitigationResult
    """
    # The demo fits about 140 small models on 1,392 rows, where parallel work in the
    # OpenMP and BLAS thread pools gains little. On a busy machine the threads wait on
    # each other instead: on a 2-core VM at load average 3, the whole comparison took 39 s
    # with the default thread pools and 18 s with one thread.
    with threadpool_limits(limits=1):
        return _compare_loan_mitigations(out_dir, progress)


def _compare_loan_mitigations(out_dir: str | Path, progress: Progress | None) -> MitigationResult:
    step = progress or (lambda name: None)
    step("Loading the mortgage-application data")
    data = load_loanapp()
    features = loan_features(data)
    predictor, _ = train_loan_model(data)
    data = data.assign(y_true=data["approve"].astype(int), row_id=data.index.to_numpy())
    train, test = split_loan_data(data)

    spec = MitigationSpec(
        features=features,
        reduction_estimator="logistic_regression",
        sensitive_features=["race"],
        utility={"measure": "balanced_accuracy"},
        seed=SEED,
        intended_use=INTENDED_USE,
    )
    plan = parse_plan(
        {key: value for key, value in LOAN_PLAN.items() if key != "data"}
        | {"mitigation": spec.model_dump(mode="json", exclude_none=True)}
    )
    return run_mitigation(
        plan,
        test,
        training_data=train,
        estimator=clone(predictor.estimator),
        out_dir=out_dir,
        progress=progress,
    )
