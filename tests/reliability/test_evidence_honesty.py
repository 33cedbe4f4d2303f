"""Evidence answers that must not be "ok": an unrecorded gate, an empty verify, a truncated chain.

Real parts only: a team repository made by ``wrk init`` in a real git repository, whose host
(``build1``, ``ansible_connection: local``) is probed for real through ansible-runner; every
command is the real ``wrk`` in a subprocess; git is the real ``git``. Tests run as root, so a
folder's mode stops nothing: an evidence folder that cannot be written is one below a regular
file.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gitkit import git

pytestmark = pytest.mark.integration

RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]
HERE = "build1"
EXAMPLE = "queue/pending/WRK-001.md"
EXIT = {"pass": 0, "fail": 1, "pause": 2, "fallback": 3}
#: A hang catcher for a real probe, never a timing assertion.
SLOW = 180


@pytest.fixture
def team(tmp_path: Path, neutral_wrk: RunWrk) -> Path:
    """A fresh team repository (``wrk init --host build1``), committed."""
    root = tmp_path / "team"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    done = neutral_wrk("init", "--host", HERE, cwd=root)
    assert done.returncode == 0, done.stderr
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "wrk init")
    return root


def gate(
    neutral_wrk: RunWrk, root: Path, *extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    done = neutral_wrk(
        "gate", EXAMPLE, "--stage", "execute", "--here", HERE, "--timeout", "60", "--json",
        *extra, cwd=root, timeout=SLOW,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout.strip(), done.stderr
    return done, json.loads(done.stdout)


# -- a gate that could not record ---------------------------------------------------------------
def test_a_gate_that_cannot_record_exits_1_whatever_its_verdict(
    team: Path, neutral_wrk: RunWrk
) -> None:
    blocker = team.parent / "not-a-folder"
    blocker.write_text("a regular file where the evidence folder's parent must be\n")
    junit = team.parent / "gate.xml"
    where = ("--evidence-dir", str(blocker / "ev"))
    done, out = gate(neutral_wrk, team, *where, "--junit", str(junit))
    assert out["verdict"] == "pass"  # the verdict stays what it was
    assert done.returncode == 1, done.stderr  # but the answer is not ok
    assert out["recorded"] is False
    assert out["unrecorded_why"] == "evidence could not be written"
    assert out["evidence"] == []
    assert any("execute: evidence NOT recorded" in e for e in out["evidence_errors"])
    assert any("readiness of build1 NOT recorded" in e for e in out["evidence_errors"])
    assert str(blocker) in out["evidence_errors"][-1]
    assert "wrk: error: execute: evidence NOT recorded" in done.stderr
    suite = ET.parse(junit).getroot()
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["recorded"] == "false"
    (case,) = [c for c in suite.findall("testcase") if c.get("name") == "evidence"]
    assert case.find("failure") is not None
    assert int(suite.get("failures", "0")) >= 1
    assert int(suite.get("tests", "0")) == len(out["checks"]) + 1

    text = neutral_wrk(
        "gate", EXAMPLE, "--stage", "execute", "--here", HERE, "--timeout", "60",
        "--evidence-dir", str(blocker / "ev"), cwd=team, timeout=SLOW,
    )  # fmt: skip
    assert text.returncode == 1
    assert "PASS on build1" in text.stdout
    assert "NOT RECORDED" in text.stdout
    assert "Traceback" not in text.stderr


def test_no_record_keeps_the_verdicts_exit_code_and_says_so(
    team: Path, neutral_wrk: RunWrk
) -> None:
    blocker = team.parent / "not-a-folder"
    blocker.write_text("x\n")
    junit = team.parent / "gate.xml"
    done, out = gate(
        neutral_wrk, team, "--no-record", "--evidence-dir", str(blocker / "ev"),
        "--junit", str(junit),
    )  # fmt: skip
    assert (out["verdict"], done.returncode) == ("pass", 0)
    assert out["recorded"] is False
    assert out["unrecorded_why"] == "--no-record"
    assert (out["evidence"], out["evidence_errors"]) == ([], [])
    suite = ET.parse(junit).getroot()
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (props["recorded"], props["unrecorded_why"]) == ("false", "--no-record")
    assert [c for c in suite.findall("testcase") if c.get("name") == "evidence"] == []


def test_control_a_gate_that_records_says_recorded_true(team: Path, neutral_wrk: RunWrk) -> None:
    done, out = gate(neutral_wrk, team)
    assert (out["verdict"], done.returncode) == ("pass", 0)
    assert out["recorded"] is True
    assert out["unrecorded_why"] is None
    (ident,) = out["evidence"]
    assert ident.startswith("WRK-001/")
    verify = neutral_wrk("evidence", "verify", cwd=team)
    assert verify.returncode == 0, verify.stdout + verify.stderr


# -- verify with nothing to verify --------------------------------------------------------------
@pytest.mark.parametrize(
    ("where", "named"),
    [
        (["--evidence-dir", "/nonexistent/evidence"], "no such evidence folder (--evidence-dir)"),
        (["--evidence-dir", "{file}"], "is not a folder"),
        (["--evidence-dir", "{empty}"], "no evidence chain in this evidence folder"),
        (["WRK-999", "--evidence-dir", "{store}"], "no evidence for WRK-999"),
    ],
    ids=["no-folder", "a-file", "empty-folder", "no-such-chain"],
)
def test_verify_with_nothing_to_verify_exits_1_naming_what_it_looked_at(
    tmp_path: Path, run_wrk: RunWrk, where: list[str], named: str
) -> None:
    places = {
        "file": tmp_path / "a-file",
        "empty": tmp_path / "empty",
        "store": tmp_path / "store",
    }
    places["file"].write_text("not an evidence folder\n")
    places["empty"].mkdir()
    appended = run_wrk(
        "quota", "record", "claude", "--used-pct", "10", "--here", "box",
        "--evidence-dir", str(places["store"]),
    )  # fmt: skip
    assert appended.returncode == 0, appended.stderr  # the store holds a chain, not WRK-999's
    args = [a.format(**{k: str(v) for k, v in places.items()}) for a in where]
    looked_at = next(a for a in args if a.startswith("/"))

    done = run_wrk("evidence", "verify", *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert named in done.stderr
    assert looked_at in done.stderr
    assert "nothing was verified" in done.stderr
    assert "Traceback" not in done.stderr

    as_json = run_wrk("evidence", "verify", *args, "--json")
    assert as_json.returncode == 1
    error = json.loads(as_json.stdout)["error"]
    assert (error["file"], error["exit_code"]) == (looked_at, 1)
    assert named in error["message"]

    allowed = run_wrk("evidence", "verify", *args, "--allow-empty", "--json")
    if "a-file" in looked_at:  # not an honest empty store: refused whatever --allow-empty says
        assert allowed.returncode == 1
        assert json.loads(allowed.stdout)["error"]["file"] == looked_at
    else:
        assert allowed.returncode == 0, allowed.stderr
        out = json.loads(allowed.stdout)
        assert (out["ok"], out["empty"], out["chains"]) == (True, True, [])
        assert "nothing was verified" in out["message"]
        assert "nothing was verified" in allowed.stderr


def test_control_verify_with_a_chain_exits_0(tmp_path: Path, run_wrk: RunWrk) -> None:
    store = tmp_path / "store"
    appended = run_wrk(
        "quota", "record", "claude", "--used-pct", "10", "--here", "box",
        "--evidence-dir", str(store),
    )  # fmt: skip
    assert appended.returncode == 0, appended.stderr
    done = run_wrk("evidence", "verify", "--evidence-dir", str(store), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout)
    assert (out["ok"], out["empty"], [c["records"] for c in out["chains"]]) == (True, False, [1])
