"""Headless Chromium for the report's tests, driven by selenium through Debian's chromedriver.

No driver download: ``Service('/usr/bin/chromedriver')`` and ``/usr/bin/chromium`` from Debian
(``scripts/system-deps.sh`` installs them). The network is cut off: every request goes to a
proxy at 127.0.0.1:9, where nothing listens, and the performance log records every request the
page makes so a test can prove there were none.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Final

import pytest

CHROMIUM: Final = "/usr/bin/chromium"
CHROMEDRIVER: Final = "/usr/bin/chromedriver"
#: Generous: a cold browser start on a busy CI machine.
TIMEOUT: Final = 120


def require_browser() -> None:
    """Skip without a browser, except under CI=true, where a missing browser is a failure."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install -e '.[dev]')")
    if not missing:
        return
    message = f"missing {', '.join(missing)}: run `make test` (scripts/system-deps.sh)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def start_chromium(profile: Path, *, width: int = 1400, height: int = 1800) -> Any:
    """A headless Chromium with a fresh profile, no network and a performance log."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # tests run as root in containers
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--proxy-server=127.0.0.1:9",  # the network, cut off
        "--proxy-bypass-list=<-loopback>",  # ... loopback included
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(CHROMEDRIVER, log_output=os.devnull)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(TIMEOUT)
    driver.set_script_timeout(TIMEOUT)
    return driver


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser asked for since the log was last read (Network.requestWillBeSent)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def keep_artifact(path: Path) -> Path | None:
    """Copy ``path`` to ``$WRK_TEST_ARTIFACTS`` when set (CI uploads that folder)."""
    folder = os.environ.get("WRK_TEST_ARTIFACTS")
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(path, Path(folder) / path.name))
