"""The review page as a person sees it: rendered over the real sample queue and the examples,
opened in headless Chromium with the network cut off.

Evidence is written by the real ledger (gate and handoff records as ``wrk gate`` and
``wrk handoff`` write them), so the page shows verdicts, a P1 gap, a verified chain and a handoff.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import keep_artifact, requested_urls, require_browser, start_chromium

from wrk_ansible.contract.loader import iter_work_item_paths
from wrk_ansible.evidence.ledger import Ledger

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
WORK_QUEUE = REPO / "tests" / "fixtures" / "work-queue"
RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]

HOSTILE_TITLE = "<script>document.title='owned'</script><img src=x onerror=alert(1)>"
WAIT = 60


def _seed_evidence(root: Path) -> None:
    ledger = Ledger(root)
    gap = {
        "priority": "P1",
        "summary": "WRK-1342 execute: no ready machine (ace-win-1: unreachable)",
        "proposals": ["pause WRK-1342 execute until an assigned machine is ready, then gate again"],
    }
    records = [
        ("WRK-1342", "execute", "pause", [], [gap]),
        ("WRK-635", "execute", "fallback", ["dev-primary", "dev-secondary"], []),
        ("WRK-640", "execute", "pass", ["dev-primary"], []),
        ("WRK-640", "close", "fail", [], []),
    ]
    for wrk, stage, verdict, hosts, gaps in records:
        body = {
            "stage": stage,
            "verdict": verdict,
            "reason": f"{verdict} for the test",
            "for_hosts": hosts,
            "agent": "claude",
            "checks": [],
            "gaps": gaps,
        }
        ledger.append(wrk, "dev-primary", "gate", body)
    # leases: two live ones under the team's one Orcina seat (a double booking, as two clones
    # that each took it show once merged) and a stale one (no heartbeat, no outcome)
    for wrk, host, feature, expires in (
        ("WRK-640", "ace-win-1", "orcaflex", "2099-01-01T00:00:00.000000Z"),
        ("WRK-635", "ace-win-2", "orcawave", "2099-01-02T00:00:00.000000Z"),
        ("WRK-1342", "ace-linux-1", None, "2026-01-01T00:00:00.000000Z"),
    ):
        lease = {
            "for_stage": "execute",
            "hosts": [host],
            "provider": "codex",
            "features": [{"feature": feature, "seats": 1}] if feature else [],
            "ttl_minutes": 90,
            "expires": expires,
        }
        claim = {"stage": "claim", "verdict": "pass", "for_hosts": [host], "lease": lease}
        ledger.append(wrk, "dev-primary", "gate", claim)
    ledger.append(
        "WRK-635",
        "dev-primary",
        "handoff",
        {"from": "dev-primary", "to": "dev-secondary", "for_stage": "execute", "artifacts": []},
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, run_wrk: RunWrk) -> dict[str, Any]:
    require_browser()
    root = tmp_path_factory.mktemp("report")
    extra = root / "extra"
    extra.mkdir()
    (extra / "WRK-9001.md").write_text(
        f'---\nid: WRK-9001\ntitle: "{HOSTILE_TITLE}"\nstatus: pending\n'
        "computer: dev-primary\n---\n",
        encoding="utf-8",
    )
    (extra / "WRK-9002.md").write_text(
        "---\nid: WRK-9002\ntitle: broken\nstage_assignments: [1, 2\n---\n", encoding="utf-8"
    )
    evidence = root / "evidence"
    _seed_evidence(evidence)
    out = root / "review.html"
    inventory = EXAMPLES / "inventory"
    args = [str(WORK_QUEUE), str(EXAMPLES), str(extra), "-o", str(out)]
    proc = run_wrk(
        "report", *args, "-i", str(inventory), "--evidence-dir", str(evidence), timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "1 with contract errors" in proc.stderr
    files = list(iter_work_item_paths([str(WORK_QUEUE), str(EXAMPLES), str(extra)]))
    return {"path": out, "files": files, "root": root}


@pytest.fixture(scope="module")
def driver(page: dict[str, Any]) -> Iterator[Any]:
    browser = start_chromium(page["root"] / "profile")
    try:
        browser.execute_cdp_cmd("Network.enable", {})
        yield browser
    finally:
        browser.quit()


def _open(driver: Any, path: Path) -> list[str]:
    requested_urls(driver)  # drop what earlier loads logged
    driver.get(path.as_uri())
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    return requested_urls(driver)


def _visible_sections(driver: Any) -> list[Any]:
    from selenium.webdriver.common.by import By

    return [s for s in driver.find_elements(By.CSS_SELECTOR, "section.wrk") if s.is_displayed()]


def test_page_loads_without_any_network_request(driver: Any, page: dict[str, Any]) -> None:
    urls = _open(driver, page["path"])
    assert urls == [page["path"].as_uri()], urls
    resources = driver.execute_script("return performance.getEntriesByType('resource').length")
    assert resources == 0
    fetching = driver.execute_script(
        "return document.querySelectorAll('[src], link, iframe, object, embed, base').length"
    )
    assert fetching == 0
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('[href]'), e => e.getAttribute('href'))"
    )
    assert hrefs
    assert all(h.startswith("#") for h in hrefs), hrefs


def test_the_network_check_can_fail(driver: Any, tmp_path: Path) -> None:
    """Control: a page that does fetch something is caught by the same check."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<html><body><img src="http://192.0.2.1/x.png"></body></html>')
    urls = _open(driver, leaky)
    assert "http://192.0.2.1/x.png" in urls


