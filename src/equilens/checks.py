"""Gating on an audit: reading findings, judging them, and JUnit XML for CI systems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from equilens.errors import DataError, PlanError

SCHEMA_PREFIX = "equilens.findings/"


def load_findings(source: Path, *, trust_model: bool = False) -> dict[str, Any]:
    """Return a findings mapping from a findings.json file, or by running a plan file."""
    source = Path(source)
    if not source.is_file():
        raise DataError(f"File not found: {str(source)!r}. Give a plan (.yaml) or a findings.json.")
    if source.suffix.lower() == ".json":
        try:
            findings = json.loads(source.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise DataError(f"{str(source)!r} is not a valid JSON file: {error}") from None
        schema = findings.get("schema", "") if isinstance(findings, dict) else ""
        if not str(schema).startswith(SCHEMA_PREFIX):
            raise DataError(
                f"{str(source)!r} is not an equilens findings file (schema {schema!r}); expected "
                f"a findings.json written by 'equilens audit'."
            )
        return findings

    from equilens.runner import run_plan_file

    findings = run_plan_file(source, trust_model=trust_model).to_dict()
    if not findings["findings"]:
        raise PlanError(
            f"Plan {str(source)!r} has no hypotheses to check; add some under 'hypotheses'."
        )
    return findings


def failed(findings: dict[str, Any], *, strict: bool = False) -> bool:
    """Return whether any hypothesis failed (or, with `strict`, was inconclusive)."""
    bad = {"fail", "inconclusive"} if strict else {"fail"}
    return any(finding["verdict"] in bad for finding in findings.get("findings", []))


def write_junit(findings: dict[str, Any], path: Path, *, strict: bool = False) -> None:
    """Write one JUnit test case per hypothesis; inconclusive ones are skipped unless `strict`."""
    cases = findings.get("findings", [])
    suite = ElementTree.Element(
        "testsuite",
        name=str(findings.get("audit", {}).get("name", "equilens")),
        tests=str(len(cases)),
        failures=str(
            sum(
                case["verdict"] == "fail" or (strict and case["verdict"] == "inconclusive")
                for case in cases
            )
        ),
        skipped=str(0 if strict else sum(case["verdict"] == "inconclusive" for case in cases)),
    )
    for case in cases:
        element = ElementTree.SubElement(
            suite, "testcase", classname="equilens.hypotheses", name=str(case["id"])
        )
        message = _describe(case)
        if case["verdict"] == "fail" or (strict and case["verdict"] == "inconclusive"):
            ElementTree.SubElement(element, "failure", message=message).text = case["statement"]
        elif case["verdict"] == "inconclusive":
            ElementTree.SubElement(element, "skipped", message=message)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def _describe(case: dict[str, Any]) -> str:
    effect = case.get("effect") or {}
    value = effect.get("value")
    ci = effect.get("ci")
    group = " & ".join(effect.get("group") or [])
    shown = "n/a" if value is None else f"{value:.3f}"
    interval = f" (CI {ci[0]:.3f} to {ci[1]:.3f})" if ci else ""
    bound = f"{case['operator']} {case['threshold']}"
    return f"{case['verdict']}: {group} {shown}{interval}; threshold {bound}"
