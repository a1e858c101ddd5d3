"""`MitigationSpec`: the plan section that declares a mitigation comparison.

At import time this module loads only pydantic and the standard library, because
`equilens.plan` imports it while the plan module itself is still loading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MethodName = Literal[
    "reweighing",
    "correlation_remover",
    "exponentiated_gradient",
    "grid_search",
    "threshold_optimizer",
    "reject_option",
]
ConstraintName = Literal["demographic_parity", "equalized_odds", "true_positive_rate_parity"]
EstimatorKind = Literal["logistic_regression", "hist_gradient_boosting", "plan_model"]
UtilityMeasure = Literal["accuracy", "balanced_accuracy", "selection_rate", "expected_value"]

METHODS: tuple[str, ...] = MethodName.__args__
CONSTRAINTS: tuple[str, ...] = ConstraintName.__args__
# Methods that optimise against a fairness constraint and so need one.
CONSTRAINED_METHODS = (
    "exponentiated_gradient",
    "grid_search",
    "threshold_optimizer",
    "reject_option",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EstimatorSpec(_Strict):
    """A scikit-learn classifier that equilens builds and fits.

    Parameters
    ----------
    kind : {"logistic_regression", "hist_gradient_boosting", "plan_model"}
        ``logistic_regression`` imputes missing values with the median and standardises
        the features first. ``hist_gradient_boosting`` handles missing values itself.
        ``plan_model`` refits an unfitted copy of the estimator in the plan's model file.
    params : dict
        Keyword arguments of the classifier, e.g. ``{"max_iter": 200}``. For
        ``plan_model``, they are parameters to change on the copy.
    """

    kind: EstimatorKind = "logistic_regression"
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"kind": value} if isinstance(value, str) else value


class CandidateSpec(_Strict):
    """One mitigation to compare with the baseline.

    Parameters
    ----------
    method : str
        ``reweighing``, ``correlation_remover``, ``exponentiated_gradient``,
        ``grid_search``, ``threshold_optimizer`` or ``reject_option``.
    constraint : {"demographic_parity", "equalized_odds", "true_positive_rate_parity"}, optional
        Fairness constraint of the methods that optimise against one; required for them
        and not allowed for the others.
    name : str, optional
        Name in the outputs; defaults to ``method`` or ``method:constraint``.
    params : dict
        Further keyword arguments of the mitigator, e.g. ``{"eps": 0.02}`` for
        exponentiated gradient or ``{"alpha": 0.5}`` for the correlation remover.

    A string ``"method"`` or ``"method:constraint"`` is read as the same candidate.
    """

    method: MethodName
    constraint: ConstraintName | None = None
    name: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        method, _, constraint = value.partition(":")
        return {"method": method.strip(), "constraint": constraint.strip() or None}

    @model_validator(mode="after")
    def _check_constraint(self) -> CandidateSpec:
        if self.method in CONSTRAINED_METHODS and self.constraint is None:
            raise ValueError(
                f"method {self.method!r} needs a constraint; give one of {list(CONSTRAINTS)}, "
                f"e.g. '{self.method}:demographic_parity'"
            )
        if self.method not in CONSTRAINED_METHODS and self.constraint is not None:
            raise ValueError(
                f"method {self.method!r} takes no constraint, but {self.constraint!r} was "
                f"given; remove it"
            )
        return self

    @property
    def label(self) -> str:
        """Return the candidate's name in the outputs."""
        if self.name:
            return self.name
        return f"{self.method}:{self.constraint}" if self.constraint else self.method


class OutcomeValues(_Strict):
    """The business value of each kind of decision, for the ``expected_value`` measure.

    Parameters
    ----------
    true_positive, false_positive, false_negative, true_negative : float
        Value of one decision of each kind, e.g. the margin of a repaid loan for a true
        positive and the loss of a default for a false positive. The favorable label is
        the positive class.
    """

    true_positive: float = 0.0
    false_positive: float = 0.0
    false_negative: float = 0.0
    true_negative: float = 0.0


