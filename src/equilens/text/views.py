"""Audit views: the tabular audits that one text audit is made of.

A view is a subset of the scored rows (one run, or every run, optionally narrowed by a
hypothesis's ``where`` filter) together with the groupings to audit in it. Each view
runs through the tabular engine (`equilens.audit.run_audit`) with a generated plan whose
attribute names carry the view, e.g. ``style [vader-text]`` or
``style [vader-text, severity S3|S4]``, so that the groups of different runs are never
compared with each other by accident and every table of the merged result stays
traceable to its rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from equilens.data.columns import value_key
from equilens.errors import DataError, did_you_mean
from equilens.plan import Hypothesis
from equilens.text.plan import TextAuditPlan, TextHypothesis

Filter = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass
class View:
    """One tabular audit inside a text audit.

    Attributes
    ----------
    run : str or None
        The run whose rows the view holds; None for every run.
    where : tuple
        Row filter as ``((column, (value, ...)), ...)``.
    groupings : list of tuple of str
        Column groupings to audit, single columns and intersections.
    required : set of tuple of str
        Groupings that a hypothesis needs, which must have two or more groups.
    """

    run: str | None
    where: Filter = ()
    groupings: list[tuple[str, ...]] = field(default_factory=list)
    required: set[tuple[str, ...]] = field(default_factory=set)

    @property
    def suffix(self) -> str:
        parts = [self.run] if self.run else []
        for column, values in self.where:
            if column == "varied_axis" and len(values) == 1:
                parts.append(f"{values[0]} pairs")
            elif column == "locale" and len(values) == 1:
                parts.append(values[0])
            else:
                parts.append(f"{column} {'|'.join(values)}")
        return f" [{', '.join(parts)}]" if parts else ""

    def name(self, column: str) -> str:
        """Return the attribute name of `column` in this view, e.g. ``style [vader]``."""
        return column + self.suffix

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """Return which rows of `frame` belong to the view."""
        keep = np.ones(len(frame), dtype=bool)
        if self.run is not None:
            keep &= (frame["run"] == self.run).to_numpy()
        for column, values in self.where:
            keep &= frame[column].isin(values).to_numpy()
        return keep

    def add(self, grouping: tuple[str, ...], *, required: bool = False) -> None:
        for part in [*((column,) for column in grouping), grouping]:
            if part not in self.groupings:
                self.groupings.append(part)
        if required:
            self.required.add(grouping)

    def describe(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "where": {column: list(values) for column, values in self.where},
            "suffix": self.suffix,
            "groupings": [list(grouping) for grouping in self.groupings],
        }


@dataclass
class PlannedHypothesis:
    """A plan hypothesis translated to the attribute names of one view."""

    hypothesis: Hypothesis
    view: View
    source_index: int
    run: str | None


def plan_views(
    plan: TextAuditPlan,
    frame: pd.DataFrame,
    *,
    attributes: Sequence[str],
    intersections: Sequence[Sequence[str]],
    run_names: Sequence[str],
    pair_attributes: Sequence[str] = (),
) -> tuple[list[View], list[PlannedHypothesis]]:
    """Lay out the views of a text audit and translate its hypotheses into them.

    With several runs, one view contains every run (grouped by run, and by run x locale)
    and each run gets a view of its own with the plan's attributes and intersections.
    With one run, a single view contains them. Each of `pair_attributes` is audited per
    run on the pair sets that vary it (``where: {varied_axis: <attribute>}``), and a
    hypothesis with a ``where`` filter gets a view of its own per run.
    """
    several = len(run_names) > 1
    views: dict[tuple[str | None, Filter], View] = {}

    def view_for(run: str | None, where: Filter) -> View:
        return views.setdefault((run, where), View(run, where))

    groupings = [(column,) for column in attributes]
    groupings += [tuple(intersection) for intersection in intersections]
    if several:
        overall = view_for(None, ())
        overall.add(("run",))
        if "locale" in attributes:
            overall.add(("run", "locale"))
        for run in run_names:
            for grouping in groupings:
                view_for(run, ()).add(grouping)
    else:
        for grouping in groupings:
            view_for(None, ()).add(grouping)
    for column in pair_attributes:
        for run in run_names if several else [None]:
            rows = frame[View(run).mask(frame) & (frame["varied_axis"] == column).to_numpy()]
            for locale in _locales_to_split(rows, column):
                where = (("varied_axis", (column,)),)
                if locale is not None:
                    where = (("locale", (locale,)), *where)
                view_for(run, where).add((column,))

    planned = []
    for index, hypothesis in enumerate(plan.hypotheses):
        where = normalize_where(hypothesis, frame, index=index)
        grouping = tuple(hypothesis.attributes)
        _check_columns(grouping, frame, index=index)
        if "run" in grouping:
            if not several:
                raise DataError(
                    f"hypotheses[{index}] compares runs, but the plan has one run; remove "
                    f"'run' from its attribute."
                )
            targets: list[str | None] = [None]
        elif several:
            targets = list(hypothesis.runs or run_names)
        else:
            targets = [None]
        for run in targets:
            view = view_for(run, where)
            view.add(grouping, required=True)
            planned.append(
                PlannedHypothesis(_translate(hypothesis, view, run, targets), view, index, run)
            )
    return list(views.values()), planned


def _locales_to_split(rows: pd.DataFrame, column: str) -> list[str | None]:
    """Return [None] when every locale has the same values of `column`, else each locale.

    A persona attribute whose values differ between locales (name origins) is compared
    within each locale, so that a gap between locales is not read as a gap between
    values.
    """
    values = rows.groupby("locale")[column].agg(lambda series: frozenset(series.dropna()))
    if values.nunique() <= 1:
        return [None]
    return sorted(values.index)


def normalize_where(hypothesis: TextHypothesis, frame: pd.DataFrame, *, index: int) -> Filter:
    """Return a hypothesis's ``where`` as sorted ``(column, values)`` pairs of strings.

    An integer severity ``n`` becomes ``Sn``.

    Raises
    ------
    DataError
        When a column is not in the data or the filter keeps no rows.
    """
    if not hypothesis.where:
        return ()
    pairs = []
    for column, raw in sorted(hypothesis.where.items()):
        if column not in frame.columns:
            raise DataError(
                f"hypotheses[{index}].where names the column {column!r}, which the text table "
                f"does not have.{did_you_mean(column, frame.columns)} Columns: "
                f"{sorted(str(name) for name in frame.columns)}."
            )
        values = raw if isinstance(raw, list) else [raw]
        keys = []
        for value in values:
            key = value_key(value)
            if column == "severity" and isinstance(value, int) and not isinstance(value, bool):
                key = f"S{value}"
            keys.append(key)
        pairs.append((column, tuple(sorted(set(keys)))))
    where = tuple(pairs)
    if not View(None, where).mask(frame).any():
        raise DataError(
            f"hypotheses[{index}].where {hypothesis.where} keeps no rows; check the values "
            f"against the data."
        )
    return where


def _check_columns(grouping: tuple[str, ...], frame: pd.DataFrame, *, index: int) -> None:
    for column in grouping:
        if column not in frame.columns:
            raise DataError(
                f"hypotheses[{index}] groups by {column!r}, which the text table does not "
                f"have.{did_you_mean(column, frame.columns)} Add it to the data, or use one "
                f"of: {sorted(str(name) for name in frame.columns)}."
            )


def _translate(
    hypothesis: TextHypothesis, view: View, run: str | None, targets: Sequence[str | None]
) -> Hypothesis:
    fields = hypothesis.model_dump(exclude={"where", "runs"})
    names = [view.name(column) for column in hypothesis.attributes]
    fields["attribute"] = names[0] if isinstance(hypothesis.attribute, str) else names
    if run is not None and len(targets) > 1:
        base_id = hypothesis.id or f"{hypothesis.metric}_{'_'.join(hypothesis.attributes)}"
        fields["id"] = f"{base_id}[{run}]"
        if hypothesis.description:
            fields["description"] = f"{hypothesis.description} (run {run})"
    return Hypothesis.model_validate(fields)


def intersections_for(plan: TextAuditPlan, attributes: Sequence[str]) -> list[list[str]]:
    """Return the plan's intersections, ``"all"`` meaning every pair of attributes."""
    if plan.intersections == "all":
        return [list(pair) for pair in itertools.combinations(attributes, 2)]
    return [list(intersection) for intersection in plan.intersections or []]
