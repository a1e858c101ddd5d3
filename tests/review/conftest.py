"""Fixtures of the review tests: a small tabular audit and a small text audit, written once."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from review_cases import TEXT_PLAN

from equilens import AuditPlan, run_audit
from equilens.text import parse_text_plan, run_text_audit


@pytest.fixture(scope="session")
def tabular_run_dir(tmp_path_factory) -> Path:
    """A tabular audit of 600 rows in regions a (400 rows), b (150) and c (50)."""
    rng = np.random.default_rng(11)
    region = np.repeat(["a", "b", "c"], [400, 150, 50])
    y_true = rng.integers(0, 2, len(region))
    score = np.clip(0.5 * y_true + rng.normal(0.25, 0.2, len(region)), 0, 1)
    frame = pd.DataFrame(
        {
            "row_id": np.arange(len(region)),
            "region": region,
            "outcome": y_true,
            "decision": (score >= 0.5).astype(int),
            "probability": score,
        }
    )
    plan = AuditPlan.model_validate(
        {
            "name": "review fixture",
            "target": "outcome",
            "prediction": {"column": "decision", "score_column": "probability"},
            "protected": [{"name": "region", "reference": "a"}],
            "bootstrap_replicates": 100,
            "hypotheses": [
                {
                    "id": "recall_region",
                    "metric": "true_positive_rate",
                    "attribute": "region",
                    "comparison": "difference",
                    "threshold": 0.1,
                }
            ],
        }
    )
    out = tmp_path_factory.mktemp("tabular-run")
    run_audit(plan, frame).write(out)
    return out


@pytest.fixture(scope="session")
def text_run_dir(tmp_path_factory) -> Path:
    """A text audit of VADER on the en-US escalation items and the fi-FI glosses."""
    out = tmp_path_factory.mktemp("text-run")
    run_text_audit(parse_text_plan(TEXT_PLAN)).write(out)
    return out


@pytest.fixture
def copy_run(tmp_path) -> Callable[[Path], Path]:
    """Copy a session run folder into this test's folder, so the test may change it."""

    def copy(source: Path) -> Path:
        target = tmp_path / source.name
        shutil.copytree(source, target)
        return target

    return copy
