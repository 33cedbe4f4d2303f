"""``wrk quota record|import|show`` and ``wrk review record`` through the real command line."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import CompletedProcess

import pytest

REPO_ROOT = Path(__file__).parents[2]
QUOTA = REPO_ROOT / "tests" / "fixtures" / "quota"
INVENTORY = REPO_ROOT / "inventory"
WRK = REPO_ROOT / "tests" / "fixtures" / "work-queue" / "done" / "WRK-655.md"
RunWrk = Callable[..., CompletedProcess[str]]


def _base(tmp_path: Path) -> list[str]:
    return ["--evidence-dir", str(tmp_path / "ev"), "-i", str(INVENTORY)]


@pytest.mark.parametrize("day", ["2026-02-22", "2026-03-01", "2026-08-21"])
def test_the_three_real_quota_files_import(run_wrk: RunWrk, tmp_path: Path, day: str) -> None:
    path = QUOTA / f"agent-quota-{day}.json"
    proc = run_wrk(
        "quota", "import", str(path), "--here", "dev-primary", "--json", *_base(tmp_path)
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert re.fullmatch(r"_quota/dev-primary@[0-9a-f]{8}/000001", out["id"]), out["id"]
    readings = {r["agent"]: r for r in out["readings"]}
    assert set(readings) == {"claude", "codex", "gemini"}
    if day == "2026-08-21":
        assert readings["claude"]["used_pct"] is None
        assert "unavailable" in readings["claude"]["why"]
    else:
        assert readings["claude"]["used_pct"] == {"2026-02-22": 46.0, "2026-03-01": 5.0}[day]
    verify = run_wrk("evidence", "verify", "--evidence-dir", str(tmp_path / "ev"))
    assert verify.returncode == 0, verify.stdout


def test_record_then_show(run_wrk: RunWrk, tmp_path: Path) -> None:
    base = [*_base(tmp_path), "--here", "dev-primary"]
    resets = (datetime.now(UTC) + timedelta(days=4)).isoformat()  # 3 days in: line at 54%
    proc = run_wrk("quota", "record", "codex", "--used-pct", "97.5", "--resets-at", resets, *base)
    assert proc.returncode == 0, proc.stderr
    assert "codex" in proc.stdout
    assert "97.5% used" in proc.stdout
    shown = run_wrk("quota", "show", "--json", *_base(tmp_path))
    assert shown.returncode == 0, shown.stderr
    [codex] = json.loads(shown.stdout)
    assert codex["used_pct"] == 97.5
    assert codex["fresh"] is True
    assert codex["past_pacing_line"] is True
    assert codex["allowed_pct"] == pytest.approx(54.0, abs=0.5)


BAD_QUOTA = {
    "broken json": ("{", "not JSON"),
    "percent as text": (
        json.dumps({"agents": [{"provider": "claude", "week_pct": "46%"}]}),
        "[agents[0].week_pct]: expected a number or null",
    ),
    "unknown agent": (
        json.dumps({"agents": [{"provider": "copilot", "week_pct": 3}]}),
        "[agents[0].provider]: unknown agent 'copilot'",
    ),
}


@pytest.mark.parametrize(("text", "said"), BAD_QUOTA.values(), ids=BAD_QUOTA.keys())
def test_bad_quota_file_is_one_message_exit_1_nothing_written(
    run_wrk: RunWrk, tmp_path: Path, text: str, said: str
) -> None:
    path = tmp_path / "agent-quota.json"
    path.write_text(text)
    proc = run_wrk("quota", "import", str(path), "--here", "dev-primary", *_base(tmp_path))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert str(path) in proc.stderr
    assert said in proc.stderr
    assert not (tmp_path / "ev").exists()


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--used-pct", "140"], 64, "not a percentage"),
        (["--used-pct", "x"], 64, "not a number"),
        (["--used-pct", "5", "--resets-at", "2026-03-06T03:00:00"], 1, "no UTC offset"),
        (["--used-pct", "5", "--window", "monthly"], 64, "invalid choice"),
    ],
)
def test_bad_record_arguments(
    run_wrk: RunWrk, tmp_path: Path, args: list[str], code: int, said: str
) -> None:
    proc = run_wrk("quota", "record", "claude", *args, "--here", "dev-primary", *_base(tmp_path))
    assert proc.returncode == code
    assert said in proc.stderr
    assert "Traceback" not in proc.stderr


def test_review_record_appends_to_the_chain(run_wrk: RunWrk, tmp_path: Path) -> None:
    wrk = Path(shutil.copy(WRK, tmp_path / "WRK-655.md"))
    base = [*_base(tmp_path), "--here", "ace-linux-1"]
    proc = run_wrk(
        "review", "record", str(wrk), "--stage", "impl-review", "--agent", "codex",
        "--verdict", "approve", "--note", "looks right", "--json", *base,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    # the alias names its inventory host; the chain is the host's in this clone
    assert re.fullmatch(r"WRK-655/dev-primary@[0-9a-f]{8}/000001", out["id"]), out["id"]
    assert out["review"] == {
        "stage": "impl_review",
        "agent": "codex",
        "verdict": "approve",
        "note": "looks right",
        "ran_on": "dev-primary",
    }
    listed = run_wrk(
        "evidence", "list", "WRK-655", "--json", "--evidence-dir", str(tmp_path / "ev")
    )
    assert [r["kind"] for r in json.loads(listed.stdout)] == ["review"]


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--stage", "plan", "--agent", "codex", "--verdict", "approve"], 64, "phase of 3 rows"),
        (["--stage", "impl_review", "--agent", "codex", "--verdict", "ok"], 64, "invalid choice"),
        (["--stage", "nope", "--agent", "codex", "--verdict", "approve"], 64, "unknown stage"),
        (["--stage", "impl_review", "--agent", "bard", "--verdict", "approve"], 1, "unknown agent"),
    ],
)
def test_bad_review_arguments(
    run_wrk: RunWrk, tmp_path: Path, args: list[str], code: int, said: str
) -> None:
    proc = run_wrk("review", "record", str(WRK), *args, "--here", "dev-primary", *_base(tmp_path))
    assert proc.returncode == code
    assert said in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "ev").exists()


def test_review_of_a_missing_wrk_is_exit_1(run_wrk: RunWrk, tmp_path: Path) -> None:
    proc = run_wrk(
        "review", "record", str(tmp_path / "WRK-1.md"), "--stage", "impl_review",
        "--agent", "codex", "--verdict", "approve", *_base(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 1
    assert "WRK-1.md" in proc.stderr
    assert "Traceback" not in proc.stderr
