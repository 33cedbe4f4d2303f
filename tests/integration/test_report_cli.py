"""``wrk report`` through the real command line: what it writes, says and refuses."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
INVENTORY = EXAMPLES / "inventory"
RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]


def test_writes_one_page_and_prints_its_path(run_wrk: RunWrk, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "review.html"
    proc = run_wrk(
        "report", str(EXAMPLES), "-i", str(INVENTORY), "-o", str(out), "--drain", "licensed-win-1"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)
    assert "3 item(s), 0 with contract errors" in proc.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert html.count('<section class="wrk"') == 3
    assert 'id="drain-ace-win-1"' in html  # the --drain scenario is in the capacity risk
    assert not [p.name for p in out.parent.iterdir() if p.name != "review.html"]  # no temp left


def test_invalid_items_are_reported_not_raised(run_wrk: RunWrk, tmp_path: Path) -> None:
    queue = tmp_path / "queue"
    queue.mkdir()
    (queue / "WRK-1.md").write_text("---\nid: WRK-1\nstage_assignments: [\n---\n")
    (queue / "WRK-2.md").write_text("not frontmatter at all\n")
    (queue / "WRK-3.md").write_bytes((EXAMPLES / "WRK-640.md").read_bytes())
    out = tmp_path / "review.html"
    proc = run_wrk("report", str(queue), "-i", str(INVENTORY), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "3 item(s), 2 with contract errors" in proc.stderr
    assert "Traceback" not in proc.stderr
    html = out.read_text(encoding="utf-8")
    assert "invalid YAML" in html
    assert "no YAML frontmatter" in html


def test_without_inventory_says_names_were_not_checked(run_wrk: RunWrk, tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    proc = run_wrk("report", str(EXAMPLES / "WRK-640.md"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "machine names were not checked" in proc.stderr
    assert "no inventory" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["-o", "{tmp}"], 1, "is a folder"),
        ([], 64, "give -o FILE (the page), --json, or both"),
        (["-o", "{tmp}/r.html", "--drain", "nosuch-box", "-i", str(INVENTORY)], 1, "nosuch-box"),
        (["-o", "{tmp}/r.html", "--drain", "dev-primary"], 64, "--drain needs an inventory"),
    ],
)
def test_bad_input(run_wrk: RunWrk, tmp_path: Path, args: list[str], code: int, said: str) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = run_wrk("report", str(EXAMPLES), *args)
    assert proc.returncode == code, proc.stderr
    assert said in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_wrk_files(run_wrk: RunWrk, tmp_path: Path) -> None:
    proc = run_wrk("report", str(tmp_path), "-o", str(tmp_path / "r.html"))
    assert proc.returncode == 1
    assert "no WRK files found" in proc.stderr
    assert not (tmp_path / "r.html").exists()
