"""The audit plan: what to audit, against which groups, and which hypotheses to test.

A plan is declared before any number is computed, so that the hypotheses and thresholds
cannot be tuned to the results. It can be written in YAML or built in Python.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from equilens.errors import PlanError
from equilens.metrics import METRICS, canonical_metric_name
from equilens.mitigate._spec import MitigationSpec
from equilens.probes.spec import ProbeSpec

Scalar = str | int | float | bool

COMPARISONS = ("difference", "ratio", "max_minus_min", "min_over_max")
OPERATORS = (">=", "<=", "within")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DataSource(_Strict):
    """The source of the rows to audit.

    Parameters
    ----------
    path : Path
        A CSV, TSV, Parquet or JSON Lines file. A relative path is resolved against the
        folder of the plan file when the plan is loaded from YAML.
    format : {"csv", "tsv", "parquet", "jsonl"}, optional
        File format; inferred from the file suffix when omitted.
    encoding : str
        Text encoding of CSV, TSV and JSON Lines files. A UTF-8 byte order mark is removed.
    """

    path: Path
    format: Literal["csv", "tsv", "parquet", "jsonl"] | None = None
    encoding: str = "utf-8"


class ProtectedAttribute(_Strict):
    """A protected attribute and how its column becomes group labels.

    Parameters
    ----------
    name : str
        Name used in the results, e.g. ``"race"``.
    column : str, optional
        Column holding the attribute; defaults to `name`.
    values : dict, optional
        Mapping from raw column values to group labels, e.g. ``{1: "male", 0: "female"}``.
        Raw values without a mapping keep their own text as the label, with a warning.
    bins : list of float, optional
        Edges that cut a numeric column into intervals ``[edge_i, edge_i+1)``.
    bin_labels : list of str, optional
        One label per bin; defaults to the interval notation.
    reference : str, optional
        Reference group against which differences and ratios are computed; defaults to
        the largest group, with a warning.
    missing_label : str
        Label of the group of rows with a missing value under the ``group`` policy.
        Values equal to this label in the data are also treated as missing.
    """

    name: str
    column: str | None = None
    values: dict[Scalar, str] | None = None
    bins: list[float] | None = None
    bin_labels: list[str] | None = None
    reference: str | None = None
    missing_label: str = "missing"

    @property
    def source_column(self) -> str:
        return self.column or self.name

    @model_validator(mode="after")
    def _check_bins(self) -> ProtectedAttribute:
        if self.values is not None and self.bins is not None:
            raise ValueError("give either 'values' or 'bins', not both")
        if self.bins is not None:
            if len(self.bins) < 2 or sorted(self.bins) != self.bins:
                raise ValueError("'bins' must be at least two increasing edges")
            if self.bin_labels is not None and len(self.bin_labels) != len(self.bins) - 1:
                raise ValueError(
                    f"'bin_labels' needs {len(self.bins) - 1} labels, one per bin, "
                    f"but has {len(self.bin_labels)}"
                )
        elif self.bin_labels is not None:
            raise ValueError("'bin_labels' needs 'bins'")
        return self


class Prediction(_Strict):
    """Columns of the data that contain the model's decisions or scores.

    Parameters
    ----------
    column : str, optional
        Column of predicted labels.
    favorable_label : scalar, optional
        Predicted value that means the favorable outcome; defaults to the target's.
    score_column : str, optional
        Column of scores, higher meaning more likely favorable.
    threshold : float, optional
        Scores at or above this value are favorable decisions; needed when there is a
        score column but no prediction column.
    model_id : str, optional
        Identifier of the model that produced the columns, recorded in the provenance.
    """

    column: str | None = None
    favorable_label: Scalar | None = None
    score_column: str | None = None
    threshold: float | None = None
    model_id: str | None = None

    @model_validator(mode="after")
    def _check_source(self) -> Prediction:
        if self.column is None and self.score_column is None:
            raise ValueError("give 'column' (predicted labels) or 'score_column' with 'threshold'")
        if self.column is None and self.threshold is None:
            raise ValueError("a 'score_column' without a prediction 'column' needs a 'threshold'")
        return self


class ModelSpec(_Strict):
    """A scikit-learn estimator or pipeline stored in a file.

    Parameters
    ----------
    kind : {"sklearn"}
        Adapter name.
    path : Path
        A ``.skops`` file, or a ``.joblib``/``.pkl`` file when loading is trusted.
    features : list of str, optional
        Columns passed to the model; defaults to every column except the target, the
        protected attributes and the prediction columns.
    threshold : float, optional
        Cut-off on the favorable-class probability; defaults to the model's ``predict``.
    trusted : bool
        Allow loading a pickle or joblib file, which runs code stored in the file.
    """

    kind: Literal["sklearn"] = "sklearn"
    path: Path
    features: list[str] | None = None
    threshold: float | None = None
    trusted: bool = False


class Hypothesis(_Strict):
    """A fairness claim to test, fixed before the audit runs.

    Parameters
    ----------
    metric : str
        Group metric, e.g. ``"selection_rate"``.
    attribute : str or list of str
        Protected attribute, or a list of attributes for an intersection.
    comparison : {"difference", "ratio", "max_minus_min", "min_over_max"}
        Each group against the reference, or an aggregate across all groups.
    threshold : float
        Bound the comparison must respect.
    operator : {">=", "<=", "within"}, optional
        ``within`` means an absolute difference at most `threshold`, or for a ratio, the
        smaller of the ratio and its reciprocal at least `threshold`. Defaults to ``>=``
        for ratios and ``within`` for differences.
    groups : list, optional
        Groups to test (lists of labels for an intersection); defaults to every group
        except the reference.
    id : str, optional
        Short identifier used in reports and JUnit output.
    description : str, optional
        The claim in plain words.
    """

    metric: str
    attribute: str | list[str]
    comparison: Literal["difference", "ratio", "max_minus_min", "min_over_max"]
    threshold: float
    operator: Literal[">=", "<=", "within"] | None = None
    groups: list[str | list[str]] | None = None
    id: str | None = None
    description: str | None = None

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        return canonical_metric_name(value)

    @property
    def attributes(self) -> tuple[str, ...]:
        if isinstance(self.attribute, str):
            return (self.attribute,)
        return tuple(self.attribute)

    @property
    def resolved_operator(self) -> str:
        if self.operator is not None:
            return self.operator
        return ">=" if self.comparison in ("ratio", "min_over_max") else "within"

    def statement(self, reference: str | None = None) -> str:
        """Write the hypothesis as one line, e.g. 'selection_rate ratio of every race group
        to white >= 0.8'."""
        if self.description:
            return self.description
        attribute = " x ".join(self.attributes)
        if self.comparison in ("difference", "ratio"):
            scope = f"every {attribute} group" if self.groups is None else f"{attribute} groups"
            target = f" to {reference}" if reference else " to the reference"
            subject = f"{self.metric} {self.comparison} of {scope}{target}"
        else:
            subject = f"{self.metric} {self.comparison} across {attribute} groups"
        operator = self.resolved_operator
        return f"{subject} {operator} {self.threshold:g}"


