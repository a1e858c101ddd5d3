"""Building the baseline classifier and each candidate mitigation as estimators.

fairlearn's `ExponentiatedGradient`, `GridSearch` and `ThresholdOptimizer` are used
unchanged. `MitigatedModel` gives every candidate the same interface on a dataframe of
raw rows, so the comparison, the audit and the exported model call them alike.
"""

from __future__ import annotations

import copy
import inspect
import logging
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import (
    DemographicParity,
    EqualizedOdds,
    ExponentiatedGradient,
    GridSearch,
    TruePositiveRateParity,
)
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from equilens.errors import ModelError, PlanError
from equilens.mitigate._preprocessing import CorrelationRemoverClassifier, ReweighingClassifier
from equilens.mitigate._reject_option import RejectOptionClassifier
from equilens.mitigate._spec import CandidateSpec, EstimatorSpec

logger = logging.getLogger(__name__)

MOMENTS = {
    "demographic_parity": DemographicParity,
    "equalized_odds": EqualizedOdds,
    "true_positive_rate_parity": TruePositiveRateParity,
}
# Methods that read the scores of the classifier they post-process.
SCORE_METHODS = ("threshold_optimizer", "reject_option")
# fairlearn warns below 16 grid points; its own default is 10.
GRID_SIZE = 16
# Fitted fairlearn mitigators (fairlearn 0.15) keep training diagnostics as pandas
# objects (lambda vectors, trade-off curves), and their fitted moments (`constraints_`)
# hold the training rows. Predictions read none of them, and skops cannot store pandas
# objects, so the state of a `MitigatedModel` leaves them out. The pandas Series that
# predictions do read are stored as index and values.
MOMENT_ATTRIBUTES = ("constraints_",)
SERIES_ATTRIBUTES = {"ExponentiatedGradient": ("weights_", "predictors_", "_hs")}
PANDAS_TYPES = (pd.DataFrame, pd.Series, pd.Index)


def _holds_pandas(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_pandas(item) for item in value.values())
    return isinstance(value, PANDAS_TYPES)


class WeightedPipeline(Pipeline):
    """A `Pipeline` whose ``fit`` passes ``sample_weight`` to its last step.

    fairlearn's reductions and reweighing call ``fit(X, y, sample_weight=w)``, which a
    plain pipeline rejects unless scikit-learn's metadata routing is switched on globally.
    """

    def fit(self, X, y=None, sample_weight=None, **params):
        """Fit the steps, weighting the rows in the last one."""
        if sample_weight is not None:
            params[f"{self.steps[-1][0]}__sample_weight"] = sample_weight
        return super().fit(X, y, **params)


def build_estimator(spec: EstimatorSpec, *, seed: int, plan_model: Any = None) -> Any:
    """Return the unfitted classifier an `EstimatorSpec` declares.

    Parameters
    ----------
    spec : EstimatorSpec
        The declared classifier.
    seed : int
        ``random_state`` of the built-in classifiers.
    plan_model : estimator, optional
        The estimator loaded from the plan's model file, for ``kind: plan_model``; an
        unfitted copy is returned, a pipeline as a `WeightedPipeline`.

    Raises
    ------
    PlanError
        When `spec.params` contains an argument the classifier does not take, or
        ``plan_model`` is requested without a model.
    """
    try:
        if spec.kind == "plan_model":
            return _copy_plan_model(plan_model, spec.params)
        if spec.kind == "hist_gradient_boosting":
            return HistGradientBoostingClassifier(**{"random_state": seed, **spec.params})
        classifier = LogisticRegression(**{"max_iter": 1000, "random_state": seed, **spec.params})
    except (TypeError, ValueError) as error:
        raise PlanError(
            f"mitigation estimator {spec.kind!r} does not take the params {spec.params}: "
            f"{error}. Remove or rename the parameter."
        ) from None
    return WeightedPipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("classify", classifier),
        ]
    )


def _copy_plan_model(model: Any, params: dict[str, Any]) -> Any:
    if model is None:
        raise PlanError(
            "mitigation.estimator is 'plan_model', but the plan has no 'model' file to copy; "
            "add model.path or choose logistic_regression or hist_gradient_boosting."
        )
    copy_ = clone(model).set_params(**params)
    if isinstance(copy_, Pipeline) and not isinstance(copy_, WeightedPipeline):
        return WeightedPipeline(copy_.steps, memory=copy_.memory, verbose=copy_.verbose)
    return copy_


def check_scores(candidate: CandidateSpec, estimator: Any) -> None:
    """Raise `ModelError` when a candidate post-processes scores the estimator lacks.

    The threshold optimizer reads ``predict_proba`` or ``decision_function``; the
    reject-option classifier needs ``predict_proba``, because its band lies on the
    favorable-class probability.
    """
    if candidate.method not in SCORE_METHODS:
        return
    needed = ["predict_proba"]
    if candidate.method == "threshold_optimizer":
        needed.append("decision_function")
    if any(hasattr(estimator, name) for name in needed):
        return
    raise ModelError(
        f"Candidate {candidate.label!r} needs scores, but the estimator "
        f"{type(estimator).__name__} has no {' or '.join(needed)}. Remove "
        f"{candidate.label!r} from mitigation.candidates, or choose an estimator with "
        f"predict_proba (e.g. logistic_regression)."
    )


