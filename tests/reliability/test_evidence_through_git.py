"""Evidence merged through git: any number of clones and machines, never a conflict.

Real parts only: a bare ``origin``, real ``git clone``s and a linked ``git worktree``, a team
repository made by ``wrk init`` whose hosts are local connections probed for real, the real
``wrk`` command line in subprocesses. Two clones and a worktree gate as the same host
(``build1``: two users, or an agent per worktree, on one machine), a third clone as another
host (``build2``). Each commits its evidence, pushes its branch, and merges every other branch:
no merge conflicts, and ``wrk evidence verify`` passes everywhere.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gitkit import git

pytestmark = pytest.mark.integration

RunWrk = Callable[..., "subprocess.CompletedProcess[str]"]
EXIT = {"pass": 0, "fail": 1, "pause": 2, "fallback": 3}
WRK = "WRK-002"
ITEM = f"queue/pending/{WRK}.md"
#: execute runs on build1, impl_review on build2: both hosts write chains of one WRK.
TWO_HOSTS = f"""---
id: {WRK}
title: One item, two hosts
status: pending
handoff_evidence_ref: .wrk/evidence/{WRK}
stage_assignments:
  execute:
    workstations: [build1]
  impl_review:
    workstations: [build2]
machine_capability_requirements:
  execute:
    tools: [git]
  impl_review:
    tools: [git]
---
# {WRK}
"""
#: A hang catcher for a real probe, never a timing assertion.
SLOW = 180


@pytest.fixture
def origin(tmp_path: Path, neutral_wrk: RunWrk) -> Path:
    """A bare repository holding a ``wrk init`` team with two local hosts, build1 and build2."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(bare), str(seed))
    done = neutral_wrk("init", "--host", "build1", cwd=seed)
    assert done.returncode == 0, done.stderr
    added = neutral_wrk(
        "inventory", "add", "build2", "--group", "linux",
        "wrk_access=local", "ansible_connection=local", "wrk_os=linux",
        cwd=seed,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    (seed / ITEM).write_text(TWO_HOSTS, encoding="utf-8")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "wrk init")
    git(seed, "push", "-q", "origin", "main")
    return bare


def gate_and_commit(neutral_wrk: RunWrk, root: Path, here: str) -> str:
    """Gate the row ``here`` runs (build1: execute; build2: impl_review, which pauses for its
    review) and commit the evidence; the gate record's id."""
    stage = {"build1": "execute", "build2": "impl_review"}[here]
    done = neutral_wrk(
        "gate", ITEM, "--stage", stage, "--here", here, "--timeout", "60", "--json",
        cwd=root, timeout=SLOW,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    out = json.loads(done.stdout)
    assert out["recorded"] is True, done.stderr
    assert done.returncode == EXIT[out["verdict"]], (out["reason"], done.stderr)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"gate {WRK} {stage} on {here}")
    (ident,) = out["evidence"]
    return str(ident)


def chains(root: Path, wrk: str) -> set[str]:
    return {p.name for p in (root / ".wrk" / "evidence" / wrk).iterdir() if p.is_dir()}


