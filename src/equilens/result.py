"""`AuditResult` and its serialisation to findings.json and predictions.parquet."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equilens.data.columns import AuditWarning
from equilens.findings import Finding
from equilens.metrics.disparities import Aggregate, Disparity
from equilens.metrics.table import BASE_RATE, Estimate, MetricTable
from equilens.plan import AuditPlan
from equilens.stats.intervals import percentile_interval

SCHEMA = "equilens.findings/1"
FOUR_FIFTHS = 0.8
PROVENANCE_PACKAGES = (
    "equilens",
    "numpy",
    "scipy",
    "statsmodels",
    "pandas",
    "scikit-learn",
    "fairlearn",
)


@dataclass
class Predictions:
    """Row-level decisions and group labels, written to predictions.parquet."""

    row_id: np.ndarray
    groups: dict[str, np.ndarray]
    y_true: np.ndarray
    y_pred: np.ndarray
    score: np.ndarray | None

    def to_frame(self) -> pd.DataFrame:
        columns: dict[str, Any] = {"row_id": self.row_id}
        columns.update(
            {name: pd.array(values, dtype="string") for name, values in self.groups.items()}
        )
        columns["y_true"] = self.y_true.astype(np.int8)
        columns["y_pred"] = self.y_pred.astype(np.int8)
        columns["score"] = (
            self.score if self.score is not None else np.full(len(self.row_id), np.nan)
        )
        return pd.DataFrame(columns)


@dataclass
class AuditResult:
    """Everything one audit computed, with its provenance.

    Use `to_dict` for the findings.json mapping and `write` to save the output files.
    """

    plan: AuditPlan
    provenance: dict[str, Any]
    tables: dict[tuple[str, ...], MetricTable]
    references: dict[tuple[str, ...], int]
    disparities: list[Disparity]
    aggregates: list[Aggregate]
    summaries: list[dict[str, Any]]
    findings: list[Finding]
    warnings: list[AuditWarning]
    predictions: Predictions
    probes: dict[str, Any] = field(default_factory=dict)

    @property
    def verdicts(self) -> dict[str, str]:
        return {finding.id: finding.verdict for finding in self.findings}

    def to_dict(self) -> dict[str, Any]:
        """Return the findings.json mapping (schema ``equilens.findings/1``)."""
        # Groups below the minimum size enter the aggregates (fairlearn's convention), so
        # each aggregate lists them: a spread can come from a group of a few rows.
        small = {
            grouping: [
                list(label)
                for label, size in zip(table.counts.labels, table.counts.n, strict=True)
                if size < self.plan.min_group_size
            ]
            for grouping, table in self.tables.items()
        }
        groups, intersections = [], []
        for grouping, table in self.tables.items():
            entries = _group_entries(table, self.plan.min_group_size)
            (groups if len(grouping) == 1 else intersections).extend(entries)
        return _clean(
            {
                "schema": SCHEMA,
                "audit": self.provenance,
                "attributes": [self._attribute_entry(spec) for spec in self.plan.protected],
                "groups": groups,
                "intersections": intersections,
                "disparities": [_disparity_entry(item) for item in self.disparities],
                "aggregates": [
                    {**_aggregate_entry(item), "small_groups": small[item.attributes]}
                    for item in self.aggregates
                ],
                "summaries": [
                    {**entry, "small_groups": small[tuple(entry["attributes"])]}
                    for entry in self.summaries
                ],
                "findings": [finding.to_dict() for finding in self.findings],
                "probes": self.probes,
                "warnings": [warning.to_dict() for warning in self.warnings],
            }
        )

    def _attribute_entry(self, spec) -> dict[str, Any]:
        labels = self.tables[(spec.name,)].counts.labels
        (reference,) = labels[self.references[(spec.name,)]]
        return {
            "name": spec.name,
            "column": spec.source_column,
            "reference": reference,
            "groups": [label for (label,) in labels],
        }

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write plan.yaml, findings.json, predictions.parquet, report.html and summary.md."""
        from equilens.report import write_report

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        findings = self.to_dict()
        paths = {
            "plan": out_dir / "plan.yaml",
            "findings": out_dir / "findings.json",
            "predictions": out_dir / "predictions.parquet",
        }
        paths["plan"].write_text(rebase_paths(self.plan, out_dir).to_yaml(), encoding="utf-8")
        paths["findings"].write_text(
            json.dumps(findings, indent=2, ensure_ascii=False, allow_nan=False), encoding="utf-8"
        )
        self.predictions.to_frame().to_parquet(paths["predictions"], index=False)
        paths.update(write_report(findings, out_dir))
        return paths


