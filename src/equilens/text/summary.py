"""The text section of summary.md: which styles and locales are under-escalated, by how much.

`text_summary_section` reads only a findings mapping (findings.json), so a notebook, the
command line and the report layer can all render it from the same file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_LISTED = 6
RECALL = "true_positive_rate"
OVER = "false_positive_rate"


def text_summary_section(findings: Mapping[str, Any]) -> str:
    """Render the plain-language text-audit section of the one-pager.

    Per run, it lists the groups (styles, locales, personas) whose recall of positive
    items is lower than the reference group's with the whole confidence interval below
    zero. For escalation, positive items are messages that should escalate. It also
    lists the groups over-escalated on negative items, the gaps between runs and
    locales, and the probes' headlines.

    Parameters
    ----------
    findings : Mapping
        A findings.json mapping from a text audit (with ``probes.text_audit``).

    Returns
    -------
    str
        Markdown starting with a level-2 heading and ending with a newline, or an empty
        string when the findings are not from a text audit.
    """
    probes = findings.get("probes") or {}
    accounting = probes.get("text_audit")
    if not isinstance(accounting, Mapping):
        return ""
    level = findings.get("audit", {}).get("confidence_level", 0.95)
    ci = f"{level * 100:g}% CI"
    positive = accounting.get("positive_label", "positive")
    verb = "escalated" if positive == "escalate" else f"predicted {_code(positive)}"

    lines = ["## Text audit: who is missed and who is over-flagged", ""]
    lines.append(
        f"Texts from {accounting.get('source')}; {accounting.get('rows_scored', 0):,} "
        f"text-model decisions audited, {accounting.get('rows_excluded', 0):,} left out "
        f"because the model gave no usable output, {accounting.get('texts_truncated', 0):,} "
        f"truncated. Recall is the share of items whose gold label is {_code(positive)} "
        f"that were {verb}; intervals are {ci}s."
    )
    skipped = {
        view["suffix"]: view["skipped_reason"]
        for view in accounting.get("views", [])
        if view.get("skipped_reason")
    }
    for run in accounting.get("runs", []):
        lines += ["", *_run_section(findings, run, ci=ci, verb=verb, skipped=skipped)]
    across = _differences(findings, ["run", "locale"], RECALL, below=True)
    if across:
        lines += ["", "### Across runs and locales", ""]
        lines.append("Recall per run and locale, against the reference run and locale:")
        lines += _listed(findings, across, ci=ci)
    lines += ["", *_probe_lines(probes, ci=ci)]
    return "\n".join(lines) + "\n"


def _run_section(
    findings: Mapping[str, Any],
    run: Mapping[str, Any],
    *,
    ci: str,
    verb: str,
    skipped: Mapping[str, str],
) -> list[str]:
    locales = ", ".join(run.get("locales", [])) or "all texts"
    lines = [
        f"### Run {_code(run['name'])}: {run.get('model_kind')} on the {run.get('input')} "
        f"of {locales}",
        "",
    ]
    left_out = run.get("rows", 0) - run.get("scored", 0)
    lines.append(
        f"- {run.get('scored', 0):,} of {run.get('rows', 0):,} texts scored"
        + (f"; {left_out:,} left out (see the warnings)." if left_out else ".")
    )
    for column, name, scope in _attribute_names(run.get("attribute_names", {})):
        label = column.replace("_", " ")
        suffix = name[len(column) :]
        if suffix in skipped:
            lines.append(
                f"- {label.capitalize()}{scope}: not audited by group, because {skipped[suffix]}."
            )
            continue
        under = _differences(findings, [name], RECALL, below=True)
        if under:
            lines.append(
                f"- **Under-{verb} by {label}**{scope}: recall below the reference, whole "
                f"interval below zero:"
            )
            lines += ["  " + line for line in _listed(findings, under, ci=ci)]
        elif _has(findings, name):
            lines.append(
                f"- No {label} group{scope} has a recall below the reference's with the "
                f"whole interval below zero."
            )
        over = _differences(findings, [name], OVER, below=False)
        if over:
            lines.append(
                f"- **Over-{verb} by {label}**{scope}: false positive rate above the "
                f"reference, whole interval above zero:"
            )
            lines += ["  " + line for line in _listed(findings, over, ci=ci, metric=OVER)]
    return lines


def _attribute_names(names: Mapping[str, Any]):
    """Yield (column, attribute name, scope phrase) for each attribute a run reports."""
    for column, name in names.items():
        if column in ("severity", "run"):
            continue
        if isinstance(name, Mapping):
            for locale, per_locale in name.items():
                yield column, per_locale, f" (in {locale}, within the pair sets that vary it)"
        elif name.endswith(" pairs]"):
            yield column, name, " (within the pair sets that vary it)"
        else:
            yield column, name, ""


def _has(findings: Mapping[str, Any], attribute: str) -> bool:
    return any(entry.get("attribute") == attribute for entry in findings.get("groups", []))


def _differences(findings, attributes: list[str], metric: str, *, below: bool) -> list[dict]:
    """Return disparities whose difference interval lies wholly below (or above) zero."""
    selected = []
    for entry in findings.get("disparities", []):
        if entry.get("attributes") != attributes or entry.get("metric") != metric:
            continue
        difference = entry.get("difference") or {}
        interval = difference.get("ci")
        if difference.get("value") is None or not interval:
            continue
        if (below and interval[1] < 0) or (not below and interval[0] > 0):
            selected.append(entry)
    selected.sort(key=lambda entry: entry["difference"]["value"] * (1 if below else -1))
    return selected


def _listed(
    findings: Mapping[str, Any], entries: list[dict], *, ci: str, metric: str = RECALL
) -> list[str]:
    lines = []
    what = "recall" if metric == RECALL else "false positive rate"
    for entry in entries[:MAX_LISTED]:
        group = " & ".join(entry["group"])
        reference = " & ".join(entry["reference"])
        rate = _metric(findings, entry["attributes"], entry["group"], metric)
        reference_rate = _metric(findings, entry["attributes"], entry["reference"], metric)
        difference = entry["difference"]
        lower, upper = difference["ci"]
        direction = "lower" if difference["value"] < 0 else "higher"
        lines.append(
            f"- {_code(group)}: {what} {_percent(rate, ci)} against "
            f"{_percent(reference_rate)} for {_code(reference)}, "
            f"{_points(abs(difference['value']))} {direction} ({ci} "
            f"{_points(min(abs(lower), abs(upper)))} to {_points(max(abs(lower), abs(upper)))}; "
            f"adjusted p {_p(entry.get('p_adjusted'))})"
        )
    if len(entries) > MAX_LISTED:
        lines.append(f"- and {len(entries) - MAX_LISTED} more in report.html and findings.json.")
    return lines


def _metric(findings, attributes: list[str], group: list[str], metric: str) -> Mapping[str, Any]:
    """Return a group's metric estimate from the group or intersection entries."""
    for entry in [*findings.get("groups", []), *findings.get("intersections", [])]:
        names = entry.get("attributes") or [entry.get("attribute")]
        labels = entry["group"] if isinstance(entry["group"], list) else [entry["group"]]
        if names == attributes and labels == list(group):
            return entry.get("metrics", {}).get(metric, {})
    return {}


