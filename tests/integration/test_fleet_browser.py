"""The fleet page (``wrk report --fleet``) as a person sees it, in headless Chromium with the
network cut off: machines by dimension coloured by grade, evidence age, 30 days of history as
inline SVG, and tool-version drift with the odd one out highlighted. The review page carries the
same section.

Evidence: the team's real snapshots imported with ``wrk readiness import`` (re-dated to the last
days, so they are fresh), and probe readiness records written by the real ledger with tool
versions (git 2.39.2 on two machines, 2.30.1 on the third: the odd one out).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import wrkkit
import yaml
from browser import keep_artifact, requested_urls, require_browser, start_chromium

from wrk_ansible import clock
from wrk_ansible.evidence.ledger import Ledger

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "equality"
WAIT = 60
NOW = datetime.now(UTC)
MIDNIGHT = NOW.replace(hour=0, minute=0, second=0, microsecond=0)


def _day(days_ago: int) -> datetime:
    """A moment ``days_ago`` days back, on that calendar day and never after now: halfway
    between midnight and the time of day it is now (the tests count marks per day)."""
    return MIDNIGHT - timedelta(days=days_ago) + (NOW - MIDNIGHT) / 2


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return wrkkit.wrk(root, root / "wrk.yml", *args)


def _snapshot(root: Path, machine: str, days_ago: int, licensed: bool = False) -> Path:
    text = (FIXTURES / f"equality-{machine}.yaml").read_text(encoding="utf-8")
    when = _day(days_ago).strftime("%Y-%m-%dT%H:%M:%S")
    head, rest = text.split("\n", 1)
    assert head.startswith("generated_at:")
    text = f'generated_at: "{when}"\n{rest}'
    if licensed:
        for name in ("orcaflex", "orcawave", "aqwa", "ansys"):
            for was in ("present", "absent"):
                text = text.replace(
                    f"{{name: {name}, status: {was}", f"{{name: {name}, status: licensed"
                )
    path = root / f"{machine}-{days_ago}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _probed(ledger: Ledger, host: str, git: str) -> None:
    seen = {
        "host": host,
        "reachable": True,
        "observed_at": clock.stamp(_day(6)),  # older than the snapshots: no dimensions
        "schema_version": 2,
        "checks": [
            {"name": "git", "kind": "tool", "ok": True, "found": git, "data": {"version": git}}
        ],
    }
    body = {"host": host, "requirements_sha256": "0" * 64, "requirements": {}, "observation": seen}
    ledger.append("_readiness", "control", "readiness", body)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    require_browser()
    root = tmp_path_factory.mktemp("fleet")
    local = {"ansible_connection": "local", "wrk_access": "local"}
    hosts = {
        "dev-primary": {**local, "wrk_os": "linux"},
        "ace-win-1": {**local, "wrk_os": "windows"},
        "build9": {**local, "wrk_os": "linux"},
    }
    (root / "inventory").mkdir()
    inventory = {"all": {"hosts": hosts}}
    (root / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    shutil.copy(FIXTURES / "harness-config.yaml", root / "harness-config.yaml")
    config = {
        "version": 1,
        "inventory": "inventory",
        "evidence_dir": "evidence",
        "fleet": {"harness_config": "harness-config.yaml"},
    }
    (root / "wrk.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    files = [_snapshot(root, "dev-primary", d) for d in (3, 0)]
    files += [_snapshot(root, "ace-win-1", d, licensed=d == 2) for d in (5, 4, 2, 0)]
    done = _run(root, "readiness", "import", *map(str, files), "--here", "dev-primary")
    assert done.returncode == 0, done.stderr
    ledger = Ledger(root / "evidence")
    for host, git in (("dev-primary", "2.39.2"), ("ace-win-1", "2.30.1"), ("build9", "2.39.2")):
        _probed(ledger, host, git)
    out = root / "fleet.html"
    done = _run(root, "report", "--fleet", "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    review = root / "review.html"
    (root / "queue" / "pending").mkdir(parents=True)
    item = "---\nid: WRK-1\nstatus: pending\ncomputer: dev-primary\n---\n"
    (root / "queue" / "pending" / "WRK-1.md").write_text(item, encoding="utf-8")
    done2 = _run(root, "report", "queue", "-o", str(review))
    assert done2.returncode == 0, done2.stderr
    return {"path": out, "review": review, "root": root, "json": json.loads(done.stdout)["fleet"]}


@pytest.fixture(scope="module")
def driver(page: dict[str, Any]) -> Any:
    browser = start_chromium(page["root"] / "profile")
    try:
        browser.execute_cdp_cmd("Network.enable", {})
        yield browser
    finally:
        browser.quit()


def _open(driver: Any, path: Path) -> list[str]:
    from selenium.webdriver.support.ui import WebDriverWait

    requested_urls(driver)
    driver.get(path.as_uri())
    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    return requested_urls(driver)


def test_the_fleet_page_makes_no_request_and_grades_each_machine(
    driver: Any, page: dict[str, Any]
) -> None:
    from selenium.webdriver.common.by import By

    assert _open(driver, page["path"]) == [page["path"].as_uri()]
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    rows = {
        r.get_attribute("data-host"): r
        for r in driver.find_elements(By.CSS_SELECTOR, "tr.fleet-host")
    }
    assert set(rows) == {"dev-primary", "ace-win-1", "build9"}
    grades = {h: r.get_attribute("data-grade") for h, r in rows.items()}
    # ace-win-1's newest snapshot (today) is install-only: its solvers are below its baseline
    assert grades == {"dev-primary": "ok", "ace-win-1": "below-baseline", "build9": "-"}
    solvers = rows["ace-win-1"].find_element(By.CSS_SELECTOR, 'td[data-dimension="solvers"]')
    assert solvers.text.startswith("below-baseline")
    assert "orcaflex present, expected licensed" in solvers.text
    colour = solvers.value_of_css_property("background-color")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    assert "imported" in rows["ace-win-1"].text
    assert driver.find_elements(By.ID, "items") == []  # a page of its own


def test_history_is_inline_svg_one_mark_per_day(driver: Any, page: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, page["path"])
    row = driver.find_element(By.CSS_SELECTOR, 'tr.fleet-host[data-host="ace-win-1"]')
    svg = row.find_element(By.CSS_SELECTOR, "svg.hist")
    marks = [r.get_attribute("class") for r in svg.find_elements(By.TAG_NAME, "rect")]
    assert len(marks) == 30
    assert marks[-6:] == ["d-fail", "d-fail", "d-none", "d-pass", "d-none", "d-fail"]
    assert svg.get_attribute("aria-label") == "1 pass, 3 fail in 30 days"
    history = next(h for h in page["json"]["hosts"] if h["host"] == "ace-win-1")["history"]
    assert [d["state"] for d in history][-6:] == ["fail", "fail", "none", "pass", "none", "fail"]


def test_drift_highlights_the_odd_one_out(driver: Any, page: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, page["path"])
    (git,) = driver.find_elements(By.CSS_SELECTOR, 'table.drift tr[data-tool="git"]')
    odd = git.find_elements(By.CSS_SELECTOR, "span.ver.odd")
    assert [o.get_attribute("data-host") for o in odd] == ["ace-win-1"]
    assert "(odd one out)" in odd[0].text
    assert odd[0].value_of_css_property("background-color") not in (
        "rgba(0, 0, 0, 0)",
        "transparent",
    )
    (drift,) = page["json"]["drift"]
    assert {v["host"]: v["odd"] for v in drift["versions"]} == {
        "ace-win-1": True,
        "build9": False,
        "dev-primary": False,
    }


def test_the_review_page_has_the_fleet_section(driver: Any, page: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    assert _open(driver, page["review"]) == [page["review"].as_uri()]
    section = driver.find_element(By.ID, "fleet")
    assert section.is_displayed()
    assert len(section.find_elements(By.CSS_SELECTOR, "tr.fleet-host")) == 3
    assert driver.find_element(By.CSS_SELECTOR, 'nav a[href="#fleet"]')


def test_fleet_screenshot(driver: Any, page: dict[str, Any], tmp_path: Path) -> None:
    _open(driver, page["path"])
    shot = tmp_path / "fleet.png"
    assert driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000
    kept = keep_artifact(shot)
    print(f"screenshot: {shot}" + (f" (kept at {kept})" if kept else ""))
