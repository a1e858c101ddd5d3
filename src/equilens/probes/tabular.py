"""Running the probes that a plan declares for a tabular audit, after the audit itself.

The probes need what the audit's counts do not keep: the model, to predict counterfactual
rows, and the feature rows. `run_probes` takes both, checks the plan's probe settings
against the data before anything runs, and stores each probe's results in
``result.probes`` under its name.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from equilens.data.columns import AuditWarning
from equilens.errors import DataError, EquilensError, PlanError
from equilens.probes._model import as_predictor, describe_error, model_features, require_column
from equilens.probes.spec import ProbeSpec

if TYPE_CHECKING:
    from equilens.plan import AuditPlan
    from equilens.result import AuditResult

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

_STEPS = {
    "flip_test": "Probing counterfactual flips",
    "causal": "Probing causal counterfactuals",
    "proxies": "Detecting proxies of protected attributes",
    "attributions": "Attributing disparities with SHAP",
    "subgroups": "Searching for the worst subgroups",
}
_EXTRAS = {"causal": ("dowhy", "causal"), "attributions": ("shap", "explain")}


def run_probes(
    result: AuditResult,
    plan: AuditPlan,
    data: Any,
    model: Any,
    *,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the plan's tabular probes and store their results in ``result.probes``.

    Parameters
    ----------
    result : AuditResult
        The audit of the same rows; its decisions, outcomes and group labels are used.
    plan : AuditPlan
        The plan; ``plan.probes`` selects and configures the probes (all defaults when
        absent).
    data : dataframe
        The feature rows the model predicts from, with the protected columns. Rows match
        the audit's by a ``row_id`` column, or by position when the counts are equal.
    model : object
        A `Predictor`, a fitted scikit-learn estimator or a callable mapping a frame to
        labels; the same model the audit's decisions came from.
    progress : callable, optional
        Called with the name of each probe as it starts.

    Returns
    -------
    dict
        The probe results added to ``result.probes``.

    Raises
    ------
    PlanError, DataError
        When a probe setting names an unknown attribute or column, or an extra that a
        listed probe needs is not installed. These are checked before any probe runs.
    """
    step = progress or (lambda name: None)
    spec = plan.probes or ProbeSpec()
    frame = align_rows(result, data)
    favorable = plan.favorable_label
    favorable = favorable[0] if isinstance(favorable, list) else favorable
    predictor = as_predictor(model, favorable)
    features = _resolve_features(plan, spec, predictor, frame)
    selected = _check_spec(plan, spec, frame, features)
    context = _Context(
        plan=plan,
        spec=spec,
        result=result,
        frame=frame,
        predictor=predictor,
        favorable=favorable,
        features=features,
        **_group_labels(plan, result),
    )

    probes: dict[str, Any] = {}
    for name in selected:
        package = _missing_package(name)
        if package is not None:
            probes[name] = {
                "status": "skipped",
                "reason": f"{package} is not installed; pip install "
                f"'equilens[{_EXTRAS[name][1]}]' to run it",
            }
            continue
        step(_STEPS[name])
        try:
            probes[name] = _RUNNERS[name](context)
        except EquilensError:
            raise
        except Exception as error:  # a failing probe must not lose the rest of the audit
            logger.exception("probe %s failed", name)
            probes[name] = {"status": "failed", "reason": describe_error(error)}

    _add_warnings(result, probes)
    result.probes.update(probes)
    return probes


@dataclass
class _Context:
    """Inputs that every probe of one `run_probes` call reads."""

    plan: AuditPlan
    spec: ProbeSpec
    result: AuditResult
    frame: pd.DataFrame
    predictor: Any
    favorable: Any
    features: list[str]
    labels: dict[str, np.ndarray]
    columns: dict[str, str]
    missing_label: str

    @property
    def candidate_features(self) -> list[str]:
        """Model features that are not protected columns."""
        protected = set(self.columns.values())
        return [column for column in self.features if column not in protected]


