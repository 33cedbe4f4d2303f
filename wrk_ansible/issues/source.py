"""Where a command's issues come from: export files, else the real ``gh`` CLI.

Export files are given by ``--issues FILE`` (repeatable) or ``issues:`` in ``wrk.yml``; an issue
named by reference is looked up in them and, with no export at all, read live with ``gh issue
view`` (:mod:`wrk_ansible.issues.gh`, the one module that runs gh). With exports, an issue they
do not hold is an error naming them: an export is the set the user chose, never silently
widened by a live query.

An issue in two exports (the team's two real exports share three) is taken from the file given
last, as a newer export of the same issue; when the two entries differ the command says so once.
A state the later export does not give (it had no ``state`` field: open by default) never
overrides one the earlier export gave: a closed issue is not reopened by an older kind of export.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from wrk_ansible.errors import InputError
from wrk_ansible.issues.export import WorkIssue, load_export, parse_export
from wrk_ansible.issues.rules import NEUTRAL, RoutingRules, load_rules
from wrk_ansible.refs import IssueRef, parse_ref

Note = Callable[[str], None]
#: (``OWNER/REPO``, number) -> the issue object ``gh issue view --json`` prints.
LiveReader = Callable[[str, int], Mapping[str, Any]]


def _gh_view(repo: str, number: int) -> Mapping[str, Any]:
    from wrk_ansible.issues.gh import view_issue

    return view_issue(repo, number)


def _quiet(message: str) -> None:
    del message


def _same(a: WorkIssue, b: WorkIssue) -> bool:
    return (a.title, a.state, a.labels, a.body) == (b.title, b.state, b.labels, b.body)


@dataclass
class IssueSource:
    """The issues one command reads, and the rules that route them."""

    exports: tuple[str, ...] = ()
    #: ``--repo OWNER/REPO``: the repository of export entries that name none.
    repo: str | None = None
    #: The rules file (``routing_rules:``); None: :data:`~wrk_ansible.issues.rules.NEUTRAL`.
    rules_path: str | None = None
    live: LiveReader = _gh_view
    note: Note = _quiet
    _fetched: dict[IssueRef, WorkIssue] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def rules(self) -> RoutingRules:
        return load_rules(self.rules_path) if self.rules_path else NEUTRAL

    @functools.cached_property
    def issues(self) -> dict[IssueRef, WorkIssue]:
        """Every issue of the exports, in file order (a later file's entry replaces an earlier
        one's)."""
        merged: dict[IssueRef, WorkIssue] = {}
        differ: list[str] = []
        for path in self.exports:
            for read in load_export(path, self.repo):
                earlier = merged.pop(read.ref, None)
                issue = read
                if earlier is not None and earlier.state_given and not read.state_given:
                    issue = dataclasses.replace(read, state=earlier.state, state_given=True)
                if earlier is not None and not _same(earlier, issue):
                    differ.append(f"{issue.ref} ({earlier.source} and {issue.source})")
                merged[issue.ref] = issue
        if differ:
            shown = ", ".join(differ[:5]) + (
                f" and {len(differ) - 5} more" if len(differ) > 5 else ""
            )
            self.note(
                f"wrk: note: {len(differ)} issue(s) differ between exports; the file given last "
                f"is used: {shown}"
            )
        return merged

    def __iter__(self) -> Iterator[WorkIssue]:
        return iter(self.issues.values())

    def get(self, ref: IssueRef | str) -> WorkIssue:
        """The issue ``ref``: from the exports, else (none given) from ``gh``."""
        wanted = parse_ref(ref) if isinstance(ref, str) else ref
        if self.exports:
            found = self.issues.get(wanted)
            if found is None:
                raise InputError(
                    f"{wanted} is not in the issue export(s) given: {', '.join(self.exports)} "
                    f"({len(self.issues)} issue(s)); export it, or give no --issues to read it "
                    "with gh",
                    field="issues",
                )
            return found
        if wanted not in self._fetched:
            self._fetched[wanted] = self.read_live(wanted)
        return self._fetched[wanted]

    @property
    def live_only(self) -> bool:
        """No export given: every issue is read with gh."""
        return not self.exports

    def read_live(self, ref: IssueRef) -> WorkIssue:
        """``ref`` as gh reads it now, whatever the exports say (``wrk route --apply`` reads an
        issue again before it writes to it)."""
        data = self.live(ref.slug, ref.number)
        source = f"gh issue view {ref.number} -R {ref.slug}"
        read = parse_export(json.dumps([dict(data)]), source, repo=ref.slug)
        if not read or read[0].ref != ref:
            raise InputError(f"gh answered with another issue than {ref}", field="gh")
        return read[0]
