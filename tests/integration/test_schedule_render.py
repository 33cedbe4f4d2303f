"""The wrk_readiness role's schedule entry point where this machine cannot run it for real.

The cron backend runs for real in the molecule scenario ``roles/wrk_readiness/molecule/schedule``
(this machine has cron, no systemd as PID 1, no Windows). Here, with real ``ansible-playbook``:

- systemd: the role runs under ``--check --diff`` with the backend forced and the unit folder in
  ``tmp_path``; the units it would write are read from the run's JSON output, checked as INI
  (sections, keys, the exact ExecStart argv), with ``systemd-analyze verify``, and then the
  service's ExecStart runs in its WorkingDirectory: it records a signed attestation in the
  clone's ``.wrk/evidence/_readiness/`` that ``wrk evidence verify`` accepts;
- Windows: ``--syntax-check`` of a play that imports ``tasks_from: schedule`` for a Windows host
  (every module resolved, community.windows included), and the Scheduled Task's arguments and
  triggers rendered by Ansible from the role's own vars and templates;
- bad inputs: one failed check naming each problem, before anything is changed.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
ROLE = REPO_ROOT / "roles" / "wrk_readiness"
BIN = Path(sys.executable).parent
#: Generous: a cold ansible-playbook on a busy CI machine. Catches hangs, asserts no speed.
TIMEOUT = 300
HOST = "ws_scheduled"
NAME = "wrk-readiness-test"
#: systemd's PATH for system services (systemd.exec(5)), what the job sees
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"


def ansible_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "WRK_"))}
    env.update(
        {
            "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
            "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles"),
            "ANSIBLE_COLLECTIONS_PATH": str(REPO_ROOT / "playbooks" / "collections"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
            "PATH": os.pathsep.join([str(BIN), env.get("PATH", os.defpath)]),
        }
    )
    env.update(extra)
    return env


def playbook(
    tmp_path: Path, play: list[dict[str, Any]], *args: str, json_out: bool = True
) -> subprocess.CompletedProcess[str]:
    """``ansible-playbook`` of ``play`` on localhost (local connection), with JSON output."""
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    extra = {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"} if json_out else {}
    return subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            str(path),
            *args,
        ],
        cwd=tmp_path,
        env=ansible_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def schedule_play(variables: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": "Schedule readiness",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Schedule",
                    "ansible.builtin.include_role": {
                        "name": "wrkansible.wrk.wrk_readiness",
                        "tasks_from": "schedule",
                    },
                    "vars": variables,
                }
            ],
        }
    ]


def task_results(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    """Task name (without its role's prefix) -> localhost's result, from ansible.posix.json."""
    data = json.loads(proc.stdout)
    return {
        task["task"]["name"].rpartition(" : ")[2]: task["hosts"]["localhost"]
        for play in data["plays"]
        for task in play["tasks"]
        if "localhost" in task["hosts"]
    }


def read_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """A unit file as systemd reads it: section -> [(key, value)], comments and blanks out."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        if line.startswith("[") and line.rstrip().endswith("]"):
            current = sections.setdefault(line.strip()[1:-1], [])
            continue
        key, sep, value = line.partition("=")
        assert current is not None, f"a setting before any section: {line!r}"
        assert sep, f"not a unit file line: {line!r}"
        current.append((key.strip(), value.strip()))
    return sections


def one(section: list[tuple[str, str]], key: str) -> str:
    values = [v for k, v in section if k == key]
    assert len(values) == 1, f"{key}: {values}"
    return values[0]


def exec_argv(value: str) -> list[str]:
    """ExecStart's words as systemd splits them, for the quoting the role writes: each word in
    double quotes with \\\\ and \\" escaped, and $$ for a literal $."""
    words = re.findall(r'"((?:[^"\\]|\\.)*)"(?:\s+|$)', value)
    assert " ".join(f'"{w}"' for w in words) == value, f"unexpected ExecStart quoting: {value}"
    return [re.sub(r"\\(.)", r"\1", w).replace("$$", "$") for w in words]


def windows_argv(text: str) -> list[str]:
    """An argument string split as CommandLineToArgvW does (backslashes before a quote)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            break
        word, quoted = "", False
        while i < n and (quoted or text[i] not in " \t"):
            slashes = 0
            while i < n and text[i] == "\\":
                slashes, i = slashes + 1, i + 1
            if i < n and text[i] == '"':
                word += "\\" * (slashes // 2)
                if slashes % 2:
                    word += '"'
                else:
                    quoted = not quoted
                i += 1
            else:
                word += "\\" * slashes
                if i < n and (quoted or text[i] not in " \t"):
                    word += text[i]
                    i += 1
        out.append(word)
    return out


def make_clone(path: Path, key: Path) -> None:
    """A work-queue clone whose inventory lists HOST, signed by ``key``."""
    (path / "inventory" / "host_vars").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "inventory" / "hosts.yml").write_text(
        f"---\nall:\n  hosts:\n    {HOST}:\n", encoding="utf-8"
    )
    public = key.with_suffix(".pub").read_text(encoding="utf-8").strip()
    (path / "inventory" / "host_vars" / f"{HOST}.yml").write_text(
        "---\nwrk_access: local\nansible_connection: local\nwrk_os: linux\n"
        f"wrk_tools: [sh]\nwrk_signing_key: {public}\n",
        encoding="utf-8",
    )


@pytest.fixture
def signing_key(tmp_path: Path) -> Path:
    key = tmp_path / "keys $1" / "host"  # a $: systemd's $$ is exercised
    key.parent.mkdir()
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", HOST, "-f", str(key)], check=True
    )
    return key


@pytest.fixture
def systemd_units(tmp_path: Path, signing_key: Path) -> dict[str, Any]:
    """The units the role would write with the systemd backend, from a --check --diff run."""
    units = tmp_path / "units"
    units.mkdir()
    # a space and quotes: systemd's quoting is exercised (a $ is refused here: Ansible's path
    # arguments expand it)
    clone = tmp_path / "work queue 'q' \"dq\""
    make_clone(clone, signing_key)
    variables = {
        "wrk_readiness_schedule_backend": "systemd",
        "wrk_readiness_schedule_name": NAME,
        "wrk_readiness_schedule_repository": str(clone),
        "wrk_readiness_schedule_command": [sys.executable, "-m", "wrk_ansible"],
        "wrk_readiness_schedule_here": HOST,
        "wrk_readiness_schedule_sign_key": str(signing_key),
        "wrk_readiness_schedule_user": getpass.getuser(),
        "wrk_readiness_schedule_environment": {"PYTHONDONTWRITEBYTECODE": "1"},
        "wrk_readiness_schedule_minute": "*/20,5",
        "wrk_readiness_schedule_hour": "1-5/2",
        "wrk_readiness_schedule_unit_dir": str(units),
    }
    proc = playbook(tmp_path, schedule_play(variables), "--check", "--diff")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = task_results(proc)
    assert not list(units.iterdir()), "--check wrote a unit"
    rendered = {}
    for task, suffix in (("Write the service unit", "service"), ("Write the timer unit", "timer")):
        result = results[task]
        assert result["changed"], result
        rendered[suffix] = result["diff"][0]["after"]
        (units / f"{NAME}.{suffix}").write_text(rendered[suffix], encoding="utf-8")
    assert results["Enable and start the timer"].get("skipped"), "a new timer is left out"
    assert run_stats(proc)["changed"] == 2
    return {"dir": units, "clone": clone, "key": signing_key, **rendered}


def run_stats(proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
    stats: dict[str, int] = json.loads(proc.stdout)["stats"]["localhost"]
    assert stats["failures"] == 0, stats
    assert stats["unreachable"] == 0, stats
    return stats


def test_systemd_units_have_the_expected_sections_keys_and_argv(
    systemd_units: dict[str, Any],
) -> None:
    service = read_unit(systemd_units["service"])
    timer = read_unit(systemd_units["timer"])
    assert sorted(service) == ["Service", "Unit"]
    assert sorted(timer) == ["Install", "Timer", "Unit"]
    assert one(service["Unit"], "Description") == f"wrk readiness attestation of {HOST}"
    assert one(service["Service"], "Type") == "oneshot"
    assert one(service["Service"], "User") == getpass.getuser()
    assert one(service["Service"], "WorkingDirectory") == str(systemd_units["clone"])
    assert one(service["Service"], "Environment") == '"PYTHONDONTWRITEBYTECODE=1"'
    assert one(service["Service"], "SuccessExitStatus") == "2"
    assert exec_argv(one(service["Service"], "ExecStart")) == [
        sys.executable,
        "-m",
        "wrk_ansible",
        "readiness",
        "--local",
        "--here",
        HOST,
        "--sign-key",
        str(systemd_units["key"]),
    ]
    assert one(timer["Timer"], "OnCalendar") == "*-*-* 1..5/2:0/20,5:00"
    assert one(timer["Timer"], "Persistent") == "true"
    assert one(timer["Timer"], "Unit") == f"{NAME}.service"
    assert one(timer["Install"], "WantedBy") == "timers.target"


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        message = "systemd-analyze is missing: scripts/system-deps.sh installs systemd"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_systemd_units_pass_systemd_analyze_verify(systemd_units: dict[str, Any]) -> None:
    tool = systemd_analyze()
    units: Path = systemd_units["dir"]
    done = subprocess.run(
        [tool, "verify", str(units / f"{NAME}.service"), str(units / f"{NAME}.timer")],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    # unknown keys and bad values are only warnings: nothing may be said at all
    assert done.returncode == 0, done.stdout + done.stderr
    assert not done.stderr.strip(), done.stderr
    calendar = one(read_unit(systemd_units["timer"])["Timer"], "OnCalendar")
    spec = subprocess.run(
        [tool, "calendar", "--iterations", "9", calendar],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert spec.returncode == 0, spec.stdout + spec.stderr
    times = re.findall(r"\b(\d\d):(\d\d):00\b", spec.stdout.split("Normalized form:")[1])
    # minute */20,5 and hour 1-5/2, as cron reads them: 0, 5, 20, 40 past 1, 3 and 5
    assert {(int(h), int(m)) for h, m in times} <= {
        (h, m) for h in (1, 3, 5) for m in (0, 5, 20, 40)
    }, spec.stdout
    assert len(set(times)) == 9, spec.stdout


def test_the_scheduled_command_records_a_signed_attestation(
    systemd_units: dict[str, Any],
) -> None:
    """ExecStart run as systemd would (its argv, in WorkingDirectory, with its environment)."""
    service = read_unit(systemd_units["service"])["Service"]
    argv = exec_argv(one(service, "ExecStart"))
    cwd = Path(one(service, "WorkingDirectory"))
    key, _, value = one(service, "Environment").strip('"').partition("=")
    env = {"PATH": SYSTEMD_PATH, "HOME": os.environ.get("HOME", "/root"), key: value}
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    records = sorted((cwd / ".wrk" / "evidence" / "_readiness").glob("*/*-attestation.json"))
    assert len(records) == 1, records
    assert records[0].parent.name.startswith(f"{HOST}@")
    record = json.loads(records[0].read_text(encoding="utf-8"))
    assert (record["kind"], record["host"]) == ("attestation", HOST)
    assert record["body"]["observation"]["ready"] is True
    verified = subprocess.run(
        [*argv[:3], "evidence", "verify", "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    chains = json.loads(verified.stdout)["chains"]
    assert [(c["records"], c["signed"], c["problems"]) for c in chains] == [(1, 1, [])]


WINDOWS_PLAY = """\
---
- name: Schedule readiness on a Windows host
  hosts: windows
  gather_facts: false
  tasks:
    - name: Schedule
      ansible.builtin.import_role:
        name: wrkansible.wrk.wrk_readiness
        tasks_from: schedule
      vars:
        wrk_readiness_schedule_repository: 'C:\\work\\queue'
        wrk_readiness_schedule_command: ['C:\\Users\\ops\\.local\\bin\\wrk.exe']
        wrk_readiness_schedule_dispatch_path: scheduled-task
    - name: A module that does not exist (the control)
      {module}:
        name: x
      when: false
"""


@pytest.mark.parametrize(
    ("module", "ok"),
    [("ansible.builtin.debug", True), ("community.windows.win_no_such_module", False)],
    ids=["windows", "control"],
)
def test_windows_schedule_passes_syntax_check(tmp_path: Path, module: str, ok: bool) -> None:
    """Every task of tasks_from: schedule, the Windows ones included, resolves (the control: a
    module that does not exist fails the same check)."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "---\nwindows:\n  hosts:\n    win1:\n      wrk_os: windows\n      ansible_user: ops\n"
        "      ansible_connection: ssh\n      ansible_shell_type: powershell\n",
        encoding="utf-8",
    )
    path = tmp_path / "windows.yml"
    path.write_text(WINDOWS_PLAY.replace("{module}", module), encoding="utf-8")
    done = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), "--syntax-check", str(path)],
        cwd=tmp_path,
        env=ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert (done.returncode == 0) is ok, done.stdout + done.stderr
    if not ok:
        assert "win_no_such_module" in done.stderr


