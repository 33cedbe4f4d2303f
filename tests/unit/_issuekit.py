"""Shared pieces of the issue tests: the team's real exports and rules file (copied unchanged
into tests/fixtures/github/) and a registry of this repository's inventory hosts and aliases."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from wrk_ansible.issues.export import WorkIssue, load_export
from wrk_ansible.issues.rules import RoutingRules, load_rules
from wrk_ansible.refs import IssueRef
from wrk_ansible.registry.hostvars import HostVars
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.registry.workstation import Workstation

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "github"
RULES_FILE = FIXTURES / "routing-rules-2026-08.yaml"
#: gh issue list --json number,title,state,labels,url,body (five repositories).
JULY = FIXTURES / "issues-2026-07-27-sample.json"
#: gh issue list --json body,labels,number,title (workspace-hub; no url, no state).
APRIL = FIXTURES / "issues-2026-04-08-sample.json"
APRIL_REPO = "vamseeachanta/workspace-hub"


@cache
def rules() -> RoutingRules:
    return load_rules(str(RULES_FILE))


@cache
def july() -> tuple[WorkIssue, ...]:
    return load_export(str(JULY))


@cache
def april() -> tuple[WorkIssue, ...]:
    return load_export(str(APRIL), repo=APRIL_REPO)


def everything() -> tuple[WorkIssue, ...]:
    return july() + april()


def april_issue(number: int) -> WorkIssue:
    return next(item for item in april() if item.ref.number == number)


def july_issue(ref: str) -> WorkIssue:
    return next(item for item in july() if str(item.ref) == ref)


def made(
    labels: list[str], *, ref: str = "octo/widgets#1", body: str = "", **keys: Any
) -> WorkIssue:
    """An issue written for a test (``keys``: state, title)."""
    owner_repo, number = ref.split("#")
    owner, repo = owner_repo.split("/")
    return WorkIssue(
        ref=IssueRef(owner, repo, int(number)),
        title=keys.get("title", "a test issue"),
        state=keys.get("state", "OPEN"),
        labels=tuple(labels),
        body=body,
        url=None,
        source="test",
    )


@cache
def team_registry() -> Registry:
    """This repository's inventory hosts with their aliases (read as YAML: no Ansible)."""
    hosts = []
    for path in sorted((REPO / "inventory" / "host_vars").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        wrk = HostVars.model_validate({"wrk_aliases": data.get("wrk_aliases", [])})
        hosts.append(Workstation.from_host_vars(path.stem, wrk, groups=()))
    return Registry(source="inventory", workstations=tuple(hosts), groups={})
