"""The Markdown model card of the exported model.

The sections follow Mitchell et al. (2019), "Model Cards for Model Reporting" (FAT* 2019):
model details, intended use, data, audited groups (the paper's factors), metrics before
and after, and known limits (its caveats). A mitigation comparison records nothing for
the paper's other sections, so the card leaves them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from equilens.mitigate._recommend import BASELINE, UTILITY_LABELS
from equilens.mitigate._summary import caveats
from equilens.report._format import format_level, format_threshold, group_label
from equilens.report._phrases import code_span, escape_markdown

METHOD_DESCRIPTIONS = {
    BASELINE: "no mitigation: the estimator as trained on the training rows",
    "reweighing": (
        "reweighing (Kamiran and Calders, 2012): training rows are weighted so that the "
        "label is independent of the group"
    ),
    "correlation_remover": (
        "fairlearn's CorrelationRemover: each feature is replaced by its residual after a "
        "linear projection on the protected attributes"
    ),
    "exponentiated_gradient": (
        "fairlearn's ExponentiatedGradient (Agarwal et al., 2018): a randomised mixture of "
        "classifiers trained under a fairness constraint"
    ),
    "grid_search": (
        "fairlearn's GridSearch (Agarwal et al., 2018): the best classifier on a grid of "
        "Lagrange multipliers of a fairness constraint"
    ),
    "threshold_optimizer": (
        "fairlearn's ThresholdOptimizer (Hardt, Price and Srebro, 2016): a randomised "
        "decision threshold per group on the estimator's scores"
    ),
    "reject_option": (
        "reject-option classification (Kamiran, Karim and Zhang, 2012): inside a band of "
        "scores around the threshold, unprivileged applicants get the favorable decision "
        "and privileged ones the unfavorable one"
    ),
}
EVALUATION_LABELS = {
    "holdout": "a stratified split of the plan's data",
    "training_data": "separate training rows, with the plan's data held out",
    "cross_validation": "k-fold cross-validation, each row predicted by the fit on the other folds",
}
UTILITY_ROWS = ("accuracy", "balanced_accuracy", "selection_rate", "expected_value")


def _estimate(entry: Mapping[str, Any] | None) -> str:
    if not entry or entry.get("value") is None:
        return "n/a"
    ci = entry.get("ci")
    interval = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
    verdict = f" ({entry['verdict']})" if entry.get("verdict") else ""
    return f"{entry['value']:.3f}{interval}{verdict}"


def _details(chosen: Mapping[str, Any], mitigation: Mapping[str, Any]) -> list[str]:
    run, model = mitigation["run"], mitigation.get("model") or {}
    method = METHOD_DESCRIPTIONS.get(chosen["method"], chosen["method"])
    constraint = f", constraint {code_span(chosen['constraint'])}" if chosen["constraint"] else ""
    estimator = escape_markdown(run.get("estimator", {}).get("class", "unknown"))
    inputs = ", ".join(code_span(name) for name in run.get("features", []))
    lines = [
        "## Model details",
        "",
        f"- **Method:** {escape_markdown(method)}{constraint}; base estimator {estimator}.",
        f"- **Trained:** {escape_markdown(run.get('created', 'n/a'))} with equilens "
        f"{escape_markdown(run.get('equilens_version', 'n/a'))}, seed {run.get('seed')}.",
        f"- **File:** {code_span(model.get('path', 'model.skops'))} in the skops format.",
        f"- **Input:** a table with the feature columns {inputs}.",
        "- **Output:** `predict` returns 1 for the favorable decision and 0 otherwise.",
    ]
    if chosen.get("uses_groups_at_prediction"):
        columns = ", ".join(escape_markdown(name) for name in run.get("sensitive_features", []))
        lines.append(
            f"- **Protected attributes at prediction:** the model reads {columns} for every "
            f"decision, so the input table must hold the protected columns too."
        )
    untrusted = model.get("untrusted_types") or []
    if untrusted:
        lines.append(
            f"- **Loading:** skops does not trust {len(untrusted)} of its types by default "
            f"({', '.join(code_span(t) for t in untrusted)}). Review them, then load with "
            f"`skops.io.load(path, trusted=[...])`, or audit it with "
            f"`equilens audit --trust-model`."
        )
    return lines


def _intended_use(mitigation: Mapping[str, Any]) -> list[str]:
    run = mitigation["run"]
    declared = (run.get("mitigation") or {}).get("intended_use")
    text = declared or (
        f'Decisions of the kind that the audit plan "{run.get("name", "unnamed")}" covers, '
        f"on applicants drawn like the training rows. The model was chosen because it met "
        f"the plan's fairness hypotheses on held-out rows with the least loss of "
        f"{UTILITY_LABELS.get(run.get('utility_measure'), 'utility')}. It is not validated "
        f"for other populations, other decisions, or as the sole basis of a decision."
    )
    return ["## Intended use", "", escape_markdown(text)]


def _data(mitigation: Mapping[str, Any]) -> list[str]:
    run = mitigation["run"]
    plan = run.get("plan") or {}
    path = (plan.get("data") or {}).get("path")
    source = code_span(path) if path else "a dataframe passed to `run_mitigation`"
    favorable = plan.get("favorable_label", 1)
    evaluation = EVALUATION_LABELS.get(run.get("evaluation"), run.get("evaluation"))
    return [
        "## Data",
        "",
        f"- **Source:** {source} (SHA-256 "
        f"{escape_markdown(str(run.get('data_sha256', ''))[:12])}…).",
        f"- **Rows:** {run.get('n_train')} for training and {run.get('n_test')} held out: "
        f"{escape_markdown(evaluation)}.",
        f"- **Target:** {code_span(plan.get('target', 'n/a'))}, favorable value "
        f"{code_span(favorable)}.",
    ]


def _groups(mitigation: Mapping[str, Any]) -> list[str]:
    lines = ["## Audited groups", "", "| Attribute | Group | Held-out rows |"]
    lines.append("| --- | --- | --- |")
    for entry in mitigation.get("groups", []):
        reference = " (reference)" if entry.get("reference") else ""
        lines.append(
            f"| {escape_markdown(entry['attribute'])} | "
            f"{escape_markdown(group_label(entry['group']))}{reference} | {entry['n']} |"
        )
    constrained = ", ".join(
        escape_markdown(n) for n in mitigation["run"].get("sensitive_features", [])
    )
    lines += ["", f"The mitigation constrained the groups of: {constrained or 'none'}."]
    return lines


def _metrics(chosen: Mapping[str, Any], baseline: Mapping[str, Any], level: str) -> list[str]:
    lines = [
        "## Metrics before and after",
        "",
        f"Held-out estimates with {level} confidence intervals.",
        "",
        "| Measure | Baseline | This model |",
        "| --- | --- | --- |",
    ]
    for name in UTILITY_ROWS:
        if name in chosen["utility"]:
            lines.append(
                f"| {escape_markdown(UTILITY_LABELS[name])} | "
                f"{_estimate(baseline['utility'].get(name))} | "
                f"{_estimate(chosen['utility'][name])} |"
            )
    before = baseline["utility"]["favorable_decisions"]["value"]
    after = chosen["utility"]["favorable_decisions"]["value"]
    lines.append(f"| favorable decisions | {before} | {after} |")
    for hypothesis_id, entry in chosen["fairness"].items():
        lines.append(
            f"| {code_span(hypothesis_id)} ({escape_markdown(format_threshold(entry))}, worst "
            f"group {escape_markdown(group_label(entry.get('group')))}) | "
            f"{_estimate(baseline['fairness'].get(hypothesis_id))} | {_estimate(entry)} |"
        )
    return lines


def _limits(chosen: Mapping[str, Any], mitigation: Mapping[str, Any]) -> list[str]:
    run = mitigation["run"]
    lines = ["## Known limits", ""]
    inconclusive = [h for h, e in chosen["fairness"].items() if e.get("verdict") == "inconclusive"]
    if inconclusive:
        lines.append(
            f"- The held-out data cannot settle {', '.join(code_span(h) for h in inconclusive)}: "
            f"some groups are too small or a metric is undefined. Inconclusive is not a pass."
        )
    lines.append(
        "- The mitigation constrains only the groups listed above, on data like the training "
        "rows; other attributes and intersections can still differ."
    )
    lines.append(
        "- The target records past decisions or outcomes. Where those carry bias, a model "
        "that matches them well inherits it, and the audit measures against it."
    )
    if run.get("evaluation") == "cross_validation":
        lines.append(
            "- The exported model was refitted on every row after cross-validation; its "
            "numbers above are the cross-validated estimates of that procedure."
        )
    # The chosen candidate was evaluated, so its caveats are only the ones about its use.
    notes = caveats({**mitigation, "candidates": [chosen]})
    lines += [f"- {escape_markdown(note)}" for note in notes]
    return lines


def render_model_card(mitigation: Mapping[str, Any]) -> str:
    """Render the Markdown model card of the recommended candidate.

    Parameters
    ----------
    mitigation : Mapping
        A mitigation.json document whose recommendation names a candidate.

    Returns
    -------
    str
        Markdown text ending with a newline.

    Raises
    ------
    ValueError
        When the document recommends no candidate.
    """
    name = mitigation["recommendation"].get("name")
    if name is None:
        raise ValueError("the comparison recommends no candidate, so there is no model card")
    candidates = {candidate["name"]: candidate for candidate in mitigation["candidates"]}
    chosen, baseline = candidates[name], candidates[BASELINE]
    level = format_level(mitigation["run"].get("confidence_level"))
    lines = [
        f"# Model card: {escape_markdown(name)} for "
        f"{escape_markdown(mitigation['run'].get('name', 'unnamed plan'))}",
        "",
        *_details(chosen, mitigation),
        "",
        *_intended_use(mitigation),
        "",
        *_data(mitigation),
        "",
        *_groups(mitigation),
        "",
        *_metrics(chosen, baseline, level),
        "",
        *_limits(chosen, mitigation),
    ]
    return "\n".join(lines) + "\n"