def _label(label: tuple[str, ...]) -> str | list[str]:
    return label[0] if len(label) == 1 else list(label)


def _group_entries(table: MetricTable, min_group_size: int) -> list[dict[str, Any]]:
    counts = table.counts
    tn, fp, fn, tp = counts.counts()
    n = counts.n
    total = int(n.sum())
    entries = []
    for g, label in enumerate(counts.labels):
        attributes = counts.attributes
        entries.append(
            {
                "attribute" if len(attributes) == 1 else "attributes": attributes[0]
                if len(attributes) == 1
                else list(attributes),
                "group": _label(label),
                "n": int(n[g]),
                "share": round(int(n[g]) / total, 6),
                "small": bool(n[g] < min_group_size),
                "counts": {"tp": int(tp[g]), "fp": int(fp[g]), "fn": int(fn[g]), "tn": int(tn[g])},
                "base_rate": table.estimates[BASE_RATE][g].to_dict(),
                "metrics": {
                    name: table.estimates[name][g].to_dict() for name in table.metric_names
                },
            }
        )
    return entries


def _test_fields(test, p_adjusted) -> dict[str, Any]:
    fields = {"test": test.test, "p_value": test.p_value, "p_adjusted": p_adjusted}
    if test.reason:
        fields["test_reason"] = test.reason
    return fields


def _disparity_entry(item: Disparity) -> dict[str, Any]:
    return {
        "attributes": list(item.attributes),
        "metric": item.metric,
        "group": list(item.group),
        "reference": list(item.reference),
        "difference": item.difference.to_dict(),
        "ratio": item.ratio.to_dict(),
        **_test_fields(item.test, item.p_adjusted),
    }


def _aggregate_entry(item: Aggregate) -> dict[str, Any]:
    return {
        "attributes": list(item.attributes),
        "metric": item.metric,
        "max_minus_min": item.max_minus_min.to_dict(),
        "min_over_max": item.min_over_max.to_dict(),
        "max_group": list(item.max_group) if item.max_group else None,
        "min_group": list(item.min_group) if item.min_group else None,
        "excluded_groups": [
            {"group": list(label), "reason": reason} for label, reason in item.excluded_groups
        ],
        **_test_fields(item.test, item.p_adjusted),
    }


def fairness_summaries(
    tables: dict[tuple[str, ...], MetricTable],
    references: dict[tuple[str, ...], int],
    aggregates: list[Aggregate],
    *,
    level: float,
) -> list[dict[str, Any]]:
    """Return the named fairness summaries of each grouping.

    ``equalized_odds_difference`` is the larger of the TPR and FPR max-minus-min, as in
    fairlearn; its interval comes from the same replicates, taking the larger per replicate.
    """
    by_metric = {(item.attributes, item.metric): item for item in aggregates}
    summaries = []
    for grouping, table in tables.items():
        selection = by_metric[(grouping, "selection_rate")]
        tpr = by_metric[(grouping, "true_positive_rate")]
        fpr = by_metric[(grouping, "false_positive_rate")]
        summaries.append(
            {
                "attributes": list(grouping),
                "demographic_parity_difference": selection.max_minus_min.to_dict(),
                "demographic_parity_ratio": selection.min_over_max.to_dict(),
                "equalized_odds_difference": _larger(tpr, fpr, level).to_dict(),
                "equal_opportunity_difference": tpr.max_minus_min.to_dict(),
                "predictive_parity_difference": by_metric[
                    (grouping, "positive_predictive_value")
                ].max_minus_min.to_dict(),
                "four_fifths_rule": _four_fifths(table, references[grouping]),
            }
        )
    return summaries


