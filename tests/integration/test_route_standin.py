"""``wrk route --apply`` succeeding for real: the real ``gh`` binary against a loopback HTTPS
stand-in for the GitHub API (tests/ghstub.py), holding the team's July export. The edits land,
each is recorded as applied, a rerun changes nothing; a label the repository lacks and an
unknown issue fail as gh says they do. Only 127.0.0.1 is contacted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ghstub import Hub, certificate, serve

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "github"
JULY = FIXTURES / "issues-2026-07-27-sample.json"
RULES = FIXTURES / "routing-rules-2026-08.yaml"
DM = "vamseeachanta/digitalmodel"
#: The dry run's count of issues with a proposal in the July export.
PROPOSED = 21


def _required(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        message = f"{tool} is missing: run `make test` (scripts/system-deps.sh installs gh)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


class Site:
    """The stand-in running, a project folder, and ``wrk route`` pointed at both."""

    def __init__(self, tmp: Path, hub: Hub, host: str, cert: Path, gh: str) -> None:
        self.hub = hub
        self.project = tmp / "project"
        self.project.mkdir()
        (self.project / "wrk.yml").write_text(
            f"version: 1\nrouting_rules: {RULES}\n", encoding="utf-8"
        )
        home = tmp / "home"
        (home / ".config" / "gh").mkdir(parents=True)
        self.env = {
            "PATH": f"{Path(gh).parent}:/usr/bin:/bin",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "GH_CONFIG_DIR": str(home / ".config" / "gh"),
            "GH_HOST": host,
            "GH_ENTERPRISE_TOKEN": "not-a-token",
            "SSL_CERT_FILE": str(cert),
            "PYTHONPATH": str(REPO),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
        }

    def route(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wrk_ansible", "route", *args],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=600,
            check=False,
        )

    def records(self) -> list[dict[str, object]]:
        root = self.project / ".wrk" / "evidence"
        return [
            json.loads(path.read_text(encoding="utf-8"))["body"]
            for path in sorted(root.rglob("*-label-change.json"))
        ]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    gh = _required("gh")
    _required("openssl")
    made = certificate(tmp_path)
    assert made is not None
    cert, key = made
    hub = Hub.from_export(JULY)
    with serve(hub, cert, key) as host:
        yield Site(tmp_path, hub, host, cert, gh)


def _apply(site: Site, *refs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, dict]]:
    done = site.route(*refs, "--issues", str(JULY), "--apply", "--here", "box1", "--json")
    assert "Traceback" not in done.stderr
    return done, {item["ref"]: item for item in json.loads(done.stdout)}


def test_apply_lands_is_recorded_and_a_rerun_changes_nothing(site: Site) -> None:
    done, found = _apply(site)
    assert done.returncode == 0, done.stderr
    applied = [item for item in found.values() if "applied" in item]
    assert len(applied) == PROPOSED
    assert {item["applied"]["outcome"] for item in applied} == {"applied"}
    assert "machine:licensed-win-1" in site.hub.labels_of("vamseeachanta", "digitalmodel", 1633)
    assert "machine:dev-primary" in site.hub.labels_of("vamseeachanta", "digitalmodel", 1642)
    assert len(site.hub.operations("LabelAdd")) == PROPOSED
    assert site.hub.operations("LabelRemove") == []
    assert site.hub.operations("unknown") == []
    records = site.records()
    assert len(records) == PROPOSED
    assert {r["outcome"] for r in records} == {"applied"}
    assert all(r["gh"]["returncode"] == 0 for r in records)  # type: ignore[index]
    # The rerun from the same, now stale, export: each issue is read again and carries its
    # labels: nothing is edited, nothing recorded.
    again, found = _apply(site)
    assert again.returncode == 0, again.stderr
    assert {i["applied"]["outcome"] for i in found.values() if "applied" in i} == {"unchanged"}
    assert len(site.hub.operations("LabelAdd")) == PROPOSED
    assert len(site.records()) == PROPOSED
    # Read live, the issues propose nothing at all.
    live = site.route(f"{DM}#1633", f"{DM}#1642", "--json")
    assert live.returncode == 0, live.stderr
    assert [i["changes"] for i in json.loads(live.stdout)] == [{"add": [], "remove": []}] * 2


def test_a_label_the_repository_lacks_fails_that_issue_only(site: Site) -> None:
    del site.hub.repos[("vamseeachanta", "digitalmodel")].labels["machine:licensed-win-1"]
    done, found = _apply(site, f"{DM}#1633", f"{DM}#1642")
    assert done.returncode == 1
    failed = found[f"{DM}#1633"]["applied"]
    assert failed["outcome"] == "failed"
    assert "does not exist in the repository" in failed["message"]
    assert found[f"{DM}#1642"]["applied"]["outcome"] == "applied"
    outcomes = sorted((r["outcome"], r["step"]) for r in site.records())
    assert outcomes == [("applied", "edit"), ("failed", "edit")]
    assert "1 applied" in done.stderr
    assert "1 failed" in done.stderr


def test_an_unknown_issue_read_live_is_one_message(site: Site) -> None:
    done = site.route(f"{DM}#99999", f"{DM}#328")
    assert done.returncode == 1
    assert "no such issue" in done.stdout
    assert "+machine:licensed-win-1" in done.stdout  # the other one was routed
