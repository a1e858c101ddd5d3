"""Render the self-contained mitigation.html page from a mitigation.json mapping.

The page loads nothing from the network: the report's stylesheet is inlined, the charts
are inline SVG, and there is no JavaScript. Autoescaping is on, so every string from the
plan or the data (plan name, group labels, candidate names) is HTML-escaped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

import jinja2
from markupsafe import Markup

from equilens.mitigate._card import EVALUATION_LABELS
from equilens.mitigate._chart import frontier_chart
from equilens.mitigate._recommend import UTILITY_LABELS
from equilens.mitigate._summary import caveats
from equilens.report._format import (
    format_interval,
    format_level,
    format_number,
    format_threshold,
    group_label,
    metric_label,
)

logger = logging.getLogger(__name__)

_KNOWN_VERDICTS = frozenset({"pass", "fail", "inconclusive"})

_EXTRA_CSS = """
table.candidates td, table.candidates th { white-space: nowrap; }
.recommendation { padding: 0.9rem 1rem; border: 1px solid var(--rule); border-radius: 6px;
  background: var(--panel); }
.meets { color: var(--pass); font-weight: 600; }
.misses { color: var(--fail); }
figure.frontier { margin: 1rem 0 2rem; }
"""

_TEMPLATE = """\
{%- macro estimate(e) -%}
{%- if not e or e.value is none -%}<span class="na">n/a</span>
{%- else -%}<span class="val">{{ e.value | number }}</span>
{%- if e.ci %} <span class="ci">{{ e.ci | interval }}</span>{% endif %}
{%- endif -%}
{%- endmacro -%}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Mitigation comparison: {{ run.name }}</title>
<style>{{ css }}</style>
</head>
<body>
<p class="eyebrow">equilens mitigation comparison</p>
<h1>{{ run.name }}</h1>
<dl class="provenance">
<div><dt>Created</dt><dd>{{ run.created }}</dd></div>
<div><dt>Evaluation</dt><dd>{{ evaluation }}: {{ run.n_train }} training rows,
 {{ run.n_test }} held-out rows</dd></div>
<div><dt>Estimator</dt><dd>{{ run.estimator["class"] }}</dd></div>
<div><dt>Sensitive features</dt><dd>{{ run.sensitive_features | join(", ") }}</dd></div>
<div><dt>Utility measure</dt><dd>{{ utility_label }}</dd></div>
<div><dt>Intervals</dt><dd>{{ level }} from {{ run.bootstrap_replicates }}
 bootstrap replicates</dd></div>
</dl>

<h2>Recommendation</h2>
<div class="recommendation">
{% if recommendation.name %}<p><strong>Recommended: {{ recommendation.name }}</strong></p>
{% else %}<p><strong>No candidate is recommended.</strong></p>{% endif %}
<p>{{ recommendation.reason }}</p>
</div>

<h2>Candidates</h2>
<p class="muted">Held-out values with {{ level }} confidence intervals. A hypothesis value is
the worst group's comparison; the verdict is the audit's.</p>
<div class="table-wrap">
<table class="candidates">
<thead><tr><th>#</th><th>Candidate</th><th>Meets all</th>
{% for name in utility_names %}<th>{{ name | utility }}</th>{% endfor %}
{% for h in hypotheses %}
<th title="{{ h.statement }}">{{ h.id }}<br><span class="muted">{{ h | threshold }}</span></th>
{% endfor %}
</tr></thead>
<tbody>
{% for c in candidates %}
<tr>
<td>{{ numbers[c.name] }}</td>
<td>{{ c.name }}
{%- if c.uses_groups_at_prediction %}
 <span class="tag" title="reads the protected attributes when it decides">uses groups</span>
{%- endif %}
{%- if c.randomised %}
 <span class="tag" title="some decisions are drawn at random">randomised</span>
{%- endif %}</td>
{% if c.status != "ok" %}
<td colspan="{{ 1 + utility_names | length + hypotheses | length }}" class="reason">
not evaluated: {{ c.reason }}</td>
{% else %}
<td>{% if c.meets_all %}<span class="meets">yes</span>
{%- else %}<span class="misses">no</span>{% endif %}</td>
{% for name in utility_names %}<td>{{ estimate(c.utility[name]) }}</td>{% endfor %}
{% for h in hypotheses %}{% set f = c.fairness[h.id] %}
<td>{{ estimate(f) }}{% if f.group %} <span class="muted">{{ f.group | group }}</span>{% endif %}
 <span class="badge badge-{{ f.verdict | verdict_class }}">{{ f.verdict }}</span></td>
{% endfor %}
{% endif %}
</tr>
{% endfor %}
</tbody>
</table>
</div>

<h2>Fairness-utility frontiers</h2>
<p class="muted">One chart per hypothesis: {{ utility_label }} against the hypothesis value,
with intervals on both axes. A candidate is on the frontier when no other has both a higher
utility and a value further inside the threshold.</p>
{% for h in hypotheses %}
<figure class="frontier">
<figcaption><h3>{{ h.id }}</h3><p class="muted">{{ h.statement }}</p></figcaption>
{% if charts[h.id] %}{{ charts[h.id] }}
{% else %}<p class="reason">No candidate has a defined value for this hypothesis.</p>
{% endif %}
</figure>
{% endfor %}

<h2>Caveats</h2>
<ul>
{% for note in notes %}<li>{{ note }}</li>
{% endfor %}
</ul>
</body>
</html>
"""


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(
        number=format_number,
        interval=format_interval,
        group=group_label,
        threshold=format_threshold,
        metric=metric_label,
        utility=lambda name: UTILITY_LABELS.get(name, name.replace("_", " ")),
        verdict_class=lambda value: value if value in _KNOWN_VERDICTS else "unknown",
    )
    return environment


_ENVIRONMENT = _environment()


def render_mitigation_html(mitigation: Mapping[str, Any]) -> str:
    """Render a mitigation.json mapping as a self-contained HTML page.

    Parameters
    ----------
    mitigation : Mapping
        A mitigation.json document (schema ``equilens.mitigation/1``).

    Returns
    -------
    str
        The HTML document.
    """
    run = mitigation["run"]
    measure = run["utility_measure"]
    candidates = mitigation["candidates"]
    numbers = {candidate["name"]: number for number, candidate in enumerate(candidates, 1)}
    charts = {
        hypothesis["id"]: frontier_chart(
            candidates,
            hypothesis["id"],
            measure=measure,
            numbers=numbers,
            chart_id=f"frontier-{index}",
        )
        for index, hypothesis in enumerate(mitigation["hypotheses"], 1)
    }
    utility_names = ["accuracy", "balanced_accuracy", "selection_rate"]
    if measure not in utility_names:
        utility_names.append(measure)
    css = (files("equilens.report") / "templates" / "report.css").read_text(encoding="utf-8")
    html = _ENVIRONMENT.from_string(_TEMPLATE).render(
        run=run,
        level=format_level(run.get("confidence_level")),
        evaluation=EVALUATION_LABELS.get(run.get("evaluation"), run.get("evaluation")),
        utility_label=UTILITY_LABELS.get(measure, measure),
        utility_names=utility_names,
        hypotheses=mitigation["hypotheses"],
        candidates=candidates,
        numbers=numbers,
        charts=charts,
        recommendation=mitigation["recommendation"],
        notes=caveats(mitigation),
        css=Markup(css + _EXTRA_CSS),
    )
    logger.debug("rendered mitigation page of %d characters", len(html))
    return html