def _group_labels(plan: AuditPlan, result: AuditResult) -> dict[str, Any]:
    """Return the audit's per-row group labels, protected columns and missing label.

    The probes take one label for rows with a missing attribute. When the attributes
    declare different ones, each is renamed to ``missing`` in the probes' results.
    """
    declared = {attribute.missing_label for attribute in plan.protected}
    missing_label = declared.pop() if len(declared) == 1 else "missing"
    labels = {}
    for attribute in plan.protected:
        values = np.asarray(result.predictions.groups[attribute.name], dtype=object)
        if attribute.missing_label != missing_label:
            values = np.where(values == attribute.missing_label, missing_label, values)
        labels[attribute.name] = values
    columns = {attribute.name: attribute.source_column for attribute in plan.protected}
    return {"labels": labels, "columns": columns, "missing_label": missing_label}


def _flip(context: _Context) -> dict[str, Any]:
    from equilens.probes.flip import flip_test

    plan = context.plan
    return flip_test(
        context.frame,
        context.predictor,
        context.columns,
        labels=context.labels,
        proxy_columns=context.spec.proxy_columns,
        features=context.spec.features,
        favorable_label=context.favorable,
        level=plan.confidence_level,
        replicates=plan.bootstrap_replicates,
        seed=plan.seed,
        multiple_testing=plan.multiple_testing,
        missing_label=context.missing_label,
    )


def _causal(context: _Context) -> dict[str, Any]:
    from equilens.probes.causal import causal_counterfactuals

    plan, dag = context.plan, context.spec.dag
    chosen = dag.attributes or [
        name for name, column in context.columns.items() if column in dag.nodes
    ]
    return causal_counterfactuals(
        context.frame,
        context.predictor,
        {name: context.columns[name] for name in chosen},
        edges=dag.edges,
        labels={name: context.labels[name] for name in chosen},
        mechanisms=dag.mechanisms,
        favorable_label=context.favorable,
        level=plan.confidence_level,
        refits=dag.refits,
        seed=plan.seed,
        multiple_testing=plan.multiple_testing,
        missing_label=context.missing_label,
    )


def _proxies(context: _Context) -> dict[str, Any]:
    from equilens.explain.proxies import proxy_strength

    plan = context.plan
    return proxy_strength(
        context.frame,
        context.labels,
        features=context.candidate_features,
        threshold=context.spec.proxy_threshold,
        folds=context.spec.folds,
        level=plan.confidence_level,
        replicates=plan.bootstrap_replicates,
        seed=plan.seed,
        missing_label=context.missing_label,
    )


def _attributions(context: _Context) -> dict[str, Any]:
    from equilens.explain.attributions import shap_attributions

    plan = context.plan
    return shap_attributions(
        context.frame,
        context.predictor,
        context.labels,
        features=context.features,
        references={a.name: a.reference for a in plan.protected if a.reference is not None},
        favorable_label=context.favorable,
        max_rows=context.spec.attribution_rows,
        background_rows=context.spec.background_rows,
        level=plan.confidence_level,
        replicates=plan.bootstrap_replicates,
        seed=plan.seed,
        missing_label=context.missing_label,
    )


def _subgroups(context: _Context) -> dict[str, Any]:
    from equilens.subgroups.search import find_subgroups

    plan, search = context.plan, context.spec.subgroups
    protected = set(context.columns.values())
    features = search.features or context.candidate_features
    return find_subgroups(
        context.frame,
        context.result.predictions.y_true,
        context.result.predictions.y_pred,
        context.labels,
        features=[column for column in features if column not in protected],
        metric=search.metric,
        max_depth=search.max_depth,
        min_support=search.min_support,
        top_k=search.top_k,
        beam_width=search.beam_width,
        bins=search.bins,
        require_protected=search.require_protected,
        level=plan.confidence_level,
        multiple_testing=plan.multiple_testing,
        missing_label=context.missing_label,
    )


_RUNNERS: dict[str, Callable[[_Context], dict[str, Any]]] = {
    "flip_test": _flip,
    "causal": _causal,
    "proxies": _proxies,
    "attributions": _attributions,
    "subgroups": _subgroups,
}


def _missing_package(probe: str) -> str | None:
    """Return the optional package a probe needs when it is not installed, else None."""
    if probe not in _EXTRAS:
        return None
    package = _EXTRAS[probe][0]
    return package if importlib.util.find_spec(package) is None else None


