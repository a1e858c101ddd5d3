"""The review workflow on run folders: export a sample, import labels."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from equilens.review._annotations import read_annotations
from equilens.review._files import (
    ADJUDICATION_CSV,
    REVIEW_JSON,
    SAMPLE_JSON,
    attach_review,
    read_sample,
    write_json,
    write_sample,
)
from equilens.review._result import ADJUDICATE_ABOVE, MIN_ALPHA, ReviewResult, assess_review
from equilens.review._run import load_run
from equilens.review._sample import ReviewSample, draw_sample
from equilens.review._scale import LabelScale

logger = logging.getLogger(__name__)

#: Sample folder inside the run folder when no other is given.
DEFAULT_SAMPLE_FOLDER = "review"


def export_review(
    run_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    size: int = 400,
    min_per_stratum: int = 5,
    seed: int = 0,
    group: Sequence[str] | None = None,
    model_runs: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    level: str = "nominal",
) -> ReviewSample:
    """Draw a stratified review sample from an audit run and write its files.

    Parameters
    ----------
    run_dir : str or Path
        The audit's output folder.
    out_dir : str or Path, optional
        The sample folder; ``RUN_DIR/review`` by default. It receives review.csv,
        review_sample.json, annotation_sheet.csv, labelstudio_tasks.json and
        labelstudio_config.xml.
    size, min_per_stratum, seed, group, model_runs
        As in `draw_sample`.
    labels : sequence of str, optional
        Labels reviewers choose from; the plan's labels by default. For an ordinal
        scale, lowest first.
    level : {"nominal", "ordinal", "interval"}
        Level of measurement of the labels.

    Returns
    -------
    ReviewSample

    Examples
    --------
    >>> sample = export_review("audit/", "audit/review", size=300)  # doctest: +SKIP
    >>> sample.items["weight"].groupby(sample.items["stratum"]).sum()  # doctest: +SKIP
    """
    run = load_run(run_dir)
    scale = LabelScale(tuple(labels or run.labels), level, run.review_positive)
    sample = draw_sample(
        run,
        size=size,
        min_per_stratum=min_per_stratum,
        seed=seed,
        group=group,
        model_runs=model_runs,
        scale=scale,
    )
    out = Path(out_dir) if out_dir is not None else run.path / DEFAULT_SAMPLE_FOLDER
    write_sample(sample, out, run_dir=run.path)
    return sample


def import_review(
    annotations: str | Path,
    run_dir: str | Path,
    *,
    sample_dir: str | Path | None = None,
    annotators: str | Path | None = None,
    adjudicate_above: float = ADJUDICATE_ABOVE,
    min_alpha: float = MIN_ALPHA,
    replicates: int = 1000,
    seed: int = 0,
) -> ReviewResult:
    """Import reviewers' labels, measure agreement and store the review in the run.

    Writes ``RUN_DIR/review.json`` and the adjudication list ``adjudication.csv`` (into
    the sample folder, or the run folder without one), stores the review section in
    ``RUN_DIR/findings.json`` and renders report.html and summary.md again.

    Parameters
    ----------
    annotations : str or Path
        A Label Studio JSON export, or a CSV with ``item_id``, ``annotator_id``,
        ``label`` and optional ``annotator_*`` columns.
    run_dir : str or Path
        The audit's output folder.
    sample_dir : str or Path, optional
        The sample folder of `export_review`; ``RUN_DIR/review`` when it exists. Without
        a sample, items are unweighted.
    annotators : str or Path, optional
        A CSV of ``annotator_id`` and ``annotator_*`` attributes.
    adjudicate_above, min_alpha, replicates, seed
        As in `assess_review`.

    Returns
    -------
    ReviewResult

    Raises
    ------
    DataError
        For unusable labels (see `read_annotations`) or labels without any overlap
        between annotators.
    """
    run = load_run(run_dir)
    folder = Path(sample_dir) if sample_dir is not None else run.path / DEFAULT_SAMPLE_FOLDER
    sample = None
    if sample_dir is not None or (folder / SAMPLE_JSON).is_file():
        sample = read_sample(folder)
    scale = sample.scale if sample is not None else run.default_scale()
    item_ids = sample.items["item_id"] if sample is not None else run.items["item_id"]
    labels = read_annotations(
        annotations, scale=scale, item_ids=set(item_ids), annotators=annotators
    )
    result = assess_review(
        run,
        labels,
        sample=sample,
        scale=scale,
        replicates=replicates,
        seed=seed,
        adjudicate_above=adjudicate_above,
        min_alpha=min_alpha,
    )

    adjudication_dir = folder if sample is not None else run.path
    adjudication_path = adjudication_dir / ADJUDICATION_CSV
    result.settings["adjudication_file"] = str(adjudication_path)
    result.settings["sample"] = str(folder) if sample is not None else None
    result.adjudication.to_csv(adjudication_path, index=False, encoding="utf-8")
    write_json(run.path / REVIEW_JSON, result.to_dict())
    attach_review(run.path, result.summary())
    logger.info("Wrote %s and %s", run.path / REVIEW_JSON, adjudication_path)
    return result
