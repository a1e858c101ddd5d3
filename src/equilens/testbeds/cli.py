"""Command-line interface of the test beds, mounted by the main CLI as ``equilens testbed``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from equilens.errors import EquilensError
from equilens.testbeds._beds import generate_with_stats, list_beds
from equilens.testbeds._io import write_jsonl

app = typer.Typer(
    name="testbed",
    help="List and generate the synthetic text test beds.",
    no_args_is_help=True,
    add_completion=False,
)

#: Exit code for invalid input, shared with the main CLI.
USAGE_ERROR = 2


def _fail(error: EquilensError) -> None:
    Console(stderr=True).print(f"[bold red]Error:[/] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=USAGE_ERROR)


@app.command("list")
def list_command() -> None:
    """Show the beds, their locales and how many items each generates per locale."""
    table = Table(title="Test beds")
    table.add_column("bed")
    table.add_column("locales")
    table.add_column("items per locale")
    table.add_column("gold labels")
    table.add_column("description")

    for info in list_beds():
        result = generate_with_stats(info.name)
        counts = ", ".join(f"{loc} {n}" for loc, n in result.stats.items_per_locale.items())
        table.add_row(
            info.name,
            ", ".join(info.locales),
            counts,
            ", ".join(info.gold_labels),
            info.description,
        )
    Console().print(table)


@app.command("generate")
def generate_command(
    bed: Annotated[str, typer.Option("--bed", help="Name of the bed, e.g. escalation.")],
    out: Annotated[Path, typer.Option("--out", help="Output JSON Lines file.")],
    locale: Annotated[
        list[str] | None,
        typer.Option("--locale", help="Locale code to include; repeat for several. Default: all."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the persona and name draws.")] = 0,
) -> None:
    """Generate one bed and write it as JSON Lines."""
    try:
        result = generate_with_stats(bed, locales=locale or None, seed=seed)
    except EquilensError as error:
        _fail(error)
        return

    try:
        write_jsonl(result.items, out)
    except OSError as error:
        Console(stderr=True).print(
            f"[bold red]Error:[/] cannot write {out}: {error}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(code=USAGE_ERROR) from None

    Console().print(f"{bed}: {result.stats.summary()} -> {out}", highlight=False, soft_wrap=True)
