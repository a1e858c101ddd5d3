"""Open the written report.html in headless Chromium and check what the browser did.

The browser loads only the local file. The test asserts that the page logs no console
errors (a Content-Security-Policy violation would be one) and requests nothing but the
file itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from equilens.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)",
)


CHROMIUM_ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture
def browser(tmp_path: Path):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in CHROMIUM_ARGUMENTS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})

    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver) -> list[str]:
    """Return the URL of every request the page made, from the DevTools performance log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_report_opens_offline_without_errors(loan_findings, tmp_path: Path, browser) -> None:
    paths = write_report(loan_findings, tmp_path / "out")
    page = paths["html"].resolve().as_uri()
    # Discard the requests of Chromium's start page, so the log holds only the report's.
    requested_urls(browser)

    browser.get(page)

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    urls = requested_urls(browser)
    other_requests = [
        url for url in urls if url != page and not url.startswith("data:image/png;base64,")
    ]
    assert errors == []
    assert page in urls
    assert other_requests == []


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