def _larger(first: Aggregate, second: Aggregate, level: float) -> Estimate:
    values = [
        item.max_minus_min.value for item in (first, second) if item.max_minus_min.value is not None
    ]
    if not values:
        return Estimate.undefined(
            "true and false positive rates are undefined in all but one group"
        )
    value = max(values)
    replicates = [
        item.difference_replicates
        for item in (first, second)
        if item.difference_replicates is not None
    ]
    if not replicates:
        return Estimate(value, ci_reason="no bootstrap replicates")
    with np.errstate(invalid="ignore"):
        combined = np.fmax.reduce(replicates) if len(replicates) > 1 else replicates[0]
    lower, upper = percentile_interval(combined, level=level)
    if not lower < upper:
        return Estimate(value, ci_reason="bootstrap distribution degenerate")
    return Estimate(value, (float(lower), float(upper)), "bootstrap")


def _four_fifths(table: MetricTable, reference: int) -> dict[str, Any]:
    rates = table.values["selection_rate"]
    labels = table.counts.labels
    if not rates[reference] > 0:
        return {
            "passes": None,
            "reason": "the reference group's selection rate is zero",
            "min_ratio": None,
            "reference": list(labels[reference]),
            "groups_below": [],
        }
    ratios = rates / rates[reference]
    below = [
        list(labels[g]) for g in range(len(labels)) if g != reference and ratios[g] < FOUR_FIFTHS
    ]
    others = [ratios[g] for g in range(len(labels)) if g != reference and not np.isnan(ratios[g])]
    return {
        "passes": not below,
        "min_ratio": float(min(others)) if others else None,
        "reference": list(labels[reference]),
        "groups_below": below,
    }


def provenance(
    plan: AuditPlan, *, digest: str, n_rows: int, model_kind: str, model_id: str
) -> dict[str, Any]:
    """Return the audit's provenance: what ran, on which data, with which versions."""
    versions = {"python": platform.python_version()}
    for package in PROVENANCE_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "name": plan.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "equilens_version": versions["equilens"],
        "data_sha256": digest,
        "n_rows": n_rows,
        "model": {"kind": model_kind, "id": model_id},
        "seed": plan.seed,
        "confidence_level": plan.confidence_level,
        "bootstrap_replicates": plan.bootstrap_replicates,
        "multiple_testing": plan.multiple_testing,
        "min_group_size": plan.min_group_size,
        "versions": versions,
        "plan": plan.model_dump(mode="json", exclude_none=True),
    }


def _clean(value: Any) -> Any:
    """Replace NaN and infinities by None and NumPy scalars by Python numbers."""
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def portable_path(path: Path, out_dir: Path) -> Path:
    """Return `path` as the plan written to `out_dir` must state it.

    A relative path that exists from the working directory (a plan loaded from another
    folder) becomes absolute, or relative to `out_dir` when the file is inside it, so that
    the written plan.yaml finds its files from its own folder. Other paths stay as given.
    """
    if path.is_absolute() or not path.exists():
        return path
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path(out_dir).resolve())
    except ValueError:
        return resolved


def rebase_paths(plan: Any, out_dir: Path) -> Any:
    """Return a copy of a plan whose data, model and cache paths work from `out_dir`."""
    plan = plan.model_copy(deep=True)
    for section in ("data", "model"):
        part = getattr(plan, section, None)
        if part is not None and getattr(part, "path", None) is not None:
            part.path = portable_path(Path(part.path), out_dir)
    if getattr(plan, "cache", None) is not None:
        plan.cache = portable_path(Path(plan.cache), out_dir)
    return plan
