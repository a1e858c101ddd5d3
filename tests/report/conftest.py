"""Fixtures for the report tests: the loan-approval findings and their renderings."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from equilens.report import render_html, render_summary

FIXTURE = Path(__file__).parent.parent / "fixtures" / "findings_loan.json"

# Strings in the fixture that contain HTML and Markdown metacharacters.
HOSTILE_PLAN_NAME = "Loan approval Q3 <script>alert(1)</script> \"&' | *v2*"
HOSTILE_GROUP = "not married <script>alert(1)</script> \"&' *|_[x]"


@pytest.fixture(scope="session")
def loan_findings_frozen() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def loan_findings(loan_findings_frozen: dict[str, Any]) -> dict[str, Any]:
    """A copy of the fixture that a test may change."""
    return copy.deepcopy(loan_findings_frozen)


@pytest.fixture(scope="session")
def loan_html(loan_findings_frozen: dict[str, Any]) -> str:
    return render_html(loan_findings_frozen)


@pytest.fixture(scope="session")
def loan_summary(loan_findings_frozen: dict[str, Any]) -> str:
    return render_summary(loan_findings_frozen)


def _relabel(findings: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """Return a copy of `findings` with every string value equal to `old` replaced by `new`."""
    text = json.dumps(findings).replace(json.dumps(old), json.dumps(new))
    return json.loads(text)


@pytest.fixture
def relabel() -> Callable[[dict[str, Any], str, str], dict[str, Any]]:
    """The function that renames a label everywhere in a findings mapping."""
    return _relabel
