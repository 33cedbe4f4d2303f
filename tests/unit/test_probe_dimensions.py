"""The probe's dimensions (facts for grading a host), reader by reader, and how the controller
keeps them: pure functions with fakes for the OS, no Ansible.

The probe file is loaded by path, as a host would see it (plugins/module_utils/wrk_probe.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE_FILE = REPO_ROOT / "plugins" / "module_utils" / "wrk_probe.py"
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "probe"
SCHEMA_FILE = REPO_ROOT / "docs" / "probe-output.schema.json"
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def probe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wrk_probe_dimensions_under_test", PROBE_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scripted(
    answers: dict[str, tuple[int, str]], calls: list[list[str]] | None = None
) -> Callable[[Sequence[str], float], tuple[int, str]]:
    """A fake runner: the answer whose key is in the command line, else ``(1, "")``."""

    def run(argv: Sequence[str], timeout: float) -> tuple[int, str]:
        assert timeout > 0
        line = " ".join(argv)
        if calls is not None:
            calls.append(list(argv))
        for key, answer in answers.items():
            if key in line:
                return answer
        return 1, ""

    return run


# ------------------------------------------------------------------------------------------
# compute
# ------------------------------------------------------------------------------------------


def test_meminfo_total_from_a_fixture(probe: ModuleType) -> None:
    text = (FIXTURES / "meminfo.txt").read_text(encoding="ascii")
    assert probe.parse_meminfo(text) == 16318360 * 1024
    assert probe.parse_meminfo("MemFree: 12 kB\n") is None
    assert probe.parse_meminfo("") is None


def test_ram_on_linux_reads_meminfo(probe: ModuleType) -> None:
    total = probe.ram_bytes("linux", meminfo=str(FIXTURES / "meminfo.txt"))
    assert total == 16318360 * 1024


def test_ram_on_macos_asks_sysctl(probe: ModuleType) -> None:
    calls: list[list[str]] = []
    runner = scripted({"hw.memsize": (0, "17179869184\n")}, calls)
    assert probe.ram_bytes("darwin", 5, runner) == 16 * 1024**3
    assert calls == [["sysctl", "-n", "hw.memsize"]]
    assert probe.ram_bytes("darwin", 5, scripted({})) is None  # sysctl failed


def test_ram_elsewhere_is_unknown(probe: ModuleType) -> None:
    assert probe.ram_bytes("sunos") is None
    assert probe.ram_bytes("windows") is None  # not on a Windows host: no GlobalMemoryStatusEx


def test_compute_is_cores_and_gib(probe: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probe, "ram_bytes", lambda *_args: 16318360 * 1024)
    assert probe.read_compute() == {"cores": os.cpu_count(), "ram_gib": 15.56}


def test_compute_with_unreadable_ram(probe: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any) -> int:
        raise OSError("no /proc")

    monkeypatch.setattr(probe, "ram_bytes", broken)
    assert probe.read_compute() == {"cores": os.cpu_count(), "ram_gib": None}


# ------------------------------------------------------------------------------------------
# disk
# ------------------------------------------------------------------------------------------


def test_disk_of_existing_roots_in_gib(probe: ModuleType, tmp_path: Path) -> None:
    seen = probe.read_disk([str(tmp_path), str(tmp_path / "absent"), str(tmp_path)], [])
    assert [d["path"] for d in seen] == [str(tmp_path)]  # missing left out, once each
    free = shutil.disk_usage(tmp_path).free / 1024**3
    assert seen[0]["free_gb"] == pytest.approx(free, abs=0.5)


def test_disk_reuses_the_disk_check(probe: ModuleType, tmp_path: Path) -> None:
    check = probe.check_disk(str(tmp_path), None)
    check["data"]["free_bytes"] = 5 * 1024**3  # what the check measured wins
    assert probe.read_disk([str(tmp_path)], [check]) == [{"path": str(tmp_path), "free_gb": 5.0}]


def test_disk_keeps_the_declared_spelling(
    probe: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert [d["path"] for d in probe.read_disk(["~"], [])] == ["~"]


# ------------------------------------------------------------------------------------------
# solvers: tools and licenses, from the checks the probe made
# ------------------------------------------------------------------------------------------


def tool_check(probe: ModuleType, name: str, path: str | None) -> dict[str, Any]:
    data = probe.tool_data(path=path)
    spec = probe.tool_spec({"name": name})
    return probe.make_check(
        name, "tool", "present", path, path is not None, "", spec=spec, data=data
    )


def license_check(probe: ModuleType, feature: str, kind: str, **observed: Any) -> dict[str, Any]:
    data = probe.license_data(kind, **observed)
    spec = probe.license_spec({"feature": feature})
    return probe.make_check(feature, "license", "1 seat", None, None, "", spec=spec, data=data)


def not_run(probe: ModuleType, kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return probe.make_check(name, kind, None, None, None, "not run", spec=spec, data={})


SERVER = {"kind": "flexlm", "server": "27000@lic"}


@pytest.mark.parametrize(
    ("kind", "observed", "state"),
    [
        ("file", {"issued_seats": 2, "expires": "permanent"}, "present"),
        ("file", {"issued_seats": 0}, "present"),  # read: no valid line, but readable
        ("file", {"uncounted": True, "expires": "permanent"}, "present"),
        ("file", {}, "absent"),  # the file could not be read
        ("flexlm", {}, "absent"),  # no server answered
        ("flexlm", {"server": "27000@lic"}, "present"),  # answered, seats unknown
        ("flexlm", {"server": "27000@lic", "issued_seats": 4, "free_seats": 0}, "present"),
        ("flexlm", {"server": "27000@lic", "issued_seats": 4, "free_seats": 3}, "licensed"),
        ("rlm", {"server": "5053@lic", "uncounted": True}, "licensed"),
    ],
)
def test_license_state_from_its_check(
    probe: ModuleType, kind: str, observed: dict[str, Any], state: str
) -> None:
    check = license_check(probe, "aqwa", kind, **observed)
    assert probe.license_state(check, {"feature": "aqwa", "kind": kind}) == state


def test_license_state_without_a_check(probe: ModuleType, tmp_path: Path) -> None:
    lic = tmp_path / "x.lic"
    lic.write_text("FEATURE x vendor 1.0 permanent 1\n", encoding="utf-8")
    assert probe.license_state(None, {"kind": "file", "path": str(lic)}) == "present"
    assert probe.license_state(None, {"kind": "file", "path": str(tmp_path / "no")}) == "absent"
    assert probe.license_state(None, {"kind": "file"}) == "absent"
    assert probe.license_state(None, {"feature": "aqwa", **SERVER}) is None  # never asked
    spent = not_run(probe, "license", "aqwa", {"feature": "aqwa", "seats": 1})
    assert probe.license_state(spent, {"feature": "aqwa", **SERVER}) is None


def test_tool_state_reuses_the_check_else_locates(
    probe: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert probe.tool_state(tool_check(probe, "git", "/usr/bin/git"), {"name": "git"}) == "present"
    assert probe.tool_state(tool_check(probe, "git", None), {"name": "git"}) == "absent"
    tool = tmp_path / "solver"
    tool.write_text("#!/bin/sh\n", encoding="utf-8")
    tool.chmod(0o755)
    assert probe.tool_state(None, {"name": "solver"}) == "present"  # no check: on PATH
    spent = not_run(probe, "tool", "solver", {"name": "solver", "min_version": None})
    assert probe.tool_state(spent, {"name": "solver"}) == "present"
    assert probe.tool_state(None, {"name": "missing"}) == "absent"
    assert probe.tool_state(None, {"name": "../solver"}) == "absent"  # not a program name


def test_solvers_from_the_checks_and_declarations(probe: ModuleType) -> None:
    tools = [{"name": "git"}, {"name": "OrcaFlex"}, {"name": "ansys"}, {"name": "gone"}]
    licenses = [
        {"feature": "orcaflex", **SERVER},
        {"feature": "ansys", **SERVER},
        {"feature": "gone", **SERVER},
        {"feature": "aqwa", **SERVER},
    ]
    checks = [
        tool_check(probe, "git", "/usr/bin/git"),
        tool_check(probe, "OrcaFlex", "/opt/orcaflex"),
        tool_check(probe, "ansys", "/opt/ansys"),
        tool_check(probe, "gone", None),
        license_check(probe, "orcaflex", "flexlm", server="27000@lic", free_seats=2),
        license_check(probe, "ansys", "flexlm"),  # server down
        license_check(probe, "gone", "flexlm", server="27000@lic", free_seats=5),
        license_check(probe, "aqwa", "flexlm", server="27000@lic", free_seats=0),
    ]
    assert probe.solver_states(tools, licenses, checks) == {
        "git": "present",
        "OrcaFlex": "licensed",  # one solver: installed and licensed; the first spelling
        "ansys": "present",  # installed, its server down
        "gone": "absent",  # licensed but not installed
        "aqwa": "present",  # a license alone: the server answered, no seat free
    }


def test_solvers_reuse_checks_the_probe_made_and_run_nothing(
    probe: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*_args: Any) -> None:
        raise AssertionError("a solver state asked a server")

    monkeypatch.setattr(probe, "tcp_connect", no_network)
    monkeypatch.setattr(probe, "run_command", no_network)
    checks = [license_check(probe, "aqwa", "flexlm", server="27000@lic", free_seats=1)]
    assert probe.solver_states([], [{"feature": "aqwa", **SERVER}], checks) == {"aqwa": "licensed"}


def test_solvers_unknown_when_a_declared_server_license_was_not_checked(
    probe: ModuleType,
) -> None:
    """A requirements run that did not ask for the license: its state is not known, and the
    dimension says so (null) rather than calling it absent."""
    tools = [{"name": "git"}]
    checks = [tool_check(probe, "git", "/usr/bin/git")]
    assert probe.solver_states(tools, [{"feature": "aqwa", **SERVER}], checks) is None
    assert probe.solver_states(tools, [], checks) == {"git": "present"}
    assert probe.solver_states([], [], []) == {}


# ------------------------------------------------------------------------------------------
# agents
# ------------------------------------------------------------------------------------------


def test_agents_on_path(probe: ModuleType) -> None:
    on_path = {"claude": "/usr/local/bin/claude", "gemini-cli": "/usr/bin/gemini-cli"}
    agents = [{"name": "claude"}, {"name": "codex"}, {"name": "gemini", "cli": "gemini-cli"}]
    assert probe.agent_states(agents, on_path.get) == {
        "claude": "present",
        "codex": "absent",
        "gemini": "present",
    }
    assert probe.agent_states([{"name": "x", "cli": "../claude"}], on_path.get) == {"x": "absent"}


# ------------------------------------------------------------------------------------------
# checkout
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "dirty"),
    [
        ("", False),
        ("\n", False),
        (" M README.md\n", True),
        ("?? new.txt\n", True),
        ("R  old -> new\n", True),
        ("warning: could not open directory 'x/': Permission denied\n", False),
    ],
)
def test_parse_porcelain(probe: ModuleType, output: str, dirty: bool) -> None:
    assert probe.parse_porcelain(output) is dirty


@pytest.mark.parametrize(
    ("output", "counts"),
    [
        ("0\t1\n", (0, 1)),
        ("3\t0", (3, 0)),
        ("2 5\n", (2, 5)),
        ("fatal: no upstream configured for branch 'main'\n", None),
        ("", None),
    ],
)
def test_parse_left_right(probe: ModuleType, output: str, counts: tuple[int, int] | None) -> None:
    assert probe.parse_left_right(output) == counts


def test_checkout_from_git(probe: ModuleType, tmp_path: Path) -> None:
    calls: list[list[str]] = []
    runner = scripted(
        {
            "--is-inside-work-tree": (0, "true\n"),
            "--verify": (0, SHA + "\n"),
            "status --porcelain": (0, " M a.txt\n"),
            "rev-list": (0, "2\t1\n"),
        },
        calls,
    )
    assert probe.read_checkout(str(tmp_path), 3, runner) == {
        "present": True,
        "dirty": True,
        "behind": 1,
        "ahead": 2,
        "revision": SHA,
    }
    assert all(call[:3] == ["git", "-C", str(tmp_path)] for call in calls)
    assert ["git", "-C", str(tmp_path), "rev-list", "--left-right", "--count"] == calls[-1][:6]
    assert calls[-1][6] == "HEAD...@{upstream}"


def test_checkout_without_upstream_or_commit(probe: ModuleType, tmp_path: Path) -> None:
    runner = scripted(
        {
            "--is-inside-work-tree": (0, "true\n"),
            "status --porcelain": (0, ""),
            "rev-list": (128, "fatal: no upstream configured for branch 'main'\n"),
        }
    )
    assert probe.read_checkout(str(tmp_path), 3, runner) == {
        "present": True,
        "dirty": False,
        "behind": None,
        "ahead": None,
        "revision": None,
    }


def test_not_a_checkout(probe: ModuleType, tmp_path: Path) -> None:
    not_repo = scripted({"--is-inside-work-tree": (128, "fatal: not a git repository (or any")})
    assert probe.read_checkout(str(tmp_path), 3, not_repo) == {"present": False}
    bare = scripted({"--is-inside-work-tree": (0, "false\n")})
    assert probe.read_checkout(str(tmp_path), 3, bare) == {"present": False}
    assert probe.read_checkout(str(tmp_path / "absent"), 3, not_repo) == {"present": False}
    refused = scripted({"--is-inside-work-tree": (128, "fatal: detected dubious ownership")})
    assert probe.read_checkout(str(tmp_path), 3, refused) is None  # git cannot tell


def test_checkout_of_a_real_repository(
    probe: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real git, no upstream: the environment that points git elsewhere is not followed."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "one"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))  # as inside a git hook
    seen = probe.read_checkout(str(repo), 10)
    assert seen == {
        "present": True,
        "dirty": False,
        "behind": None,
        "ahead": None,
        "revision": head,
    }
    assert probe.read_checkout(str(tmp_path), 10) == {"present": False}


# ------------------------------------------------------------------------------------------
# All together: every dimension on its own, never failing the probe
# ------------------------------------------------------------------------------------------


def test_run_probe_reports_dimensions(probe: ModuleType, tmp_path: Path) -> None:
    declared = {
        "tools": ["sh"],
        "storage": [str(tmp_path)],
        "agents": ["sh", "wrk-absent-agent"],
    }
    result = probe.run_probe({}, declared, 5)
    dims = result["dimensions"]
    assert set(dims) == {"compute", "disk", "solvers", "agents"}  # no repository: no checkout
    assert dims["compute"]["cores"] == os.cpu_count()
    assert [d["path"] for d in dims["disk"]] == [str(tmp_path)]
    assert dims["solvers"] == {"sh": "present"}
    assert dims["agents"] == {"sh": "present", "wrk-absent-agent": "absent"}
    with_repo = probe.run_probe({}, declared, 5, repository=str(tmp_path))
    assert with_repo["dimensions"]["checkout"] == {"present": False}
    assert with_repo["ready"] == result["ready"]


def test_a_dimension_that_fails_is_null_and_the_rest_stand(
    probe: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(probe, "read_disk", broken)
    monkeypatch.setattr(probe, "read_checkout", broken)
    declared = {"storage": [str(tmp_path)], "agents": {"not": "a list"}}
    result = probe.run_probe({}, declared, 5, repository=str(tmp_path))
    dims = result["dimensions"]
    assert dims["disk"] is None
    assert dims["checkout"] is None
    assert dims["agents"] is None  # a malformed declaration: the fact is unknown
    assert dims["compute"]["cores"] == os.cpu_count()
    assert result["ready"] is True  # the storage check passed; dimensions never decide


def test_dimensions_never_change_the_checks(
    probe: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared = {"storage": [str(tmp_path)], "tools": ["sh"]}
    requirements = {"disk": [{"path": str(tmp_path), "free_gb": 0.001}]}
    with_dims = probe.run_probe(requirements, declared, 5)
    monkeypatch.setattr(probe, "read_dimensions", lambda *_args: {})
    without = probe.run_probe(requirements, declared, 5)
    for result in (with_dims, without):
        for check in result["checks"]:
            check["data"].pop("free_bytes")  # free space moves between two runs
    assert {k: v for k, v in with_dims.items() if k != "dimensions"} == {
        k: v for k, v in without.items() if k != "dimensions"
    }


def test_repository_must_be_a_path(probe: ModuleType) -> None:
    with pytest.raises(probe.ProbeInputError, match="repository"):
        probe.run_probe({}, {}, 5, repository=7)


def test_script_takes_the_repository(tmp_path: Path) -> None:
    import sys

    request = {"declared": {}, "repository": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(PROBE_FILE)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["dimensions"]["checkout"] == {"present": False}


@pytest.fixture(scope="module")
def validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def test_outputs_with_dimensions_match_the_schema(
    probe: ModuleType, validator: Any, tmp_path: Path
) -> None:
    declared = {"tools": ["sh"], "storage": [str(tmp_path)], "agents": ["claude"]}
    results = [
        probe.run_probe({}, declared, 5),
        probe.run_probe({}, declared, 5, repository=str(tmp_path)),
        probe.run_probe({}, declared, 5, repository=str(REPO_ROOT)),
    ]
    for result in results:
        errors = [e.message for e in validator.iter_errors(json.loads(json.dumps(result)))]
        assert errors == []
    nulls = dict(results[0], dimensions=dict.fromkeys(("compute", "disk", "solvers", "agents")))
    assert validator.is_valid(nulls)
    bad = json.loads(json.dumps(results[0]))
    bad["dimensions"]["solvers"]["sh"] = "installed"
    assert not validator.is_valid(bad)
    older = {k: v for k, v in results[0].items() if k != "dimensions"}
    assert validator.is_valid(older)  # an optional key: a probe before it is still valid


# ------------------------------------------------------------------------------------------
# The controller: the observation keeps them, the decision never sees them
# ------------------------------------------------------------------------------------------

DIMS = {
    "compute": {"cores": 8, "ram_gib": 31.2},
    "disk": [{"path": "/srv", "free_gb": 120.5}],
    "solvers": {"git": "present", "aqwa": "licensed"},
    "agents": {"claude": "present"},
}


def result(dimensions: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schema_version": 2,
        "facts": {"os": "linux"},
        "mode": "declared",
        "checks": [
            {
                "name": "/srv",
                "kind": "disk",
                "required": "exists",
                "found": "120.5 GiB free",
                "ok": True,
                "reason": "path exists",
                "spec": {"path": "/srv", "free_gb": None},
                "data": {"free_bytes": 129385313894},
            }
        ],
        "ready": True,
    }
    if dimensions is not None:
        out["dimensions"] = dimensions
    return out


def test_observation_keeps_the_dimensions() -> None:
    from wrk_ansible.fleet.model import Dimensions
    from wrk_ansible.readiness.results import parse_probe_result

    seen = parse_probe_result("ws1", result(DIMS), source="probe", observed_at=None)
    assert seen.dimensions == Dimensions.model_validate(DIMS)
    assert seen.as_dict()["dimensions"] == DIMS  # as said: no checkout key added
    again = parse_probe_result("ws1", seen.as_dict(), source="evidence x", observed_at=None)
    assert again.dimensions == seen.dimensions
    older = parse_probe_result("ws1", result(), source="probe", observed_at=None)
    assert older.dimensions is None
    assert older.as_dict()["dimensions"] is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("solvers", {"git": "installed"}),
        ("compute", {"cores": "many"}),
        ("checkout", {"dirty": True}),  # no present
        ("disk", [{"path": "/srv", "free_gb": float("nan")}]),
        ("agents", {f"a{i}": "present" for i in range(5000)}),  # past the size cap
    ],
)
def test_a_bad_dimension_is_dropped_alone(key: str, value: Any) -> None:
    from wrk_ansible.readiness.results import parse_probe_result

    seen = parse_probe_result("ws1", result({**DIMS, key: value}), source="p", observed_at=None)
    assert seen.dimensions is not None
    kept = seen.dimensions.model_dump(mode="json", exclude_unset=True)
    assert kept == {k: v for k, v in DIMS.items() if k != key}
    assert seen.ready is True


def test_dimensions_never_reach_the_decision() -> None:
    from wrk_ansible.readiness.results import parse_probe_result

    with_dims = parse_probe_result("ws1", result(DIMS), source="probe", observed_at="t")
    without = parse_probe_result("ws1", result(), source="probe", observed_at="t")
    assert with_dims.for_decision() == without.for_decision()
    assert with_dims.ready is without.ready is True
    broken = parse_probe_result("ws1", result("not a mapping"), source="probe", observed_at="t")
    assert broken.dimensions is None
    assert broken.for_decision() == without.for_decision()


def test_history_reads_them_from_a_readiness_record(tmp_path: Path) -> None:
    from wrk_ansible.evidence.fleet import observations
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.evidence.readiness import record_observation, requirements_hash
    from wrk_ansible.fleet.model import Dimensions
    from wrk_ansible.readiness.results import parse_probe_result

    ledger = Ledger(tmp_path / "evidence", clone="c0ffee")
    seen = parse_probe_result(
        "ws1", result(DIMS), source="probe", observed_at="2026-01-15T10:00:00Z"
    )
    record = record_observation(ledger, "ctl", seen.as_dict(), {})
    assert record.body.requirements_sha256 == requirements_hash({})  # the hash of {} as before
    found = observations(ledger, ["ws1"])["ws1"]
    assert [o.dimensions for o in found] == [Dimensions.model_validate(DIMS)]
