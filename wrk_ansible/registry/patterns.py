"""Ansible host patterns (``linux:&ai_capable:!ace-win-2``, ``dev-*``) over registry data.

Pure: evaluates a pattern against group membership already read from the inventory, with
Ansible's semantics (union terms first, then ``&`` intersections, then ``!`` exclusions; globs
and ``~regex`` match host and group names), so selecting hosts needs no Ansible import.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence

from wrk_ansible.errors import InputError

_GLOB = re.compile(r"[*?\[]")


def split_pattern(pattern: str) -> list[str]:
    """The terms of a pattern: separated by ``:`` or ``,``, blanks dropped."""
    return [term.strip() for term in re.split(r"[:,]", pattern) if term.strip()]


def _term_hosts(
    term: str,
    hosts: Sequence[str],
    groups: Mapping[str, tuple[str, ...]],
    resolve: Callable[[str], str | None],
) -> set[str] | None:
    """The hosts one term selects, or None when it names nothing known."""
    if term in {"all", "*"}:
        return set(hosts)
    known = resolve(term)
    if known is not None:
        return set(groups[known]) if known in groups else {known}
    if term.startswith("~"):
        try:
            regex = re.compile(term[1:])
        except re.error as exc:
            raise InputError(f"bad regular expression in pattern: {exc}", field=term) from None
        matcher: Callable[[str], bool] = lambda name: bool(regex.match(name))  # noqa: E731
    elif _GLOB.search(term):
        matcher = lambda name: fnmatch.fnmatchcase(name.lower(), term.lower())  # noqa: E731
    else:
        return None
    selected = {host for host in hosts if matcher(host)}
    for group, members in groups.items():
        if matcher(group):
            selected.update(members)
    return selected


def select(
    pattern: str,
    hosts: Sequence[str],
    groups: Mapping[str, tuple[str, ...]],
    resolve: Callable[[str], str | None],
    suggest: Callable[[str], str | None],
) -> tuple[str, ...]:
    """Host names ``pattern`` selects, in inventory order; an unknown term is an InputError."""
    union: set[str] = set()
    keep: list[set[str]] = []
    drop: set[str] = set()
    terms = split_pattern(pattern)
    if not terms:
        raise InputError("empty host pattern", field="pattern")
    for term in terms:
        bare = term.lstrip("&!")
        selected = _term_hosts(bare, hosts, groups, resolve)
        if selected is None:
            hint = suggest(bare)
            extra = f"; did you mean {hint!r}?" if hint else ""
            raise InputError(f"{bare!r} is no host, alias or group of the inventory{extra}")
        if term.startswith("&"):
            keep.append(selected)
        elif term.startswith("!"):
            drop |= selected
        else:
            union |= selected
    if not union and keep:
        union = set(hosts)
    for subset in keep:
        union &= subset
    return tuple(host for host in hosts if host in union and host not in drop)
