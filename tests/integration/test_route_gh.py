"""``wrk route --apply`` with the real ``gh`` binary on its offline paths: gh missing, not logged
in, no network. Each failure is reported per issue, recorded as a failed attempt (never as
applied), the rest still run, the command exits 1; the dry run from an export still works in
the same environment. Only loopback is contacted (``GH_HOST=127.0.0.1:9``: nothing listens)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "github"
JULY = FIXTURES / "issues-2026-07-27-sample.json"
RULES = FIXTURES / "routing-rules-2026-08.yaml"
DM = "vamseeachanta/digitalmodel"
#: Two issues with a proposal (rule 2, rule 4), one closed (none), one labelled (none).
REFS = (f"{DM}#1633", f"{DM}#1642", f"{DM}#1045", f"{DM}#157")


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "wrk.yml").write_text(f"version: 1\nrouting_rules: {RULES}\n", encoding="utf-8")
    return project


def _env(tmp_path: Path, path: str, **extra: str) -> dict[str, str]:
    """gh as a new user runs it: an empty home and config, no token, no proxy."""
    home = tmp_path / "home"
    (home / ".config" / "gh").mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": path,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GH_CONFIG_DIR": str(home / ".config" / "gh"),
        "PYTHONPATH": str(REPO),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "COLUMNS": "200",
    }
    return {**env, **extra}


def _wrk(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wrk_ansible", "route", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


def _records(project: Path) -> list[dict[str, object]]:
    root = project / ".wrk" / "evidence"
    return [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(root.rglob("*-label-change.json"))
    ]


def _offline_apply(project: Path, env: dict[str, str], meaning: str) -> None:
    done = _wrk(project, env, *REFS, "--issues", str(JULY), "--apply", "--here", "box1", "--json")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    found = {item["ref"]: item for item in json.loads(done.stdout)}
    for ref in (f"{DM}#1633", f"{DM}#1642"):
        applied = found[ref]["applied"]
        assert applied["outcome"] == "failed"
        assert meaning in applied["message"]
    assert "applied" not in found[f"{DM}#1045"]  # nothing proposed, nothing attempted
    assert "[1/2]" in done.stderr
    assert "[2/2]" in done.stderr  # the first failure did not stop the second
    assert "0 applied" in done.stderr
    assert "2 failed" in done.stderr
    records = _records(project)
    assert len(records) == 2
    for record in records:
        body = record["body"]
        assert isinstance(body, dict)
        assert (body["outcome"], body["step"]) == ("failed", "read")
        assert meaning in body["gh"]["message"]
    # The dry run from the export needs no gh at all.
    dry = _wrk(project, env, "--issues", str(JULY), "--json")
    assert dry.returncode == 0, dry.stderr
    routed = {item["ref"]: item for item in json.loads(dry.stdout)}
    assert routed[f"{DM}#1633"]["changes"] == {"add": ["machine:licensed-win-1"], "remove": []}
    # A live dry run of a reference fails the same way, per issue, exit 1.
    live = _wrk(project, env, f"{DM}#1633", f"{DM}#1642")
    assert live.returncode == 1
    assert live.stdout.count(meaning) == 2
    assert "Traceback" not in live.stderr


def test_gh_not_installed(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    _offline_apply(_project(tmp_path), _env(tmp_path, str(empty)), "gh CLI is not installed")


def test_gh_not_logged_in(gh: str, tmp_path: Path) -> None:
    env = _env(tmp_path, str(Path(gh).parent))
    _offline_apply(_project(tmp_path), env, "gh is not logged in")


def test_no_network(gh: str, tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        str(Path(gh).parent),
        GH_HOST="127.0.0.1:9",
        GH_TOKEN="not-a-token",
        GH_ENTERPRISE_TOKEN="not-a-token",
    )
    _offline_apply(_project(tmp_path), env, "GitHub is unreachable from here")


def test_the_edit_itself_fails_offline_as_a_failed_attempt(gh: str, tmp_path: Path) -> None:
    """Live references (no export): the read fails first, so gh issue edit is reached only
    through the seam; here it is run directly against nothing listening."""
    from wrk_ansible.issues.gh import edit_labels

    env = _env(tmp_path, str(Path(gh).parent), GH_HOST="127.0.0.1:9", GH_TOKEN="not-a-token")
    done = edit_labels(DM, 1633, add=["machine:licensed-win-1"], gh=gh, environ=env)
    assert not done.ok
    assert done.returncode == 1
    assert "unreachable" in done.message
    env = _env(tmp_path, str(Path(gh).parent))
    done = edit_labels(DM, 1633, add=["machine:licensed-win-1"], gh=gh, environ=env)
    assert not done.ok
    assert "not logged in" in done.message