class UtilitySpec(_Strict):
    """The utility measure that the recommendation trades against fairness.

    Parameters
    ----------
    measure : {"accuracy", "balanced_accuracy", "selection_rate", "expected_value"}
        ``selection_rate`` is the share of favorable decisions (the approval volume);
        ``expected_value`` is the mean value of a decision under `values`.
    values : OutcomeValues, optional
        Value of each kind of decision; required for ``expected_value``.
    """

    measure: UtilityMeasure = "balanced_accuracy"
    values: OutcomeValues | None = None

    @model_validator(mode="after")
    def _check_values(self) -> UtilitySpec:
        if self.measure == "expected_value" and self.values is None:
            raise ValueError(
                "measure 'expected_value' needs 'values': the value of a true_positive, "
                "false_positive, false_negative and true_negative decision"
            )
        return self


def default_candidates() -> list[CandidateSpec]:
    """Return every method, the constrained ones once per constraint they support."""
    candidates = [CandidateSpec(method="reweighing"), CandidateSpec(method="correlation_remover")]
    for method in ("exponentiated_gradient", "grid_search", "threshold_optimizer"):
        candidates += [CandidateSpec(method=method, constraint=c) for c in CONSTRAINTS]
    candidates.append(CandidateSpec(method="reject_option", constraint="demographic_parity"))
    return candidates


class MitigationSpec(_Strict):
    """How to compare mitigations of a model against the plan's hypotheses.

    The baseline and every candidate are fitted on training rows and judged on held-out
    rows by the same audit as the plan's.

    Parameters
    ----------
    training_data : Path, optional
        A CSV, TSV, Parquet or JSON Lines file of training rows; the plan's data is then
        the held-out set. A relative path is resolved against the folder of the plan file.
        Without it the plan's data is split.
    test_size : float
        Share of the plan's data held out when there is no `training_data` and no `folds`.
    stratify : list of str, optional
        Columns to stratify the split on; defaults to the target and the columns of the
        sensitive features.
    folds : int, optional
        Evaluate by k-fold cross-validation instead of one split: each row is predicted
        once by the candidates fitted on the other folds. The exported model is then
        refitted on every row.
    features : list of str, optional
        Feature columns; defaults to the plan's ``model.features``, else every column
        except the target, the protected columns, the prediction columns and ``row_id``.
    estimator : EstimatorSpec
        Classifier of the baseline and of every candidate except the reductions.
    reduction_estimator : EstimatorSpec, optional
        Classifier that exponentiated gradient and grid search fit many times; defaults
        to `estimator`.
    sensitive_features : list of str, optional
        Protected attributes the mitigations constrain; defaults to every attribute named
        by a hypothesis. Several attributes are combined into intersectional groups.
    candidates : list of CandidateSpec
        Mitigations to compare; defaults to every method with every constraint it supports.
    utility : UtilitySpec
        Measure of utility the recommendation keeps as high as possible.
    seed : int, optional
        Seed of the split, the estimators and the randomised predictions; defaults to the
        plan's seed.
    strict : bool
        Count an inconclusive hypothesis as not met; by default only a failed one is.
    allow_group_aware_decisions : bool
        Let the recommendation choose a candidate that reads the protected attribute when
        it decides (threshold optimizer, reject-option classification). Off by default:
        using race or sex in each decision is disparate treatment under US fair-lending
        law, so such candidates are compared and shown but not recommended.
    intended_use : str, optional
        Intended use written into the model card.
    """

    training_data: Path | None = None
    test_size: float = Field(default=0.3, gt=0.0, lt=1.0)
    stratify: list[str] | None = None
    folds: int | None = Field(default=None, ge=2)
    features: list[str] | None = None
    estimator: EstimatorSpec = Field(default_factory=EstimatorSpec)
    reduction_estimator: EstimatorSpec | None = None
    sensitive_features: list[str] | None = None
    candidates: list[CandidateSpec] = Field(default_factory=default_candidates, min_length=1)
    utility: UtilitySpec = Field(default_factory=UtilitySpec)
    seed: int | None = None
    strict: bool = False
    allow_group_aware_decisions: bool = False
    intended_use: str | None = None

    @model_validator(mode="after")
    def _check(self) -> MitigationSpec:
        if self.training_data is not None and self.folds is not None:
            raise ValueError(
                "give 'training_data' (a separate training file) or 'folds' "
                "(cross-validation on the plan's data), not both"
            )
        names = [candidate.label for candidate in self.candidates]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"candidate names must be unique; repeated: {repeated}. Give each a 'name'"
            )
        if "baseline" in names:
            raise ValueError(
                "'baseline' is the name of the unmitigated model; give the candidate another name"
            )
        return self
