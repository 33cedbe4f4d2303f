"""``sync-checks``: the repository is clean and not behind its upstream.

Reads the repository the WRK is in, on the host ``wrk`` runs on; when the row runs elsewhere
the check says so (UNKNOWN) instead of vouching for another machine. "Behind" is measured
against the last fetch (``git rev-list --count HEAD..@{u}``): a gate never fetches. A branch
without an upstream is UNKNOWN with the reason, which pauses the row unless the gate is
advisory (``gates: [{name: sync-checks, advisory: true}]``).

For an issue the repository is the checkout ``wrk`` runs in, and it is checked only when it is a
checkout of the issue's repository (its ``origin`` names ``OWNER/REPO``); any other checkout
says so (UNKNOWN) rather than vouching for a repository it is not.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Final

from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.gates.base import GateContext, GateResult, check, gap, result

TIMEOUT: Final = 20.0


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _unknown(name: str, required: str, found: str, why: str) -> Check:
    return check(name, required, found, Outcome.UNKNOWN, why)


def _slug_of(url: str) -> str | None:
    """``OWNER/REPO`` of a remote URL (``https://host/OWNER/REPO.git``,
    ``git@host:OWNER/REPO``, ``ssh://git@host/OWNER/REPO``), casefolded; None otherwise."""
    tail = url.strip().rstrip("/").removesuffix(".git")
    if "://" not in tail and ":" in tail:
        tail = tail.split(":", 1)[1]
    parts = [p for p in tail.split("/") if p]
    return f"{parts[-2]}/{parts[-1]}".casefold() if len(parts) >= 2 else None


def _checkout_of(root: Path, slug: str) -> Check | None:
    """None when ``root`` is a checkout of ``slug``; else the UNKNOWN check saying what it is."""
    try:
        origin = _git(root, "remote", "get-url", "origin")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _unknown("sync-repository", f"a checkout of {slug}", "no git", f"git: {exc}")
    found = origin.stdout.strip() if origin.returncode == 0 else ""
    if found and _slug_of(found) == slug.casefold():
        return None
    shown = found or "no origin remote"
    return _unknown(
        "sync-repository",
        f"a checkout of {slug}",
        shown,
        f"wrk runs in {root} ({shown}), not a checkout of {slug}: its sync is not checked",
    )


def _repo_checks(root: Path) -> list[Check]:
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [_unknown("git-clean", "a clean git work tree", "no git", f"git did not run: {exc}")]
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return [_unknown("git-clean", "a clean git work tree", str(root), "not a git repository")]
    status = _git(root, "status", "--porcelain")
    changed = [line for line in status.stdout.splitlines() if line.strip()]
    checks = [
        check(
            "git-clean",
            "no uncommitted changes",
            f"{len(changed)} changed: " + ", ".join(line[3:] for line in changed[:5])
            if changed
            else "clean",
            Outcome.FAIL if changed or status.returncode != 0 else Outcome.PASS,
            "uncommitted changes" if changed else "clean",
        )
    ]
    upstream = _git(root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}")
    if upstream.returncode != 0:
        checks.append(
            _unknown(
                "git-upstream",
                "not behind its upstream",
                "no upstream",
                "the branch has no upstream to compare with",
            )
        )
        return checks
    behind = _git(root, "rev-list", "--count", "HEAD..@{u}")
    count = behind.stdout.strip()
    if behind.returncode != 0 or not count.isdigit():
        checks.append(
            _unknown("git-upstream", "not behind its upstream", "?", behind.stderr.strip())
        )
    else:
        name = upstream.stdout.strip()
        checks.append(
            check(
                "git-upstream",
                f"not behind {name}",
                f"{count} behind",
                Outcome.FAIL if int(count) else Outcome.PASS,
                f"{count} commit(s) on {name} not merged" if int(count) else "up to date",
            )
        )
    return checks


def sync_checks(ctx: GateContext) -> GateResult:
    """The repository is clean and not behind its upstream, seen from the row's host."""
    if ctx.hosts and ctx.here.name not in ctx.hosts:
        away = _unknown(
            "sync-host",
            f"run on {', '.join(ctx.hosts)}",
            ctx.here.name,
            f"the repository is read where wrk runs ({ctx.here.name}), not on "
            f"{', '.join(ctx.hosts)}",
        )
        fix = gap(
            f"{ctx.wrk_id}: sync not checked on {ctx.hosts[0]}",
            f"run `wrk gate {ctx.wrk_path} --stage {ctx.row.stage}` on {ctx.hosts[0]}",
        )
        return result([away], [fix])
    if ctx.contract.is_issue:
        from wrk_ansible.refs import parse_ref

        slug = parse_ref(ctx.wrk_id).slug
        other = _checkout_of(ctx.repo_root, slug)
        if other is not None:
            fix = gap(
                f"{ctx.wrk_id}: sync not checked: {other.reason}",
                f"run `wrk gate {ctx.wrk_id} --stage {ctx.row.stage}` in a checkout of {slug}",
            )
            return result([other], [fix])
    checks = _repo_checks(ctx.repo_root)
    fixes = []
    for c in checks:
        if not c.blocking:
            continue
        if c.name == "git-clean" and c.outcome is Outcome.FAIL:
            fixes.append("commit (or stash) the changes: `git status`")
        elif c.name == "git-upstream" and c.outcome is Outcome.FAIL:
            fixes.append("bring in the upstream's commits: `git pull --rebase`")
        elif c.name == "git-upstream":
            fixes.append("set an upstream (`git push -u`), or make sync-checks advisory")
        else:
            fixes.append(f"{c.name}: {c.reason}")
    fix = gap(f"{ctx.wrk_id}: repository at {ctx.repo_root} not in sync", *fixes)
    return result(checks, [fix])
