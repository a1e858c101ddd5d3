"""Command-line interface of the review workflow, mounted by the main CLI as ``equilens review``.

Invalid input prints one message and exits with code 2, without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from equilens.errors import EquilensError
from equilens.review._result import ADJUDICATE_ABOVE, MIN_ALPHA

app = typer.Typer(
    name="review",
    help="Human review of an audit's labels: export a sample, import labels, apply adjudication.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)

#: Exit code for invalid input, shared with the main CLI.
USAGE_ERROR = 2

RunArgument = Annotated[
    Path, typer.Argument(metavar="RUN_DIR", help="Output folder of the audit to review.")
]


@contextmanager
def _input_errors() -> Iterator[None]:
    try:
        yield
    except EquilensError as error:
        console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(USAGE_ERROR) from None
    except OSError as error:
        console.print(
            f"[bold red]error:[/] cannot read or write {error.filename}: {error.strerror}.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(USAGE_ERROR) from None


@app.command("export")
def export_command(
    run_dir: RunArgument,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Sample folder to write. Default: RUN_DIR/review."),
    ] = None,
    size: Annotated[int, typer.Option(help="Number of items to sample.")] = 400,
    min_per_stratum: Annotated[
        int, typer.Option(help="Items drawn from every stratum (all of a smaller one).")
    ] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the draw and of the task order.")] = 0,
    group: Annotated[
        list[str] | None,
        typer.Option(
            help="Item column that forms the groups; repeat for an intersection. "
            "Default: locale, or the first audited attribute."
        ),
    ] = None,
    model_run: Annotated[
        list[str] | None,
        typer.Option(
            help="Run whose items are sampled and whose decisions set the strata; repeat "
            "for several. Default: all runs."
        ),
    ] = None,
    labels: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated labels reviewers choose from, lowest first for "
            "an ordinal scale. Default: the plan's labels."
        ),
    ] = None,
    label_type: Annotated[
        str, typer.Option(help="Level of measurement: nominal, ordinal or interval.")
    ] = "nominal",
) -> None:
    """Draw a stratified review sample and write it for reviewers and Label Studio."""
    from equilens.review._scale import parse_labels
    from equilens.review._workflow import DEFAULT_SAMPLE_FOLDER, export_review

    with _input_errors():
        sample = export_review(
            run_dir,
            out,
            size=size,
            min_per_stratum=min_per_stratum,
            seed=seed,
            group=group,
            model_runs=model_run,
            labels=parse_labels(labels) if labels else None,
            level=label_type,
        )
    folder = out if out is not None else run_dir / DEFAULT_SAMPLE_FOLDER
    settings = sample.settings
    console.print(
        f"Sampled {settings['sampled']} of {settings['population']} items from "
        f"{len(sample.strata)} strata; labels: {', '.join(sample.scale.labels)}.",
        highlight=False,
    )
    console.print(f"Review files written to {folder}", highlight=False)


@app.command("import")
def import_command(
    annotations: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="Label Studio JSON export, or CSV with item_id, annotator_id, label and "
            "optional annotator_* columns.",
        ),
    ],
    run: Annotated[Path, typer.Option("--run", help="Output folder of the reviewed audit.")],
    sample: Annotated[
        Path | None,
        typer.Option(help="Sample folder of 'review export'. Default: RUN_DIR/review if present."),
    ] = None,
    annotators: Annotated[
        Path | None,
        typer.Option(help="CSV of annotator_id and annotator_* attribute columns."),
    ] = None,
    adjudicate_above: Annotated[
        float,
        typer.Option(
            help="Items whose share of labels differing from their most frequent label is "
            "above this go to adjudication."
        ),
    ] = ADJUDICATE_ABOVE,
    min_alpha: Annotated[
        float, typer.Option(help="Lower bound on Krippendorff's alpha in the reliability finding.")
    ] = MIN_ALPHA,
    replicates: Annotated[
        int, typer.Option(help="Bootstrap replicates of each confidence interval.")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
) -> None:
    """Import reviewers' labels, measure agreement and label bias, list disputed items."""
    from equilens.review._workflow import import_review

    with _input_errors():
        result = import_review(
            annotations,
            run,
            sample_dir=sample,
            annotators=annotators,
            adjudicate_above=adjudicate_above,
            min_alpha=min_alpha,
            replicates=replicates,
            seed=seed,
        )
    alpha = result.agreement["alpha"]
    shown = "undefined" if alpha["value"] is None else f"{alpha['value']:.3f}"
    if alpha.get("ci"):
        shown += f" [{alpha['ci'][0]:.3f}, {alpha['ci'][1]:.3f}]"
    console.print(f"Krippendorff's alpha ({result.scale.level}): {shown}", highlight=False)
    for finding in result.findings:
        console.print(
            f"{finding['verdict'].upper():<12} {finding['id']}: {finding['statement']}",
            highlight=False,
            markup=False,
        )
    console.print(
        f"{len(result.adjudication)} items to adjudicate in {result.settings['adjudication_file']}",
        highlight=False,
    )
    console.print(f"Review written to {run / 'review.json'}", highlight=False)


@app.command("apply")
def apply_command(
    adjudicated: Annotated[
        Path,
        typer.Argument(
            metavar="ADJUDICATED.csv",
            help="adjudication.csv with adjudicated_label filled in.",
        ),
    ],
    run: Annotated[Path, typer.Option("--run", help="Output folder of the reviewed audit.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the re-run audit.")],
) -> None:
    """Re-run the audit with adjudicated gold labels and show which findings changed."""
    from equilens.review._apply import apply_adjudication

    with _input_errors():
        applied = apply_adjudication(adjudicated, run, out)
    comparison = applied.comparison
    console.print(
        f"{len(applied.relabelled)} gold labels replaced; {comparison['verdicts_changed']} of "
        f"{len(comparison['findings'])} verdicts changed.",
        highlight=False,
    )
    for row in comparison["findings"]:
        if row["verdict_changed"]:
            console.print(
                f"{row['id']}: {row['verdict_before']} -> {row['verdict_after']}",
                highlight=False,
                markup=False,
            )
    console.print(f"Re-run audit written to {out}", highlight=False)
