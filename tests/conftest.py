"""Fixtures shared across test folders: a headless Chromium driven through selenium."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@dataclass
class PageVisit:
    """What the browser did while loading one local page."""

    url: str
    console_errors: list[dict]
    requested_urls: list[str]

    @property
    def other_requests(self) -> list[str]:
        """Requests for anything but the page itself, inline data and the browser's own
        pages (``chrome://``, which its start page loads)."""
        return [
            url
            for url in self.requested_urls
            if url != self.url and not url.startswith(("data:", "chrome"))
        ]


@pytest.fixture
def browser(tmp_path: Path):
    """A headless Chromium that logs console messages and network requests.

    Skips when Debian's chromium and chromium-driver are not installed.
    """
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

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


def _requested_urls(driver) -> list[str]:
    """Return the URL of every request since the last call, from the DevTools log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


@pytest.fixture
def visit(browser) -> Callable[[Path], PageVisit]:
    """Open a local file in the browser and return its console errors and requests."""

    def open_page(path: Path) -> PageVisit:
        url = path.resolve().as_uri()
        # Discard the requests of Chromium's start page, so the log holds only the page's.
        _requested_urls(browser)
        browser.get(url)
        errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        return PageVisit(url, errors, _requested_urls(browser))

    return open_page