def test_seven_rows_per_wrk(driver: Any, page: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, page["path"])
    sections = driver.find_elements(By.CSS_SELECTOR, "section.wrk")
    assert len(sections) == len(page["files"])
    drawn = 0
    for section in sections:
        rows = section.find_elements(By.CSS_SELECTOR, "table.mx tbody tr")
        if not rows:  # a contract that could not be built: its errors, no placeholder rows
            assert "invalid" in (section.get_attribute("class") or "")
            assert section.find_elements(By.CSS_SELECTOR, "ul.errors li")
            continue
        drawn += 1
        assert len(rows) == 7, section.get_attribute("id")
        verdicts = [r.find_element(By.CSS_SELECTOR, "td.v").text.split("\n")[0] for r in rows]
        assert set(verdicts) <= {"pass", "fallback", "pause", "fail", "not run"}
    assert drawn >= len(sections) - 1  # one broken WRK in the page's set
    wrk_1342 = driver.find_element(By.ID, "wrk-WRK-1342")
    execute = wrk_1342.find_element(By.CSS_SELECTOR, 'tr[data-stage="execute"] td.v')
    assert execute.text.startswith("pause")
    colour = execute.value_of_css_property("background-color")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")  # coloured and labelled


def test_gaps_p1_first_and_linked(driver: Any, page: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, page["path"])
    gaps = driver.find_elements(By.CSS_SELECTOR, "#gaps li.gap")
    kinds = [g.get_attribute("data-kind") for g in gaps]
    ranks = [int(g.get_attribute("data-rank")) for g in gaps]
    assert kinds[0] == "p1"
    assert ranks == sorted(ranks)
    assert {"p1", "fail", "error", "derived"} <= set(kinds)
    assert gaps[0].find_element(By.CSS_SELECTOR, ".tag").text == "P1 gap"
    link = gaps[0].find_element(By.TAG_NAME, "a")
    target = link.get_attribute("href").split("#", 1)[1]
    assert driver.find_element(By.ID, target).tag_name == "section"


def test_leases_stale_first_and_the_double_booking(driver: Any, page: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, page["path"])
    section = driver.find_element(By.ID, "leases")
    assert section.is_displayed()
    assert section.find_element(By.TAG_NAME, "h2").text == "Leases (2 live, 1 stale)"
    rows = section.find_elements(By.CSS_SELECTOR, "tr.lease")
    assert [r.get_attribute("data-state") for r in rows] == ["stale", "live", "live"]
    assert rows[0].find_element(By.TAG_NAME, "a").text == "WRK-1342"
    assert "no heartbeat, expired 2026-01-01" in rows[0].text
    (pool,) = section.find_elements(
        By.CSS_SELECTOR, 'tr.cap-use[data-cap="solver_pools.orcina_flex"]'
    )
    assert "over" in (pool.get_attribute("class") or "")
    cells = [c.text for c in pool.find_elements(By.TAG_NAME, "td")]
    assert cells[1:3] == ["2", "1"]
    assert set(cells[3].split(", ")) == {"WRK-640", "WRK-635"}
    gaps = driver.find_elements(By.CSS_SELECTOR, "#gaps li.gap")
    (double,) = [g for g in gaps if "double booking" in g.text]
    assert double.get_attribute("data-kind") == "p1"
    assert "WRK-640" in double.text
    assert "WRK-635" in double.text
    (stale,) = [g for g in gaps if g.get_attribute("data-kind") == "stale"]
    assert stale.find_element(By.CSS_SELECTOR, ".tag").text == "stale lease"
    assert "wrk outcome WRK-1342 --stage execute" in stale.text
    link = stale.find_element(By.TAG_NAME, "a").get_attribute("href").split("#", 1)[1]
    assert driver.find_element(By.ID, link).tag_name == "section"


