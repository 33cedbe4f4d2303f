"""``wrk route``, in process, over the team's real exports and rules file: the dry run's text and
JSON, what is refused, and ``--apply`` through a stand-in ``gh`` on PATH (a script keeping
GitHub's labels in a JSON file), so the success path and the rerun run end to end here. The
real gh binary's offline paths are tests/integration/test_route_gh.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from _issuekit import APRIL, APRIL_REPO, JULY, RULES_FILE

from wrk_ansible.cli import main
from wrk_ansible.evidence.ledger import Ledger

DM = "vamseeachanta/digitalmodel"

#: gh issue view N -R O/R --json ...: the issue from the state file; gh issue edit N -R O/R
#: --add-label=X --remove-label=Y: change it there. FAKE_GH_FAIL=edit|view fails that verb.
FAKE_GH = r"""#!{python}
import json, os, sys
state_file = os.environ["FAKE_GH_STATE"]
args = sys.argv[1:]
with open(state_file + ".calls", "a") as log:
    log.write(json.dumps(args) + "\n")
verb, number, repo = args[1], int(args[2]), args[4]
if os.environ.get("FAKE_GH_FAIL") == verb:
    sys.stderr.write("HTTP 502: Bad Gateway\n")
    sys.exit(1)
state = json.load(open(state_file))
key = f"{repo}#{number}".lower()
issue = state[key]
if verb == "view":
    json.dump(issue, sys.stdout)