def test_clones_and_worktrees_on_one_host_merge_their_evidence_without_conflict(
    tmp_path: Path, origin: Path, neutral_wrk: RunWrk
) -> None:
    a, b, c = (tmp_path / name for name in ("a", "b", "c"))
    for clone in (a, b, c):
        git(tmp_path, "clone", "-q", str(origin), str(clone))
    w = tmp_path / "a-worktree"
    git(a, "worktree", "add", "-q", "-b", "w", str(w))
    for root, branch in ((a, "a"), (b, "b"), (c, "c")):
        git(root, "switch", "-q", "-c", branch)
    hosts = {a: "build1", b: "build1", w: "build1", c: "build2"}
    branches = {a: "a", b: "b", w: "w", c: "c"}

    for round_ in (1, 2):  # the second round's records link the chains merged in the first
        ids = {root: gate_and_commit(neutral_wrk, root, here) for root, here in hosts.items()}
        written = {root: ident.split("/")[1] for root, ident in ids.items()}
        assert len(set(written.values())) == 4, ids  # one chain per clone and worktree
        assert all(name.startswith(f"{hosts[root]}@") for root, name in written.items())
        for root, branch in branches.items():
            git(root, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        for root in hosts:
            git(root, "fetch", "-q", "origin")
            for other in branches.values():
                # a conflict would stop here: git merge exits 1 naming the conflicting paths
                git(root, "merge", "-q", "--no-edit", f"origin/{other}")
            assert git(root, "status", "--porcelain") == ""
        every = {i.split("/")[1] for i in ids.values()}
        for root in hosts:
            assert every <= chains(root, WRK), (root, chains(root, WRK))
            verify = neutral_wrk("evidence", "verify", "--json", cwd=root)
            assert verify.returncode == 0, verify.stdout + verify.stderr
            report = json.loads(verify.stdout)
            assert report["ok"] is True
            counted = {c["chain"]: c["records"] for c in report["chains"]}
            assert all(counted[f"{WRK}/{name}"] == round_ for name in every), counted

    # the clone id lives outside tracked files: the per-worktree git dir, never in a commit
    assert (a / ".git" / "wrk-clone-id").is_file()
    assert (a / ".git" / "worktrees" / w.name / "wrk-clone-id").is_file()
    assert "wrk-clone-id" not in git(a, "ls-files")
    newest = json.loads(
        next((a / ".wrk" / "evidence" / WRK).glob("build1@*/000002-*.json")).read_text()
    )
    assert newest["host"] == "build1"
    assert {link["writer"] for link in newest["links"]} >= every - {newest["writer"]}


# -- truncation: what the hash chain cannot see, git history can ---------------------------------
@pytest.fixture
def team(tmp_path: Path, neutral_wrk: RunWrk) -> Path:
    """A ``wrk init`` team repository: a real gate of the example (uncommitted), then four
    quota readings in ``_quota/build1@CLONE``, each committed with everything before it."""
    root = tmp_path / "team"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    assert neutral_wrk("init", "--host", "build1", cwd=root).returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "wrk init")
    done = neutral_wrk(
        "gate", "queue/pending/WRK-001.md", "--stage", "execute", "--here", "build1",
        "--timeout", "60", cwd=root, timeout=SLOW,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for pct in ("10", "20", "30", "40"):
        read = neutral_wrk(
            "quota", "record", "claude", "--used-pct", pct, "--here", "build1", cwd=root
        )
        assert read.returncode == 0, read.stderr
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"quota {pct}")
    return root


def quota_chain(root: Path) -> Path:
    (folder,) = (root / ".wrk" / "evidence" / "_quota").glob("build1@*")
    return folder