def test_windows_task_arguments_and_triggers(tmp_path: Path) -> None:
    """The Scheduled Task's argument string and triggers, rendered by Ansible from the role's
    vars and templates (a play beside the role's templates, with its defaults and vars)."""
    (tmp_path / "templates").symlink_to(ROLE / "templates")
    weird = 'C:\\a dir\\say "hi"\\'
    variables = {
        "wrk_readiness_schedule_repository": "C:\\work\\queue",
        "wrk_readiness_schedule_command": ["C:\\Program Files\\wrk\\python.exe", "-m", weird],
        "wrk_readiness_schedule_sign_key": "C:\\keys\\host key",
        "wrk_readiness_schedule_dispatch_path": "scheduled-task",
        "wrk_readiness_schedule_minute": "0,30",
        "wrk_readiness_schedule_hour": "6,18",
        "wrk_readiness_schedule_backend": "windows",
        "ansible_user": "ops",
    }
    play = [
        {
            "name": "Render",
            "hosts": "all",
            "gather_facts": False,
            "vars_files": [str(ROLE / "defaults" / "main.yml"), str(ROLE / "vars" / "main.yml")],
            "tasks": [
                {
                    "name": "Show",
                    "ansible.builtin.debug": {
                        "msg": {
                            "arguments": "{{ __wrk_readiness_schedule_windows_arguments }}",
                            "triggers": "{{ __wrk_readiness_schedule_times.windows_triggers }}",
                            "problems": "{{ __wrk_readiness_schedule_problems }}",
                        }
                    },
                }
            ],
        }
    ]
    proc = playbook(tmp_path, play, "-e", json.dumps(variables))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shown = task_results(proc)["Show"]["msg"]
    assert shown["problems"] == []
    assert windows_argv(shown["arguments"]) == [
        "-m",
        weird,
        "readiness",
        "--local",
        "--here",
        "localhost",
        "--sign-key",
        "C:\\keys\\host key",
        "--dispatch-path",
        "scheduled-task",
    ]
    assert shown["triggers"] == [
        {"type": "daily", "start_boundary": f"2000-01-01T{t}:00"}
        for t in ("06:00", "06:30", "18:00", "18:30")
    ]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"wrk_readiness_schedule_repository": ""}, "wrk_readiness_schedule_repository is not set"),
        ({"wrk_readiness_schedule_repository": "relative/path"}, "is not an absolute path"),
        ({"wrk_readiness_schedule_command": "wrk"}, 'wrk_readiness_schedule_command is "wrk"'),
        ({"wrk_readiness_schedule_minute": "61"}, 'wrk_readiness_schedule_minute: "61" is past 59'),
        ({"wrk_readiness_schedule_hour": "5-2"}, 'the range "5-2" runs backwards'),
        ({"wrk_readiness_schedule_hour": "*/0"}, 'step 0 in "*/0"'),
        ({"wrk_readiness_schedule_minute": "5/10"}, '"5/10" is not a cron minute field item'),
        ({"wrk_readiness_schedule_here": "a b"}, 'wrk_readiness_schedule_here is "a b"'),
        ({"wrk_readiness_schedule_sign_key": "id_ed25519"}, "wrk_readiness_schedule_sign_key"),
        ({"wrk_readiness_schedule_dispatch_path": "a/b"}, "wrk_readiness_schedule_dispatch_path"),
        ({"wrk_readiness_schedule_repository": "/srv/50%"}, "control character, % or $"),
        ({"wrk_readiness_schedule_repository": "/srv/a\nb"}, "control character, % or $"),
        ({"wrk_readiness_schedule_repository": "/srv/$HOME"}, "control character, % or $"),
        ({"wrk_readiness_schedule_environment": {"A B": "x"}}, 'environment "A B"'),
        ({"wrk_readiness_schedule_backend": "systemd"}, "wrk_readiness_schedule_user is not set"),
        (
            {
                "wrk_readiness_schedule_backend": "windows",
                "wrk_readiness_schedule_repository": "C:\\work\\queue",
                "wrk_readiness_schedule_minute": "*",
                "ansible_user": "ops",
            },
            "at most 48 triggers",
        ),
        (
            {
                "wrk_readiness_schedule_backend": "windows",
                "wrk_readiness_schedule_repository": "C:\\work\\queue",
                "wrk_readiness_schedule_environment": {"PATH": "C:\\bin"},
            },
            "neither is ansible_user",
        ),
        ({"wrk_readiness_schedule_state": "gone"}, "wrk_readiness_schedule_state"),
    ],
    ids=lambda v: None if isinstance(v, str) else "-".join(k.rsplit("_", 1)[-1] for k in v),
)
def test_bad_inputs_fail_before_anything_changes(
    tmp_path: Path, variables: dict[str, Any], message: str
) -> None:
    """One failed check per host, every problem named, nothing changed (under --check, and
    before any task that could change something)."""
    base = {"wrk_readiness_schedule_backend": "cron", "wrk_readiness_schedule_repository": "/"}
    proc = playbook(tmp_path, schedule_play({**base, **variables}), "--check", json_out=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert re.search(r"localhost\s*:\s*ok=\d+\s+changed=0\s+unreachable=0\s+failed=1", proc.stdout)