elif verb == "edit":
    names = [l["name"] for l in issue["labels"]]
    for arg in args[5:]:
        option, _, label = arg.partition("=")
        if option == "--add-label" and label not in names:
            names.append(label)
        elif option == "--remove-label" and label in names:
            names.remove(label)
    issue["labels"] = [{"name": n} for n in names]
    json.dump(state, open(state_file, "w"))
    print(f"https://github.com/{repo}/issues/{number}")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder (no inventory) whose wrk.yml names the team's rules file."""
    (tmp_path / "wrk.yml").write_text(f"version: 1\nrouting_rules: {RULES_FILE}\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("WRK_CONFIG", "WRK_INVENTORY", "WRK_ISSUES", "WRK_EVIDENCE_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def hub(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stand-in gh first on PATH, holding the July export's issues."""
    bin_dir = project / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.replace("{python}", sys.executable), encoding="utf-8")
    gh.chmod(0o755)
    state = {}
    for issue in json.loads(JULY.read_text(encoding="utf-8")):
        ref = issue["url"].removeprefix("https://github.com/").replace("/issues/", "#")
        state[ref.lower()] = issue
    state_file = project / "github.json"
    state_file.write_text(json.dumps(state), encoding="utf-8")
    monkeypatch.setenv("FAKE_GH_STATE", str(state_file))
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return state_file


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, object]]]:
    code = main(["route", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def _calls(state: Path) -> list[list[str]]:
    log = Path(str(state) + ".calls")
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_the_dry_run_json_of_one_issue(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, found = _json(capsys, f"{DM}#1633", "--issues", str(JULY))
    assert code == 0
    (item,) = found
    assert {k: item[k] for k in ("ref", "machine", "host", "provider")} == {
        "ref": f"{DM}#1633",
        "machine": "licensed-win-1",
        "host": None,  # no inventory here
        "provider": "codex",
    }
    assert (item["machine_by"], item["provider_by"], item["routable"]) == ("rule 2", "lane", True)
    assert item["reason"] is None
    assert item["changes"] == {"add": ["machine:licensed-win-1"], "remove": []}
    assert not (project / ".wrk").exists()  # a dry run writes nothing


def test_every_issue_of_an_export_when_none_is_named(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, found = _json(capsys, "--issues", str(JULY))
    assert code == 0
    assert len(found) == 150
    closed = next(i for i in found if i["ref"] == f"{DM}#1045")
    assert closed["routable"] is False
    assert "not in routable_states" in str(closed["reason"])
    assert closed["changes"] == {"add": [], "remove": []}
    contradicted = next(i for i in found if i["ref"] == f"{DM}#1517")
    assert contradicted["changes"] == {"add": [], "remove": []}
    assert "lane:codex, lane:claude" in str(contradicted["reason"])
    assert sum(bool(i["changes"]["add"]) for i in found) == 21  # type: ignore[index]


def test_the_text_dry_run_and_its_summary(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["route", "--issues", str(APRIL), "--repo", APRIL_REPO])
    out, err = capsys.readouterr()
    assert code == 0
    assert len(out.splitlines()) == 70
    assert f"{APRIL_REPO}#12  machine dev-primary (rule 4)  provider claude (default)" in out
    assert "+machine:dev-primary" in out
    assert "dry run: nothing written" in err


def test_a_reference_not_in_the_export_is_reported_and_the_rest_routed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, found = _json(capsys, f"{DM}#1633", f"{DM}#99999", "--issues", str(JULY))
    assert code == 1
    assert [i["ref"] for i in found] == [f"{DM}#1633", f"{DM}#99999"]
    assert "is not in the issue export(s) given" in str(found[1]["error"])
    assert found[0]["changes"] == {"add": ["machine:licensed-win-1"], "remove": []}


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        ([], 64, "name issues OWNER/REPO#N, or give --issues FILE"),
        (["digitalmodel#5"], 1, "is not an issue reference"),
        (["--issues", "missing.json"], 1, "missing.json"),
    ],
)
def test_bad_input_is_one_message(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    assert main(["route", *argv]) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_apply_needs_a_writer_before_gh_runs(hub: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "--issues", str(JULY), "--apply"]) == 64
    assert "--here HOST" in capsys.readouterr().err
    assert _calls(hub) == []


def test_apply_writes_records_and_a_rerun_changes_nothing(
    hub: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--issues", str(JULY), "--apply", "--here", "box1"]
    code, found = _json(capsys, *argv)
    assert code == 0
    applied = [i for i in found if "applied" in i]
    assert len(applied) == 21
    assert {i["applied"]["outcome"] for i in applied} == {"applied"}  # type: ignore[index]
    edits = [c for c in _calls(hub) if c[1] == "edit"]
    assert len(edits) == 21
    assert ["issue", "edit", "1633", "-R", DM, "--add-label=machine:licensed-win-1"] in edits
    ledger = Ledger(project / ".wrk" / "evidence")
    (record,) = ledger.records(f"{DM}#1633")
    assert record.kind == "label-change"
    assert record.body["outcome"] == "applied"
    # The rerun, from the same export: each issue read again carries its labels.
    code, again = _json(capsys, *argv)
    assert code == 0
    assert {i["applied"]["outcome"] for i in again if "applied" in i} == {"unchanged"}  # type: ignore[index]
    assert len([c for c in _calls(hub) if c[1] == "edit"]) == 21
    assert len(ledger.records(f"{DM}#1633")) == 1


def test_apply_failures_are_reported_recorded_as_failed_and_exit_1(
    hub: Path, project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAKE_GH_FAIL", "edit")
    code = main(["route", f"{DM}#1633", f"{DM}#1642", "--issues", str(JULY), "--apply",
                 "--here", "box1"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    assert "[1/2]" in err
    assert "[2/2]" in err  # the first failure did not stop the second
    assert "gh failed (exit 1): HTTP 502: Bad Gateway" in err
    assert "0 applied" in err
    assert "2 failed" in err
    ledger = Ledger(project / ".wrk" / "evidence")
    for ref in (f"{DM}#1633", f"{DM}#1642"):
        (record,) = ledger.records(ref)
        assert (record.body["outcome"], record.body["step"]) == ("failed", "edit")
    assert "[failed]" in out


def test_live_references_are_read_once_and_applied(
    hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, found = _json(capsys, f"{DM}#328", "--apply", "--here", "box1")
    assert code == 0
    assert found[0]["applied"]["outcome"] == "applied"  # type: ignore[index]
    assert [c[1] for c in _calls(hub)] == ["view", "edit"]  # no second read of a live issue
