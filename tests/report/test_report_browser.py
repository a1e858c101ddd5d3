"""Open the written report.html in headless Chromium and check what the browser did.

The browser loads only the local file. The test asserts that the page logs no console
errors (a Content-Security-Policy violation would be one) and requests nothing but the
file itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from equilens.report import write_report


def test_report_opens_offline_without_errors(loan_findings, tmp_path: Path, visit) -> None:
    paths = write_report(loan_findings, tmp_path / "out")

    page = visit(paths["html"])

    assert page.console_errors == []
    assert page.url in page.requested_urls
    assert page.other_requests == []


def test_report_shows_hostile_strings_as_text(loan_findings, tmp_path: Path, browser) -> None:
    paths = write_report(loan_findings, tmp_path / "out")

    browser.get(paths["html"].resolve().as_uri())

    assert browser.title == "Bias audit: Loan approval Q3 <script>alert(1)</script> \"&' | *v2*"
    assert browser.find_elements(By.TAG_NAME, "script") == []
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018


def test_report_charts_have_size(loan_findings, tmp_path: Path, browser) -> None:
    paths = write_report(loan_findings, tmp_path / "out")

    browser.get(paths["html"].resolve().as_uri())

    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 8
    assert all(chart.size["width"] > 300 and chart.size["height"] > 100 for chart in charts)
