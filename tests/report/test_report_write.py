"""Tests of write_report, which writes report.html and summary.md into a directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from equilens.errors import EquilensError
from equilens.report import render_html, render_summary, write_report


def test_write_report_writes_both_files(loan_findings, tmp_path: Path) -> None:
    paths = write_report(loan_findings, tmp_path)
    assert paths == {"html": tmp_path / "report.html", "summary": tmp_path / "summary.md"}
    assert paths["html"].read_text(encoding="utf-8") == render_html(loan_findings)
    assert paths["summary"].read_text(encoding="utf-8") == render_summary(loan_findings)


def test_write_report_creates_directory(loan_findings, tmp_path: Path) -> None:
    out_dir = tmp_path / "audit" / "2024-q3"
    paths = write_report(loan_findings, out_dir)
    assert out_dir.is_dir()
    assert paths["html"].is_file()


def test_write_report_invalid_writes_nothing(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    with pytest.raises(EquilensError):
        write_report({"schema": "something else", "audit": {}}, out_dir)
    assert not out_dir.exists()