class AuditPlan(_Strict):
    """The declared plan of one tabular audit.

    Parameters
    ----------
    name : str
        Audit name shown in reports.
    data : DataSource, optional
        File to audit; omitted when a dataframe is passed to `run_audit`.
    target : str
        Column of actual outcomes.
    favorable_label : scalar or list of scalars
        Target value that is the favorable outcome (e.g. 1 for approved). A list maps a
        target with more than two values to favorable (listed) and unfavorable (the rest).
    prediction : Prediction, optional
        Prediction and score columns already in the data.
    model : ModelSpec, optional
        A model file to predict with instead of prediction columns.
    protected : list of ProtectedAttribute
        Protected attributes to audit.
    intersections : list of lists of str, or "all"
        Intersections to audit; ``"all"`` means every combination of two or more
        protected attributes.
    metrics : list of str, optional
        Metrics to report; defaults to every binary metric (and AUC and mean score when
        there are scores).
    hypotheses : list of Hypothesis
        Claims to test.
    min_group_size : int
        Groups with fewer rows are reported but hypotheses on them are inconclusive.
    confidence_level : float
        Level of every confidence interval.
    bootstrap_replicates : int
        Number of bootstrap replicates.
    seed : int
        Seed of every random draw.
    multiple_testing : {"benjamini-hochberg", "holm"}
        Correction applied across every test of the audit.
    missing_values : {"group", "drop", "error"}
        What to do with a missing value in a protected column.
    controlled_sample : bool
        True when the rows are a controlled test set (such as a text test bed) whose
        group shares and gold labels are set by design. A gap then points at the model,
        not at how the data was sampled or labelled.
    probes : ProbeSpec, optional
        Counterfactual, proxy, attribution and subgroup probes of a tabular model; they
        run through `equilens.probes.run_probes`, which needs the model and its feature rows.
    mitigation : MitigationSpec, optional
        Mitigations to compare on held-out rows against the hypotheses; run by
        `equilens.mitigate.run_mitigation` (``equilens mitigate``).
    """

    name: str = "audit"
    data: DataSource | None = None
    target: str
    favorable_label: Scalar | list[Scalar] = 1
    prediction: Prediction | None = None
    model: ModelSpec | None = None
    protected: list[ProtectedAttribute] = Field(min_length=1)
    intersections: list[list[str]] | Literal["all"] = Field(default_factory=list)
    metrics: list[str] | None = None
    hypotheses: list[Hypothesis] = Field(default_factory=list)
    min_group_size: int = Field(default=30, ge=1)
    confidence_level: float = Field(default=0.95, gt=0.5, lt=1.0)
    bootstrap_replicates: int = Field(default=1000, ge=100)
    seed: int = 0
    multiple_testing: Literal["benjamini-hochberg", "holm"] = "benjamini-hochberg"
    missing_values: Literal["group", "drop", "error"] = "group"
    controlled_sample: bool = False
    probes: ProbeSpec | None = None
    mitigation: MitigationSpec | None = None

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return [canonical_metric_name(name) for name in value]

    @model_validator(mode="after")
    def _check_references(self) -> AuditPlan:
        if self.prediction is None and self.model is None:
            raise ValueError(
                "give 'prediction' (columns of predicted labels or scores) or 'model' "
                "(a model file to predict with)"
            )
        names = [attribute.name for attribute in self.protected]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"protected attribute names must be unique; repeated: {duplicates}")

        for intersection in self.intersection_tuples():
            for name in intersection:
                _require_attribute(name, names, where="intersections")
        for hypothesis in self.hypotheses:
            for name in hypothesis.attributes:
                _require_attribute(name, names, where=f"hypothesis {hypothesis.id or ''}")
        return self

    def intersection_tuples(self) -> list[tuple[str, ...]]:
        """Return the intersections to audit as tuples of attribute names."""
        names = [attribute.name for attribute in self.protected]
        if self.intersections == "all":
            return [
                combination
                for size in range(2, len(names) + 1)
                for combination in itertools.combinations(names, size)
            ]
        return [tuple(intersection) for intersection in self.intersections]

    def attribute(self, name: str) -> ProtectedAttribute:
        """Return the protected attribute called `name`."""
        for attribute in self.protected:
            if attribute.name == name:
                return attribute
        raise KeyError(name)

    def to_yaml(self) -> str:
        """Serialise the plan to YAML that `load_plan` reads back to an equal plan."""
        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False)


