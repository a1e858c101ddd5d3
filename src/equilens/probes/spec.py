"""`ProbeSpec`: the plan section that declares the probes of a tabular audit.

At import time this module loads only pydantic and the standard library, because
`equilens.plan` imports it while the plan module itself is still loading.
"""

from __future__ import annotations

import graphlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PROBE_NAMES = ("flip_test", "causal", "proxies", "attributions", "subgroups")
ProbeName = Literal["flip_test", "causal", "proxies", "attributions", "subgroups"]

# Metrics that are one proportion per subgroup, so that a subgroup can be compared with
# the rest of the rows by a test of two proportions. The value is True when a higher rate
# is worse for the subgroup.
SUBGROUP_METRICS = {
    "selection_rate": False,
    "true_positive_rate": False,
    "true_negative_rate": False,
    "positive_predictive_value": False,
    "negative_predictive_value": False,
    "accuracy": False,
    "false_positive_rate": True,
    "false_negative_rate": True,
    "false_discovery_rate": True,
    "false_omission_rate": True,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CausalSpec(_Strict):
    """The causal graph over the data's columns for counterfactuals by abduction.

    Parameters
    ----------
    edges : list of [cause, effect]
        Directed edges between column names. The graph must be acyclic. Columns that are
        not in the graph keep their observed values in every counterfactual row.
    mechanisms : {"auto", "linear"}
        ``auto`` lets DoWhy choose each node's model (``gcm.auto.assign_causal_mechanisms``);
        ``linear`` fits an additive-noise model with a linear regression for every node
        that has parents and the empirical distribution for root nodes.
    attributes : list of str, optional
        Protected attributes to intervene on; defaults to every protected attribute whose
        column is a node of the graph.
    refits : int
        Bootstrap replicates in which the mechanisms are fitted again on resampled rows;
        the intervals of the counterfactual gaps come from them.
    """

    edges: list[tuple[str, str]] = Field(min_length=1)
    mechanisms: Literal["auto", "linear"] = "auto"
    attributes: list[str] | None = None
    refits: int = Field(default=100, ge=20)

    @field_validator("edges")
    @classmethod
    def _acyclic(cls, edges: list[tuple[str, str]]) -> list[tuple[str, str]]:
        self_loops = [cause for cause, effect in edges if cause == effect]
        if self_loops:
            raise ValueError(
                f"edge [{self_loops[0]!r}, {self_loops[0]!r}] makes {self_loops[0]!r} its own "
                f"cause; remove it, because a causal graph must be acyclic"
            )
        sorter = graphlib.TopologicalSorter()
        for cause, effect in edges:
            sorter.add(effect, cause)
        try:
            sorter.prepare()
        except graphlib.CycleError as error:
            cycle = " -> ".join(str(node) for node in error.args[1])
            raise ValueError(
                f"the graph has the cycle {cycle}; remove one of its edges, because a causal "
                f"graph must be acyclic"
            ) from None
        return edges

    @property
    def nodes(self) -> list[str]:
        """Column names in the graph, in the order they first appear in `edges`."""
        return list(dict.fromkeys(node for edge in self.edges for node in edge))


class SubgroupSearch(_Strict):
    """Settings of the worst-subgroup search.

    Parameters
    ----------
    features : list of str, optional
        Non-protected columns whose values or bins may define a subgroup, together with the
        protected attributes; defaults to the model's feature columns.
    metric : str
        A metric that is one proportion per subgroup, e.g. ``selection_rate`` or
        ``false_negative_rate``.
    max_depth : int
        Largest number of conditions in one subgroup.
    min_support : float
        Smallest subgroup examined, as a share of the rows.
    top_k : int
        Number of subgroups listed.
    beam_width : int
        Number of subgroups per depth that are extended by one more condition.
    bins : int
        Number of quantile bins of a numeric feature; a feature with at most this many
        distinct values uses its values instead.
    require_protected : bool
        Search only subgroups with at least one condition on a protected attribute, so
        that every subgroup examined (and tested) is about the treatment of a group.
    """

    features: list[str] | None = None
    metric: str = "selection_rate"
    max_depth: int = Field(default=2, ge=1, le=4)
    min_support: float = Field(default=0.05, gt=0.0, lt=1.0)
    top_k: int = Field(default=10, ge=1)
    beam_width: int = Field(default=20, ge=1)
    bins: int = Field(default=4, ge=2, le=20)
    require_protected: bool = True

    @field_validator("metric")
    @classmethod
    def _proportion_metric(cls, value: str) -> str:
        # Imported here: equilens.metrics is safe to import while equilens.plan loads, but
        # keeping this module's imports to pydantic makes that independent of it.
        from equilens.metrics import canonical_metric_name

        name = canonical_metric_name(value)
        if name not in SUBGROUP_METRICS:
            raise ValueError(
                f"metric {value!r} is not one proportion per subgroup; use one of "
                f"{sorted(SUBGROUP_METRICS)}"
            )
        return name


class ProbeSpec(_Strict):
    """The probes of a tabular audit: which to run and their settings.

    Parameters
    ----------
    run : list of str, optional
        Probes to run among ``flip_test``, ``causal``, ``proxies``, ``attributions`` and
        ``subgroups``. Defaults to all of them except ``causal``, which runs by default
        when `dag` is given. Without the ``shap`` package a default attribution probe is
        recorded as skipped, while one listed here raises an error.
    features : list of str, optional
        The model's feature columns; defaults to the model's own list (``features`` of a
        scikit-learn adapter or ``feature_names_in_`` of the estimator).
    proxy_columns : dict of str to list of str
        Per protected attribute, columns suspected to stand in for it. The flip test adds a
        variant that also moves these columns to the other group's distribution.
    proxy_threshold : float
        A feature whose cross-validated single-feature AUC for some group of an attribute
        reaches this value is listed as a proxy of that attribute.
    folds : int
        Folds of the cross-validation behind the proxy AUCs.
    dag : CausalSpec, optional
        Causal graph for the ``causal`` probe.
    subgroups : SubgroupSearch
        Settings of the worst-subgroup search.
    attribution_rows : int
        Largest number of rows whose SHAP values are computed; more rows are sampled.
    background_rows : int
        Rows of the background sample that SHAP integrates features out over.
    """

    run: list[ProbeName] | None = None
    features: list[str] | None = None
    proxy_columns: dict[str, list[str]] = Field(default_factory=dict)
    proxy_threshold: float = Field(default=0.6, gt=0.5, lt=1.0)
    folds: int = Field(default=5, ge=2, le=20)
    dag: CausalSpec | None = None
    subgroups: SubgroupSearch = Field(default_factory=SubgroupSearch)
    attribution_rows: int = Field(default=2000, ge=10)
    background_rows: int = Field(default=100, ge=10)

    @model_validator(mode="after")
    def _causal_needs_dag(self) -> ProbeSpec:
        if self.run is not None and "causal" in self.run and self.dag is None:
            raise ValueError(
                "'causal' is in probes.run but probes.dag is missing; add dag.edges, a list "
                "of [cause, effect] column pairs"
            )
        return self

    def selected(self) -> list[str]:
        """Return the probes to run, in report order."""
        if self.run is not None:
            chosen = set(self.run)
        else:
            chosen = {"flip_test", "proxies", "attributions", "subgroups"}
            if self.dag is not None:
                chosen.add("causal")
        return [name for name in PROBE_NAMES if name in chosen]