def verify(neutral_wrk: RunWrk, cwd: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = neutral_wrk("evidence", "verify", "--json", *args, cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def truncate(folder: Path) -> str:
    """Delete the newest record and point HEAD at the one before: a whole, shorter chain."""
    *_, before, newest = sorted(folder.glob("*.json"))
    newest.unlink()
    digest = hashlib.sha256(before.read_bytes()).hexdigest()
    (folder / "HEAD").write_text(f"{int(before.name[:6])} {digest}\n", encoding="utf-8")
    return newest.name[:6]


def test_a_truncated_chain_is_caught_through_git_history(
    team: Path, tmp_path: Path, neutral_wrk: RunWrk
) -> None:
    rc, out = verify(neutral_wrk, team)
    assert (rc, out["ok"], out["history"]["checked"], out["history"]["problems"]) == (
        0,
        True,
        True,
        [],
    )
    assert out["history"]["records"] >= 6  # the gate, its readiness, four quota readings
    folder = quota_chain(team)
    lost = truncate(folder)
    chain_id = f"_quota/{folder.name}"

    # the hash chain alone sees a whole chain: the same store outside git verifies
    alone = shutil.copytree(team / ".wrk" / "evidence", tmp_path / "outside-git")
    rc, out = verify(neutral_wrk, tmp_path, "--evidence-dir", str(alone))
    assert (rc, out["ok"], out["history"]["checked"]) == (0, True, False)
    assert "not in a git work tree" in out["history"]["summary"]

    # git remembers: the record a commit held, and a HEAD that moved backwards
    rc, out = verify(neutral_wrk, team)
    assert (rc, out["ok"]) == (1, False)
    assert all(not c["problems"] for c in out["chains"])  # every chain is whole on its own
    problems = out["history"]["problems"]
    assert any(p.startswith(f"{chain_id}/{lost}: removed: commit ") for p in problems), problems
    assert any(f"{chain_id}/{lost}: truncated: HEAD moved backwards to 3" in p for p in problems)
    text = neutral_wrk("evidence", "verify", cwd=team)
    assert text.returncode == 1
    assert "BROKEN  git history" in text.stdout

    # committing the truncation does not hide it: the older commit is still in HEAD's ancestry
    git(team, "add", "-A")
    git(team, "commit", "-q", "-m", "tidy evidence")
    rc, out = verify(neutral_wrk, team)
    assert rc == 1
    assert any(f"{chain_id}/{lost}: removed" in p for p in out["history"]["problems"])
    # one WRK at a time walks only its folder: the gate's WRK is whole
    rc, out = verify(neutral_wrk, team, "WRK-001")
    assert (rc, out["history"]["problems"]) == (0, [])


def test_a_rewritten_committed_record_is_caught_through_git_history(
    team: Path, neutral_wrk: RunWrk
) -> None:
    folder = quota_chain(team)
    newest = sorted(folder.glob("*.json"))[-1]
    data = json.loads(newest.read_bytes())
    data["body"]["readings"][0]["used_pct"] = 1.0  # looks idle now
    newest.write_text(json.dumps(data, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    digest = hashlib.sha256(newest.read_bytes()).hexdigest()
    (folder / "HEAD").write_text(f"{int(newest.name[:6])} {digest}\n", encoding="utf-8")
    rc, out = verify(neutral_wrk, team)
    assert rc == 1
    assert all(not c["problems"] for c in out["chains"])  # the chain was rewritten consistently
    wanted = f"_quota/{folder.name}/{newest.name[:6]}: edited: its bytes differ from those commit"
    assert any(p.startswith(wanted) for p in out["history"]["problems"]), out["history"]


def test_allow_empty_does_not_hide_a_store_that_git_remembers(
    team: Path, neutral_wrk: RunWrk
) -> None:
    shutil.rmtree(team / ".wrk" / "evidence")
    rc, out = verify(neutral_wrk, team, "--allow-empty")
    assert (rc, out["ok"], out["chains"]) == (1, False, [])
    assert any(": removed: commit " in p for p in out["history"]["problems"])
    assert any("HEAD is gone" in p for p in out["history"]["problems"])


def test_untracked_evidence_and_a_repository_without_commits_have_nothing_to_compare(
    tmp_path: Path, neutral_wrk: RunWrk
) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    assert neutral_wrk("init", "--host", "build1", cwd=root).returncode == 0
    read = neutral_wrk("quota", "record", "claude", "--used-pct", "5", "--here", "build1", cwd=root)
    assert read.returncode == 0, read.stderr
    rc, out = verify(neutral_wrk, root)
    assert (rc, out["ok"], out["history"]["checked"]) == (0, True, False)
    assert out["history"]["summary"] == "not checked: the repository has no commit yet"
    git(root, "add", "wrk.yml")
    git(root, "commit", "-q", "-m", "config only")
    rc, out = verify(neutral_wrk, root)
    assert (rc, out["ok"], out["history"]["checked"], out["history"]["commits"]) == (
        0,
        True,
        True,
        0,
    )
    assert "untracked" in out["history"]["summary"]


def test_a_sha256_repository_is_walked_too(tmp_path: Path, neutral_wrk: RunWrk) -> None:
    root = tmp_path / "sha256"
    root.mkdir()
    git(root, "init", "-q", "-b", "main", "--object-format=sha256")
    assert neutral_wrk("init", "--host", "build1", cwd=root).returncode == 0
    for pct in ("10", "20"):
        read = neutral_wrk(
            "quota", "record", "claude", "--used-pct", pct, "--here", "build1", cwd=root
        )
        assert read.returncode == 0, read.stderr
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "two readings")
    rc, out = verify(neutral_wrk, root)
    assert (rc, out["history"]["checked"], out["history"]["problems"]) == (0, True, [])
    lost = truncate(quota_chain(root))
    rc, out = verify(neutral_wrk, root)
    assert rc == 1
    assert any(f"/{lost}: removed: commit " in p for p in out["history"]["problems"])
