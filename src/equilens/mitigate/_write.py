"""Write the files of a mitigation comparison and export the recommended model."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sklearn.base import clone

from equilens.mitigate._card import render_model_card
from equilens.mitigate._html import render_mitigation_html
from equilens.mitigate._summary import render_mitigation_summary

if TYPE_CHECKING:
    from equilens.mitigate._result import MitigationResult

logger = logging.getLogger(__name__)

JSON_NAME = "mitigation.json"
HTML_NAME = "mitigation.html"
SUMMARY_NAME = "summary.md"
MODEL_NAME = "model.skops"
CARD_NAME = "model_card.md"


def export_model(result: MitigationResult, name: str) -> bytes:
    """Return the skops bytes of a candidate's model fitted on the training rows.

    After cross-validation no single fold's model stands for the procedure, so the
    candidate is refitted on every row.
    """
    import skops.io

    candidate = result.candidate(name)
    model = candidate.model
    if model is None:
        data = result.data
        logger.info("refitting %s on all %d rows for export", name, len(data.rows))
        model = clone(candidate.template).fit(data.rows, data.y)
    return skops.io.dumps(model)


def write_outputs(result: MitigationResult, out_dir: Path) -> dict[str, Path]:
    """Write mitigation.json, mitigation.html and summary.md, and for a recommendation
    model.skops and model_card.md, into `out_dir`.

    Every file is rendered before any is written, so a rendering error leaves `out_dir`
    as it was.

    Returns
    -------
    dict of str to pathlib.Path
        The written files under the keys ``json``, ``html``, ``summary`` and, with a
        recommendation, ``model`` and ``card``.
    """
    import skops.io

    mapping: dict[str, Any] = result.to_dict()
    chosen = mapping["recommendation"].get("name")
    model_bytes = None
    mapping["model"] = None
    if chosen is not None:
        model_bytes = export_model(result, chosen)
        mapping["model"] = {
            "candidate": chosen,
            "path": MODEL_NAME,
            "card": CARD_NAME,
            "untrusted_types": skops.io.get_untrusted_types(data=model_bytes),
        }

    texts = {
        "json": json.dumps(mapping, indent=2, ensure_ascii=False, allow_nan=False),
        "html": render_mitigation_html(mapping),
        "summary": render_mitigation_summary(mapping),
    }
    if chosen is not None:
        texts["card"] = render_model_card(mapping)

    out_dir.mkdir(parents=True, exist_ok=True)
    names = {"json": JSON_NAME, "html": HTML_NAME, "summary": SUMMARY_NAME, "card": CARD_NAME}
    paths = {}
    for key, text in texts.items():
        paths[key] = out_dir / names[key]
        paths[key].write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    if model_bytes is not None:
        paths["model"] = out_dir / MODEL_NAME
        paths["model"].write_bytes(model_bytes)
    logger.info("wrote the mitigation comparison to %s", out_dir)
    return paths