def _probe_lines(probes: Mapping[str, Any], *, ci: str) -> list[str]:
    lines = ["### Probes", ""]
    pairs = probes.get("minimal_pairs")
    if pairs:
        rate = pairs.get("flip_rate", {})
        worst = sorted(
            (entry for entry in pairs.get("by_axis", []) if entry["flip_rate"].get("value")),
            key=lambda entry: -entry["flip_rate"]["value"],
        )[:3]
        axes = "; ".join(
            f"{_code(entry['axis'])} in {_code(entry['run'])} {_percent(entry['flip_rate'])}"
            for entry in worst
        )
        lines.append(
            f"- **Minimal pairs:** {pairs['flipped_pairs']:,} of {pairs['pairs']:,} variants got "
            f"a different decision from their base text ({_percent(rate, ci)}); "
            f"{pairs['significant_tests']} of {pairs['tests']} McNemar and Wilcoxon tests are "
            f"significant after adjustment. {pairs['dropped_noops']} variants that left the "
            f"input unchanged were dropped." + (f" Most flips: {axes}." if axes else "")
        )
    monotonicity = probes.get("monotonicity")
    if monotonicity:
        lines.append(
            f"- **Monotonicity:** in {monotonicity['violations']} of "
            f"{monotonicity['steps_tested']} steps between adjacent severities the escalation "
            f"rate falls as severity rises ({monotonicity['significant_violations']} "
            f"significant after adjustment)."
        )
    cross = probes.get("cross_locale")
    if cross and cross.get("pairs"):
        widest = max(cross["pairs"], key=lambda pair: abs(pair["rate_difference"]["value"] or 0))
        lane_a, lane_b = widest["lane_a"], widest["lane_b"]
        lines.append(
            f"- **Cross-locale consistency:** the widest gap on matched fact frames is "
            f"{_code(lane_a['run'] + '/' + lane_a['locale'])} against "
            f"{_code(lane_b['run'] + '/' + lane_b['locale'])}: "
            f"{_signed_points(widest['rate_difference'], ci)} in the escalation rate over "
            f"{widest['matched_keys']} matched messages."
        )
    calibration = probes.get("calibration")
    if calibration:
        unmeasured = [entry for entry in calibration.get("runs", []) if not entry["measured"]]
        if unmeasured:
            runs = ", ".join(_code(entry["run"]) for entry in unmeasured)
            lines.append(
                f"- **Calibration** is not measured for {runs}: their scores are not "
                f"probabilities of the positive label (findings.json gives each reason)."
            )
    return lines if len(lines) > 2 else []


def _code(text: Any) -> str:
    return "`" + str(text).replace("`", "'") + "`"


def _points(value: float) -> str:
    points = value * 100
    return f"{points:.1f} points" if points < 10 else f"{points:.0f} points"


def _signed_points(estimate: Mapping[str, Any], ci: str) -> str:
    value = estimate.get("value")
    if value is None:
        return "undefined"
    text = f"{value * 100:+.1f} points"
    if estimate.get("ci"):
        lower, upper = estimate["ci"]
        text += f" ({ci} {lower * 100:+.1f} to {upper * 100:+.1f})"
    return text


def _percent(estimate: Mapping[str, Any], ci: str | None = None) -> str:
    value = estimate.get("value")
    if value is None:
        return "undefined"
    text = f"{value * 100:.0f}%"
    if ci and estimate.get("ci"):
        lower, upper = estimate["ci"]
        text += f", {ci} {lower * 100:.0f}–{upper * 100:.0f}%"
    return text


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"
