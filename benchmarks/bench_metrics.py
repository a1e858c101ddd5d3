"""Time equilens against fairlearn's MetricFrame on the same synthetic audit data.

Both libraries compute the same nine group metrics for every grouping of three protected
attributes: each attribute alone and every intersection of two or three of them (seven
groupings). The script measures, at each row count:

- equilens point estimates: encoding the protected columns and outcomes, one counting pass
  over the rows, and the metrics of every group;
- equilens with a 1,000-replicate bootstrap: the same steps plus bootstrap replicates and
  an interval for every metric of every group;
- the whole `run_audit` with 1,000 replicates, which also compares every group with its
  reference, tests the differences and adjusts the p-values (for context only);
- fairlearn point estimates: one `MetricFrame` per grouping;
- optionally, fairlearn's own bootstrap (`MetricFrame(n_boot=...)`) with a few replicates
  at the smallest row count, extrapolated to 1,000 replicates.

Each timing is the median of several runs. The results table goes to docs/benchmarks.md,
and the last line printed is the point-estimate speedup at the largest row count.

Run from the repository root:

    .venv/bin/python benchmarks/bench_metrics.py
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn.metrics as skm
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)

from equilens.audit import run_audit
from equilens.data.columns import binary_outcome, encode_attribute
from equilens.engines import count_groups
from equilens.metrics.table import estimate_grouping, point_values
from equilens.plan import ProtectedAttribute, parse_plan

REPLICATES = 1000
LEVEL = 0.95
SEED = 0

# Groups and their shares for each protected attribute of the synthetic data.
ATTRIBUTES = {
    "race": {"white": 0.6, "black": 0.15, "hispanic": 0.15, "asian": 0.07, "other": 0.03},
    "sex": {"male": 0.55, "female": 0.45},
    "age": {"18-29": 0.2, "30-44": 0.35, "45-64": 0.3, "65+": 0.15},
}
REFERENCES = {"race": "white", "sex": "male", "age": "30-44"}

# equilens metric name -> the fairlearn or scikit-learn function computing the same value.
FAIRLEARN_METRICS: dict[str, Callable] = {
    "selection_rate": selection_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "false_negative_rate": false_negative_rate,
    "true_negative_rate": true_negative_rate,
    "positive_predictive_value": skm.precision_score,
    "accuracy": skm.accuracy_score,
    "balanced_accuracy": skm.balanced_accuracy_score,
    "f1_score": skm.f1_score,
}
METRIC_NAMES = list(FAIRLEARN_METRICS)
GROUPINGS = [
    combination
    for size in range(1, len(ATTRIBUTES) + 1)
    for combination in itertools.combinations(ATTRIBUTES, size)
]


def synthetic_frame(n_rows: int, *, seed: int = SEED) -> pd.DataFrame:
    """Return loan-style rows: three protected attributes, outcomes and decisions.

    The outcome and decision rates differ by group, so the metrics differ between groups.
    """
    rng = np.random.default_rng(seed)
    columns = {}
    shift = np.zeros(n_rows)
    for name, shares in ATTRIBUTES.items():
        codes = rng.choice(len(shares), size=n_rows, p=list(shares.values()))
        columns[name] = np.array(list(shares), dtype=object)[codes]
        shift += 0.05 * codes
    y_true = (rng.random(n_rows) < 0.55 - shift / 2).astype(np.int64)
    approve = 0.25 + 0.5 * y_true - shift / 3
    y_pred = (rng.random(n_rows) < approve).astype(np.int64)
    return pd.DataFrame({**columns, "y_true": y_true, "y_pred": y_pred})


def equilens_counts(frame: pd.DataFrame):
    """Encode the columns as `run_audit` does and count every grouping in one pass."""
    attributes = []
    for name in ATTRIBUTES:
        spec = ProtectedAttribute(name=name, reference=REFERENCES[name])
        attributes.append(encode_attribute(frame[name].to_numpy(), spec, policy="group").attribute)
    y_true = binary_outcome(frame["y_true"].to_numpy(), 1, column="y_true", role="target")
    y_pred = binary_outcome(frame["y_pred"].to_numpy(), 1, column="y_pred", role="prediction")
    return count_groups(attributes, y_true, y_pred, groupings=GROUPINGS)


def equilens_point(frame: pd.DataFrame) -> dict:
    counts = equilens_counts(frame)
    return {grouping: point_values(counts[grouping], METRIC_NAMES) for grouping in GROUPINGS}


def equilens_bootstrap(frame: pd.DataFrame) -> dict:
    counts = equilens_counts(frame)
    return {
        grouping: estimate_grouping(
            counts[grouping], METRIC_NAMES, level=LEVEL, replicates=REPLICATES, seed=SEED
        )
        for grouping in GROUPINGS
    }


AUDIT_PLAN = parse_plan(
    {
        "target": "y_true",
        "prediction": {"column": "y_pred"},
        "protected": [{"name": name, "reference": REFERENCES[name]} for name in ATTRIBUTES],
        "intersections": "all",
        "metrics": METRIC_NAMES,
        "bootstrap_replicates": REPLICATES,
        "seed": SEED,
    }
)


def equilens_audit(frame: pd.DataFrame):
    return run_audit(AUDIT_PLAN, frame)


def fairlearn_frames(frame: pd.DataFrame, *, n_boot: int | None = None) -> dict:
    """Return one MetricFrame per grouping, the fairlearn route to the same numbers."""
    with warnings.catch_warnings():
        # scikit-learn warns on 0/0 metrics in small intersections.
        warnings.simplefilter("ignore")
        return {
            grouping: MetricFrame(
                metrics=FAIRLEARN_METRICS,
                y_true=frame["y_true"],
                y_pred=frame["y_pred"],
                sensitive_features=frame[list(grouping)],
                n_boot=n_boot,
                ci_quantiles=[(1 - LEVEL) / 2, (1 + LEVEL) / 2] if n_boot else None,
                random_state=SEED if n_boot else None,
            )
            for grouping in GROUPINGS
        }


def median_seconds(
    functions: dict[str, Callable[[], object]], repeats: int, *, warm_up: bool = True
) -> dict[str, tuple[float, float]]:
    """Return the median wall-clock and CPU seconds of `repeats` calls of each function.

    The functions take turns within each repeat, so that a change in the load of the
    machine affects all of them alike. CPU time counts only this process, so it varies
    less than wall-clock time when other processes share the machine.
    """
    if warm_up:
        for function in functions.values():
            function()
    wall = {name: [] for name in functions}
    cpu = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            function()
            wall[name].append(time.perf_counter() - wall_start)
            cpu[name].append(time.process_time() - cpu_start)
    return {
        name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in functions
    }


def check_agreement(frame: pd.DataFrame) -> None:
    """Raise AssertionError unless both libraries return the same defined group metrics."""
    ours = equilens_point(frame)
    counts = equilens_counts(frame)
    theirs = fairlearn_frames(frame)
    for grouping in GROUPINGS:
        by_group = theirs[grouping].by_group
        for g, label in enumerate(counts[grouping].labels):
            key = label if len(label) > 1 else label[0]
            for name in METRIC_NAMES:
                value = ours[grouping][name][g]
                expected = by_group.loc[key, name]
                if not np.isnan(value) and not np.isclose(value, expected):
                    raise AssertionError(
                        f"{name} of {label} is {value} in equilens and {expected} in fairlearn"
                    )


def machine_description() -> dict[str, str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    packages = ["numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "fairlearn"]
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "libraries": ", ".join(f"{name} {version(name)}" for name in packages),
        "date": datetime.date.today().isoformat(),
    }


def format_rows(n_rows: int) -> str:
    exponent = round(np.log10(n_rows))
    return f"1e{exponent}" if 10**exponent == n_rows else f"{n_rows:,}"


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def _results_table(results: list[dict], clock: str) -> list[str]:
    lines = [
        "| rows | equilens point | equilens + bootstrap | bootstrap overhead "
        "| equilens run_audit | fairlearn point | speedup (point) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in results:
        times = row[clock]
        overhead = times["bootstrap"] / times["point"] - 1
        speedup = times["fairlearn"] / times["point"]
        lines.append(
            f"| {format_rows(row['rows'])} | {times['point']:.3f} | {times['bootstrap']:.3f} "
            f"| {overhead:+.0%} | {times['audit']:.3f} | {times['fairlearn']:.2f} "
            f"| {speedup:.1f}x |"
        )
    return lines


def write_report(
    path: Path, command: str, results: list[dict], boot: dict | None, args: argparse.Namespace
) -> None:
    n_groups = sum(len(list(itertools.product(*(ATTRIBUTES[a] for a in g)))) for g in GROUPINGS)
    lines = [
        "# Benchmarks",
        "",
        "Time to compute the same nine group metrics (selection rate, TPR, FPR, FNR, TNR,",
        "precision, accuracy, balanced accuracy, F1) for every group of three protected",
        f"attributes and all their intersections: {len(GROUPINGS)} groupings, {n_groups} groups.",
        "The data is synthetic (`synthetic_frame` in the script). Both libraries read the same",
        "pandas DataFrame with string-valued attributes and 0/1 outcomes and decisions.",
        "",
        "- **equilens point**: encoding the columns, one counting pass and the metrics of",
        "  every group.",
        f"- **equilens + bootstrap**: the same plus {REPLICATES:,} bootstrap replicates and an",
        "  interval for every metric of every group (`estimate_grouping`).",
        f"- **equilens run_audit**: the whole audit with {REPLICATES:,} replicates. It also",
        "  compares every group with its reference group, tests each difference and adjusts",
        "  the p-values. It is shown for context, because fairlearn has no equivalent.",
        "- **fairlearn point**: one `MetricFrame` per grouping.",
        "",
        f"Each time is in seconds: the median of {_runs(args.repeats)} for equilens, after one",
        f"untimed warm-up run, and of {_runs(args.fairlearn_repeats)} for fairlearn. The three",
        "equilens measurements take turns within each run, so that changes in the load of the",
        "machine affect them alike.",
        "Bootstrap overhead is the bootstrap time over the point time, minus one. Speedup is",
        "fairlearn's point time over equilens's point time.",
        "",
        "## Wall-clock time",
        "",
        *_results_table(results, "wall"),
        "",
        "## CPU time of the benchmark process",
        "",
        *_results_table(results, "cpu"),
    ]
    if boot is not None:
        lines += [
            "",
            "## fairlearn's bootstrap (extrapolated)",
            "",
            f"`MetricFrame(n_boot={boot['replicates']})` for every grouping at "
            f"{format_rows(boot['rows'])} rows took {boot['seconds']:.1f} s (wall-clock, one run),",
            f"or {boot['per_replicate']:.2f} s per replicate after subtracting the point "
            "estimates.",
            f"**Extrapolated, not measured**: {REPLICATES:,} replicates would take about "
            f"{boot['extrapolated'] / 60:.0f} minutes at {format_rows(boot['rows'])} rows.",
            f"equilens's point estimates with {REPLICATES:,} replicates took "
            f"{boot['equilens']:.3f} s at that size.",
        ]
    machine = machine_description()
    lines += [
        "",
        "## How these numbers were produced",
        "",
        "```",
        command,
        "```",
        "",
        *[f"- {key}: {value}" for key, value in machine.items()],
        "",
        "Each library runs in one process and thread. Other processes that share the machine",
        "slow the wall-clock times, so expect some variation between runs.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=float, nargs="+", default=[1e5, 1e6], help="row counts to time"
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed runs of equilens per row count"
    )
    parser.add_argument(
        "--fairlearn-repeats", type=int, default=3, help="timed runs of fairlearn per row count"
    )
    parser.add_argument(
        "--fairlearn-boot",
        type=int,
        default=3,
        help="replicates of fairlearn's bootstrap at the smallest row count; 0 skips it",
    )
    parser.add_argument(
        "--output", type=Path, default=Path("docs/benchmarks.md"), help="Markdown file to write"
    )
    args = parser.parse_args(argv)
    command = "python benchmarks/bench_metrics.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )

    results = []
    for n_rows in [int(rows) for rows in args.rows]:
        frame = synthetic_frame(n_rows)
        check_agreement(frame)
        timings = median_seconds(
            {
                "point": lambda frame=frame: equilens_point(frame),
                "bootstrap": lambda frame=frame: equilens_bootstrap(frame),
                "audit": lambda frame=frame: equilens_audit(frame),
            },
            args.repeats,
        )
        # check_agreement has already run every MetricFrame once on this frame.
        timings |= median_seconds(
            {"fairlearn": lambda frame=frame: fairlearn_frames(frame)},
            args.fairlearn_repeats,
            warm_up=False,
        )
        row = {
            "rows": n_rows,
            "wall": {step: wall for step, (wall, _) in timings.items()},
            "cpu": {step: cpu for step, (_, cpu) in timings.items()},
        }
        results.append(row)
        wall = row["wall"]
        print(
            f"{format_rows(n_rows)} rows, wall-clock: equilens point {wall['point']:.3f} s, "
            f"+ bootstrap {wall['bootstrap']:.3f} s, run_audit {wall['audit']:.3f} s, "
            f"fairlearn point {wall['fairlearn']:.2f} s",
            flush=True,
        )

    boot = None
    if args.fairlearn_boot > 0:
        smallest = results[0]
        frame = synthetic_frame(smallest["rows"])
        start = time.perf_counter()
        fairlearn_frames(frame, n_boot=args.fairlearn_boot)
        seconds = time.perf_counter() - start
        point = smallest["wall"]["fairlearn"]
        per_replicate = max(seconds - point, 0.0) / args.fairlearn_boot
        boot = {
            "rows": smallest["rows"],
            "replicates": args.fairlearn_boot,
            "seconds": seconds,
            "per_replicate": per_replicate,
            "extrapolated": point + REPLICATES * per_replicate,
            "equilens": smallest["wall"]["bootstrap"],
        }
        print(
            f"fairlearn n_boot={args.fairlearn_boot} at {format_rows(smallest['rows'])} rows: "
            f"{seconds:.1f} s; {REPLICATES} replicates extrapolated to "
            f"{boot['extrapolated']:.0f} s",
            flush=True,
        )

    write_report(args.output, command.strip(), results, boot, args)
    largest = results[-1]["wall"]
    print(
        f"speedup vs fairlearn MetricFrame at {format_rows(results[-1]['rows'])} rows: "
        f"{largest['fairlearn'] / largest['point']:.1f}x"
    )


if __name__ == "__main__":
    main()