def test_hostile_title_shows_as_text(driver: Any, page: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, page["path"])
    heading = driver.find_element(By.CSS_SELECTOR, "#wrk-WRK-9001 h3")
    assert HOSTILE_TITLE in heading.text
    assert driver.title == "wrk review"
    assert len(driver.find_elements(By.TAG_NAME, "script")) == 1
    assert driver.find_elements(By.CSS_SELECTOR, "#wrk-WRK-9001 img") == []
    broken = driver.find_element(By.ID, "wrk-WRK-9002")
    assert "contract invalid" in broken.text
    assert "invalid YAML" in broken.text


def test_filters_work_from_the_keyboard_and_by_click(driver: Any, page: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    _open(driver, page["path"])
    total = len(page["files"])
    assert len(_visible_sections(driver)) == total
    shown = driver.find_element(By.ID, "shown")
    assert shown.text == f"{total} of {total} item(s) shown"

    # keyboard: "/" jumps to the first filter, Tab moves on to the verdict filter, typing picks
    driver.find_element(By.TAG_NAME, "body").send_keys("/")
    assert driver.switch_to.active_element.get_attribute("id") == "f-status"
    driver.switch_to.active_element.send_keys(Keys.TAB, Keys.TAB)
    verdict = driver.switch_to.active_element
    assert verdict.get_attribute("id") == "f-verdict"
    verdict.send_keys("pau")
    WebDriverWait(driver, WAIT).until(lambda d: len(_visible_sections(d)) < total)
    visible = _visible_sections(driver)
    assert visible, "the pause filter hid everything"
    for section in visible:
        assert "pause" in section.get_attribute("data-states").split()
    assert shown.text == f"{len(visible)} of {total} item(s) shown"
    gaps = [g for g in driver.find_elements(By.CSS_SELECTOR, "li.gap") if g.is_displayed()]
    assert {g.get_attribute("data-item") for g in gaps} <= {s.get_attribute("id") for s in visible}

    # click: reset, then the machine filter
    driver.find_element(By.ID, "f-reset").click()
    WebDriverWait(driver, WAIT).until(lambda d: len(_visible_sections(d)) == total)
    Select(driver.find_element(By.ID, "f-machine")).select_by_value("ace-win-2")
    WebDriverWait(driver, WAIT).until(lambda d: len(_visible_sections(d)) < total)
    for section in _visible_sections(driver):
        assert "ace-win-2" in section.get_attribute("data-machines").split()

    Select(driver.find_element(By.ID, "f-machine")).select_by_value("")
    Select(driver.find_element(By.ID, "f-status")).select_by_value("done")
    WebDriverWait(driver, WAIT).until(lambda d: len(_visible_sections(d)) < total)
    assert {s.get_attribute("data-status") for s in _visible_sections(driver)} == {"done"}


def test_sorting_worst_first(driver: Any, page: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    _open(driver, page["path"])
    Select(driver.find_element(By.ID, "f-sort")).select_by_value("worst")

    def worst(d: Any) -> list[int]:
        return [
            int(s.get_attribute("data-worst"))
            for s in d.find_elements(By.CSS_SELECTOR, "section.wrk")
        ]

    WebDriverWait(driver, WAIT).until(lambda d: worst(d) == sorted(worst(d)))
    first = driver.find_elements(By.CSS_SELECTOR, "section.wrk")[0]
    assert first.get_attribute("data-worst") == "0"  # a failed gate (WRK-640 close)


def test_readable_with_scripts_off(driver: Any, page: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        _open(driver, page["path"])
        assert len(_visible_sections(driver)) == len(page["files"])
        assert not driver.find_element(By.ID, "controls").is_displayed()
        assert driver.find_element(By.ID, "gaps").is_displayed()
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_screenshot_artifact(driver: Any, page: dict[str, Any], tmp_path: Path) -> None:
    _open(driver, page["path"])
    shot = tmp_path / "review.png"
    assert driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000  # a drawn page, not a blank one
    kept = keep_artifact(shot)
    print(f"screenshot: {shot}" + (f" (kept at {kept})" if kept else ""))
    shutil.copy2(page["path"], tmp_path / "review.html")


def test_a_missing_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import browser

    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="/nonexistent/chromium"):
        browser.require_browser()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        browser.require_browser()