def build_mitigator(
    candidate: CandidateSpec,
    *,
    estimator: Any,
    reduction_estimator: Any,
    privileged_group: Any,
    utility_measure: str,
    seed: int,
) -> Any:
    """Return the unfitted mitigator of a candidate around the given classifiers.

    Raises
    ------
    ModelError
        When a method that post-processes scores gets a classifier without any.
    PlanError
        When `candidate.params` contains an argument the mitigator does not take.
    """
    method, constraint, params = candidate.method, candidate.constraint, dict(candidate.params)
    check_scores(candidate, estimator)
    try:
        if method == "reweighing":
            return ReweighingClassifier(estimator, **params)
        if method == "correlation_remover":
            return CorrelationRemoverClassifier(estimator, **params)
        if method == "exponentiated_gradient":
            return ExponentiatedGradient(reduction_estimator, MOMENTS[constraint](), **params)
        if method == "grid_search":
            params.setdefault("grid_size", GRID_SIZE)
            return GridSearch(reduction_estimator, MOMENTS[constraint](), **params)
        if method == "threshold_optimizer":
            accuracy = utility_measure == "accuracy"
            params.setdefault(
                "objective", "accuracy_score" if accuracy else "balanced_accuracy_score"
            )
            params.setdefault("predict_method", "auto")
            return ThresholdOptimizer(estimator=estimator, constraints=constraint, **params)
        return RejectOptionClassifier(
            estimator,
            **{
                "privileged_group": privileged_group,
                "constraint": constraint,
                "random_state": seed,
                **params,
            },
        )
    except TypeError as error:
        raise PlanError(
            f"Candidate {candidate.label!r} does not take the params {candidate.params}: "
            f"{error}. Remove or rename the parameter."
        ) from None


class MitigatedModel(ClassifierMixin, BaseEstimator):
    """A baseline or mitigated classifier that predicts from a dataframe of raw rows.

    It selects the feature columns, encodes the protected columns into group labels as
    the audit plan does (missing values form their own group), and passes the groups to
    the mitigator's ``fit`` and, where the mitigator needs them, its ``predict``.

    Parameters
    ----------
    estimator : estimator
        Unfitted classifier or mitigator.
    features : list of str
        Feature columns.
    protected : list of dict
        Protected attributes whose groups the mitigator uses, as plan entries
        (``ProtectedAttribute`` fields).
    sensitive_at_fit : bool
        Pass the groups to ``fit``; False for an unmitigated classifier.
    random_state : int, optional
        Seed of randomised predictions (exponentiated gradient, threshold optimizer).

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of `estimator`.
    classes_ : ndarray
        ``[0, 1]``; 1 is the favorable outcome.
    """

    def __init__(
        self,
        estimator,
        *,
        features: list[str],
        protected: list[dict[str, Any]],
        sensitive_at_fit: bool = True,
        random_state: int | None = None,
    ):
        self.estimator = estimator
        self.features = features
        self.protected = protected
        self.sensitive_at_fit = sensitive_at_fit
        self.random_state = random_state

    def sensitive_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Return the group label of each protected attribute for each row."""
        from equilens.data.columns import encode_attribute
        from equilens.plan import ProtectedAttribute

        columns = {}
        for entry in self.protected:
            spec = ProtectedAttribute.model_validate(entry)
            encoded = encode_attribute(rows[spec.source_column].to_numpy(), spec, policy="group")
            labels = np.asarray(encoded.attribute.labels, dtype=object)
            columns[spec.name] = labels[encoded.attribute.codes]
        return pd.DataFrame(columns, index=rows.index)

    def fit(self, rows: pd.DataFrame, y):
        """Fit a clone of the estimator on the rows' features (and groups)."""
        self.estimator_ = clone(self.estimator)
        inputs = rows[self.features]
        if self.sensitive_at_fit:
            self.estimator_.fit(inputs, y, sensitive_features=self.sensitive_frame(rows))
        else:
            self.estimator_.fit(inputs, y)
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Return 0/1 decisions for the rows, 1 being favorable."""
        check_is_fitted(self)
        keywords: dict[str, Any] = {}
        accepted = inspect.signature(self.estimator_.predict).parameters
        if "sensitive_features" in accepted:
            keywords["sensitive_features"] = self.sensitive_frame(rows)
        if "random_state" in accepted:
            keywords["random_state"] = self.random_state
        decisions = self.estimator_.predict(rows[self.features], **keywords)
        return np.asarray(decisions).astype(np.int8)

    def __getstate__(self) -> dict[str, Any]:
        """Return the state without the fitted mitigator's training-only attributes.

        The state is what pickle, `copy.deepcopy` and skops store, so a saved model
        contains no training rows and no pandas objects.
        """
        state = super().__getstate__()
        fitted = state.get("estimator_")
        if not type(fitted).__module__.startswith("fairlearn."):
            return state
        series = list(SERIES_ATTRIBUTES.get(type(fitted).__name__, ()))
        portable = copy.copy(fitted)
        for name, value in list(portable.__dict__.items()):
            if name in series:
                portable.__dict__[name] = {
                    "index": value.index.tolist(),
                    "values": value.tolist(),
                    "dtype": str(value.dtype),
                }
            elif name in MOMENT_ATTRIBUTES or _holds_pandas(value):
                del portable.__dict__[name]
        return {**state, "estimator_": portable, "_series_attributes": series}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a state from `__getstate__`, rebuilding its pandas Series."""
        state = dict(state)
        series = state.pop("_series_attributes", [])
        super().__setstate__(state)
        for name in series:
            stored = self.estimator_.__dict__[name]
            self.estimator_.__dict__[name] = pd.Series(
                stored["values"], index=stored["index"], dtype=stored["dtype"]
            )

    @property
    def uses_groups_at_prediction(self) -> bool:
        """Return whether predictions read the protected attributes."""
        estimator = getattr(self, "estimator_", self.estimator)
        return "sensitive_features" in inspect.signature(estimator.predict).parameters

    @property
    def randomised(self) -> bool:
        """Return whether predictions are drawn at random for some rows."""
        return isinstance(self.estimator, ExponentiatedGradient | ThresholdOptimizer)