def align_rows(result: AuditResult, data: Any) -> pd.DataFrame:
    """Return the feature rows in the order of the audit's rows.

    Rows match by a ``row_id`` column when the data has one. Otherwise they match by
    position, which needs the data to have as many rows as the audit. The data may also
    have the rows the audit dropped for missing attributes, because the audit then
    identifies its rows by their positions in the data.

    Raises
    ------
    DataError
        When the rows cannot be matched.
    """
    frame = data if isinstance(data, pd.DataFrame) else _to_pandas(data)
    row_id = np.asarray(result.predictions.row_id)
    if "row_id" in frame.columns:
        positions = pd.Index(frame["row_id"]).get_indexer(row_id)
        if (positions < 0).any():
            absent = row_id[positions < 0][:5].tolist()
            raise DataError(
                f"{int((positions < 0).sum())} audited rows have no row in the probe data "
                f"(row_id {absent} ...); pass the same rows the audit used."
            )
        return frame.iloc[positions].reset_index(drop=True)
    if len(frame) == len(row_id):
        return frame.reset_index(drop=True)
    dropped = sum(w.details.get("count", 0) for w in result.warnings if w.code == "dropped_rows")
    if dropped and len(frame) == len(row_id) + dropped and row_id.max() < len(frame):
        return frame.iloc[row_id].reset_index(drop=True)
    raise DataError(
        f"The probe data has {len(frame)} rows but the audit has {len(row_id)}, and the rows "
        f"cannot be matched. Pass the audited rows, or add a row_id column to both."
    )


def _to_pandas(data: Any) -> pd.DataFrame:
    import narwhals as nw

    try:
        return nw.from_native(data, eager_only=True).to_pandas()
    except TypeError:
        raise DataError(
            f"Cannot probe data of type {type(data).__name__}; pass a pandas, polars or "
            f"pyarrow dataframe."
        ) from None


def _resolve_features(plan, spec, predictor, frame) -> list[str]:
    features = model_features(predictor, spec.features)
    if features is not None:
        return features
    excluded = {plan.target, "row_id", *(a.source_column for a in plan.protected)}
    if plan.prediction is not None:
        excluded |= {plan.prediction.column, plan.prediction.score_column}
    return [str(column) for column in frame.columns if column not in excluded]


def _check_spec(plan, spec: ProbeSpec, frame: pd.DataFrame, features: list[str]) -> list[str]:
    """Raise for settings that name unknown attributes or columns; return the probes to run."""
    names = [attribute.name for attribute in plan.protected]
    for name, columns in spec.proxy_columns.items():
        if name not in names:
            raise PlanError(
                f"probes.proxy_columns names {name!r}, which is not a protected attribute; "
                f"declared attributes: {names}."
            )
        for column in columns:
            require_column(frame, column, role=f"proxy column of {name!r}")
    for column in features:
        require_column(frame, column, role="model feature")
    for column in spec.subgroups.features or []:
        require_column(frame, column, role="subgroup feature")
    if spec.dag is not None:
        for name in spec.dag.attributes or []:
            if name not in names:
                raise PlanError(
                    f"probes.dag.attributes names {name!r}, which is not a protected "
                    f"attribute; declared attributes: {names}."
                )

    selected = spec.selected()
    for name in spec.run or []:
        package = _missing_package(name)
        if package is not None:
            raise PlanError(
                f"probes.run lists {name!r}, which needs {package}; install it with pip "
                f"install 'equilens[{_EXTRAS[name][1]}]', or remove {name!r} from probes.run."
            )
    if "causal" in selected:
        unknown = [node for node in spec.dag.nodes if node not in frame.columns]
        if unknown:
            raise DataError(
                f"probes.dag.edges names columns that are not in the data: {unknown}. "
                f"Correct the edges; the data has the columns {list(frame.columns)[:30]}."
            )
    return selected


def _add_warnings(result: AuditResult, probes: dict[str, Any]) -> None:
    for name, output in probes.items():
        failures = output.get("failures") or []
        if failures:
            rows = sum(failure["rows"] for failure in failures)
            result.warnings.append(
                AuditWarning(
                    "probe_model_failed",
                    f"The model failed on {len(failures)} batches of counterfactual rows "
                    f"({rows} rows) in the {name} probe; those comparisons are missing. The "
                    f"first error: {failures[0]['error']}",
                    {"probe": name, "batches": len(failures), "rows": rows},
                )
            )
        if output.get("status") in ("skipped", "failed"):
            result.warnings.append(
                AuditWarning(
                    f"probe_{output['status']}",
                    f"The {name} probe was {output['status']}: {output['reason']}.",
                    {"probe": name},
                )
            )