def _require_attribute(name: str, names: list[str], *, where: str) -> None:
    if name not in names:
        raise ValueError(
            f"{where.strip()} names attribute {name!r}, which is not a protected attribute; "
            f"declared attributes: {names}"
        )


def load_plan(path: str | Path) -> AuditPlan:
    """Load and validate an audit plan from a YAML file.

    Relative data and model paths are resolved against the folder of the plan file.

    Raises
    ------
    PlanError
        When the file is missing, is not valid YAML, or a field is invalid. The message
        gives the YAML path of each bad field and what is allowed there.
    """
    path = Path(path)
    raw = read_plan_file(path)

    plan = parse_plan(raw, source=str(path))
    base = path.parent
    if plan.data is not None and not plan.data.path.is_absolute():
        plan.data.path = base / plan.data.path
    if plan.model is not None and not plan.model.path.is_absolute():
        plan.model.path = base / plan.model.path
    return plan


def read_plan_file(path: Path) -> dict[str, Any]:
    """Read a plan file's top-level mapping, raising `PlanError` for a missing file, text
    that is not UTF-8, invalid YAML or a top level that is not a mapping."""
    if not path.is_file():
        raise PlanError(f"Plan file not found: {str(path)!r}. Check the path.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise PlanError(f"Plan file {str(path)!r} is not UTF-8 text: {error}.") from error
    except yaml.YAMLError as error:
        raise PlanError(f"Plan file {str(path)!r} is not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise PlanError(f"Plan file {str(path)!r} must contain a mapping of plan fields.")
    return raw


def parse_plan(raw: dict[str, Any], *, source: str = "plan") -> AuditPlan:
    """Validate a mapping as an `AuditPlan`, raising `PlanError` with YAML paths."""
    try:
        return AuditPlan.model_validate(raw)
    except ValidationError as error:
        raise PlanError(format_validation_error(error, source=source)) from None


def format_validation_error(error: ValidationError, *, source: str) -> str:
    """Describe each invalid field by its YAML path and what is allowed there."""
    lines = [f"Invalid audit plan {source!r}:"]
    for problem in error.errors():
        location = _yaml_path(problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = f"unknown field; {_allowed_fields_hint(problem['loc'])}"
        elif problem["type"] == "missing":
            message = "required field is missing"
        lines.append(f"  {location or '(top level)'}: {message}")
    return "\n".join(lines)


def _yaml_path(location: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in location:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif str(item) in ("function-after[_check_source(), Prediction]",):
            continue
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


_MODELS_BY_FIELD: dict[str, type[BaseModel]] = {
    "data": DataSource,
    "protected": ProtectedAttribute,
    "prediction": Prediction,
    "model": ModelSpec,
    "hypotheses": Hypothesis,
    "probes": ProbeSpec,
    "mitigation": MitigationSpec,
}


def _allowed_fields_hint(location: tuple[Any, ...]) -> str:
    owner: type[BaseModel] = AuditPlan
    if len(location) > 1 and str(location[0]) in _MODELS_BY_FIELD:
        owner = _MODELS_BY_FIELD[str(location[0])]
    return "allowed fields: " + ", ".join(owner.model_fields)


def metric_names_for(plan: AuditPlan, *, has_score: bool) -> list[str]:
    """Return the metrics an audit reports: the plan's list, or every applicable metric."""
    if plan.metrics is not None:
        return list(plan.metrics)
    return [name for name, metric in METRICS.items() if has_score or not metric.needs_score]
