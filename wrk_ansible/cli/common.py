"""Options and output helpers shared by every verb group. Standard library only."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

INVENTORY_ENV = "WRK_INVENTORY"
DEFAULT_INVENTORY = "inventory"
UNCHECKED_NAMES = (
    f"wrk: note: no ./{DEFAULT_INVENTORY} here, so machine names were not checked "
    f"(give --inventory DIR or set ${INVENTORY_ENV})"
)


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0 (a timeout)."""
    return _finite(text, minimum_exclusive=True)


def hours(text: str) -> float:
    """An argparse type: a finite number of hours, 0 or more (a freshness window)."""
    return _finite(text, minimum_exclusive=False)


def _finite(text: str, *, minimum_exclusive: bool) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0 or (minimum_exclusive and value == 0):
        bound = "above 0" if minimum_exclusive else "0 or more"
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number {bound}")
    if value > 1e6:
        raise argparse.ArgumentTypeError(f"{text!r} is too large")
    return value


def add_evidence_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--evidence-dir",
        metavar="DIR",
        help="evidence store (default: $WRK_EVIDENCE_DIR, else evidence_dir in wrk.yml, "
        "else .wrk/evidence)",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON on stdout (messages go to stderr)",
    )


def add_inventory(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inventory",
        "-i",
        metavar="DIR",
        help=f"the workstation registry (default: ${INVENTORY_ENV}, else inventory in "
        f"wrk.yml, else ./{DEFAULT_INVENTORY})",
    )


def add_writer(parser: argparse.ArgumentParser, *, here: bool = True) -> None:
    """``--here HOST`` (the host writing evidence) and ``--sign-key KEY``: every command that
    records evidence."""
    if here:
        add_here(parser)
    parser.add_argument(
        "--sign-key",
        metavar="KEY",
        help="sign the evidence written with this SSH key (default: $WRK_SIGNING_KEY)",
    )


def add_recording(parser: argparse.ArgumentParser) -> None:
    """What every command that records evidence about a work item takes: the writer
    (``--here``, ``--sign-key``), the store, the inventory and where issues come from."""
    add_writer(parser)
    add_evidence_dir(parser)
    add_inventory(parser)
    add_issues(parser)


def settings(args: argparse.Namespace) -> Any:
    """The configuration in effect for this command (:class:`~wrk_ansible.config.settings.
    Settings`): ``--config``, ``$WRK_CONFIG`` or the nearest ``wrk.yml``; read once."""
    found = getattr(args, "_settings", None)
    if found is None:
        from wrk_ansible.config.load import load
        from wrk_ansible.config.settings import Settings

        found = Settings(load(getattr(args, "config", None)), note=note)
        args._settings = found
    return found


def add_here(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--here",
        metavar="HOST",
        help="the inventory host this machine is, which writes the evidence (default: the "
        "host whose name or alias matches this machine's hostname; required without an "
        "inventory)",
    )


def inventory_source(args: argparse.Namespace) -> tuple[str, str]:
    """Where the inventory is and why: --inventory, then $WRK_INVENTORY, then ``inventory:``
    in wrk.yml, then ./inventory."""
    chosen = settings(args).inventory(getattr(args, "inventory", None))
    return chosen.value, chosen.origin


def evidence_dir(args: argparse.Namespace) -> str:
    """The evidence store: --evidence-dir, $WRK_EVIDENCE_DIR, ``evidence_dir:``, .wrk/evidence."""
    return str(settings(args).evidence_dir(getattr(args, "evidence_dir", None)).value)


def fresh_hours(args: argparse.Namespace) -> float:
    """How old readiness evidence may be: --fresh-hours, $WRK_FRESH_HOURS, wrk.yml, 25."""
    return float(settings(args).readiness_fresh_hours(getattr(args, "fresh_hours", None)).value)


def emit_json(value: Any) -> None:
    """Write ``value`` as the only thing on stdout (one write: ``json.dump`` writes every
    token on its own, tens of thousands of calls for a queue)."""
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


def note(message: str) -> None:
    """A message for people: always stderr, so stdout stays machine-readable."""
    print(message, file=sys.stderr)


def open_registry(args: argparse.Namespace, *, required: bool = True) -> Any:
    """Load the registry named by --inventory, $WRK_INVENTORY, wrk.yml or ./inventory.

    A missing inventory is an error when it was named (flag or environment) or ``required``;
    otherwise (only the default ./inventory is missing) it returns None.
    Reads the registry snapshot when the inventory's files are unchanged (no Ansible import),
    else through Ansible (:mod:`wrk_ansible.registry.inventory`). With a rules file
    (``routing_rules:``), its roster's facts are laid over the hosts its machines resolve to
    (:mod:`wrk_ansible.registry.roster`): the one place they are loaded.
    """
    from wrk_ansible.errors import InputError

    source, why = inventory_source(args)
    if "," not in source and not os.path.exists(source):
        if why == "default" and not required:
            return None  # the caller says so (UNCHECKED_NAMES) when names were there to check
        raise InputError(
            f"no such inventory (from {why}); wrk looks at --inventory DIR, then "
            f"${INVENTORY_ENV}, then inventory: in wrk.yml, then ./{DEFAULT_INVENTORY} in the "
            "current folder (wrk init creates one)",
            path=source,
        )
    from wrk_ansible.registry.snapshot import cached_registry

    registry = cached_registry(source)
    rules_path = settings(args).routing_rules().value
    if rules_path is None:
        return registry
    # The rules file's roster facts (available: false holds a host) laid over the inventory
    # after the snapshot, so a change to the rules file is seen at once.
    from wrk_ansible.registry.roster import lay_over

    return lay_over(registry, issue_source(args).rules, rules_path)


def placed_directory(args: argparse.Namespace, registry: Any) -> Any:
    """``registry`` as the one directory rows resolve through (``$orchestrator_host``: the
    configured machine, else ``--here``, else this machine); None without a registry."""
    if registry is None:
        return None
    cached = getattr(args, "_placed", None)
    if cached is not None and cached.directory is registry:
        return cached  # once per command: it looks up this machine's names
    from wrk_ansible.placement import placed

    configured = settings(args).orchestrator_host()
    found = placed(registry, configured.value, getattr(args, "here", None), configured.origin)
    args._placed = found
    return found


ITEM_HELP = "a WRK file, or an issue OWNER/REPO#N (from --issues FILE, else read with gh)"


def add_issues(parser: argparse.ArgumentParser) -> None:
    """``--issues FILE`` (repeatable) and ``--repo OWNER/REPO``: where issues come from."""
    parser.add_argument(
        "--issues",
        action="append",
        metavar="FILE",
        help="an issue export (the JSON of gh issue list/gh search issues --json ...); "
        "repeatable (default: $WRK_ISSUES, else issues: in wrk.yml; with none, an issue "
        "reference is read with gh)",
    )
    parser.add_argument(
        "--repo",
        metavar="OWNER/REPO",
        help="the repository of export entries that carry neither url nor repository",
    )


def issue_source(args: argparse.Namespace) -> Any:
    """The issues of this command (:class:`~wrk_ansible.issues.source.IssueSource`), once."""
    found = getattr(args, "_issues", None)
    if found is None:
        from wrk_ansible.issues.source import IssueSource
        from wrk_ansible.refs import parse_slug

        chosen = settings(args)
        repo = getattr(args, "repo", None)
        if repo is not None:
            parse_slug(repo)  # refused before any file is read
        found = IssueSource(
            exports=chosen.issue_exports(getattr(args, "issues", None)).value,
            repo=repo,
            rules_path=chosen.routing_rules().value,
            note=note,
        )
        args._issues = found
    return found


def capacity(args: argparse.Namespace) -> Any:
    """The caps in effect (a :class:`~wrk_ansible.config.settings.Value` of
    :class:`~wrk_ansible.capacity.model.Capacity`): ``capacity:`` in wrk.yml, else the routing
    rules file's, else nothing capped."""

    def from_rules() -> Any:  # read only when wrk.yml has no capacity: of its own
        return issue_source(args).rules.capacity()

    return settings(args).capacity(from_rules)


def check_issue(args: argparse.Namespace, issue: Any, directory: Any) -> Any:
    """An issue (a reference or a :class:`~wrk_ansible.issues.export.WorkIssue`) checked:
    its routing and its contract (:class:`~wrk_ansible.issues.contract.IssueCheck`)."""
    from wrk_ansible.issues.contract import check_issue as check

    source = issue_source(args)
    found = source.get(issue) if isinstance(issue, str) else issue
    return check(found, source.rules, directory=directory, matrix=settings(args).matrix)


def with_validators(args: argparse.Namespace, result: Any) -> Any:
    """``result`` with a contract error for each validator a row names that ``wrk.yml`` does
    not define (the names a work item may use are the configuration's)."""
    if result.contract is None:
        return result
    from dataclasses import replace

    from wrk_ansible.outcome.validators import validator_issues

    found = validator_issues(result.contract, settings(args).validators().value)
    return replace(result, errors=(*result.errors, *found)) if found else result


def check_item(args: argparse.Namespace, name: str, directory: Any) -> Any:
    """Validate a work item, a WRK path or an issue reference ``OWNER/REPO#N``, against
    ``directory`` (None: names not checked) with the configured matrix and validators."""
    from wrk_ansible.refs import looks_like_ref

    if looks_like_ref(name):
        return with_validators(args, check_issue(args, name, directory).result)
    from wrk_ansible.names import check_against

    return with_validators(args, check_against(name, directory, matrix=settings(args).matrix))


def item_checks(
    args: argparse.Namespace, names: list[str], directory: Any, *, what: str
) -> list[tuple[Any, Any]]:
    """(ValidationResult, IssueCheck or None) for every work item ``names`` give: WRK files,
    folders of them, issue references; no names: every issue of the exports in effect
    (``--issues``, ``$WRK_ISSUES``, ``issues:`` in wrk.yml). Nothing to check is an error."""
    from wrk_ansible.contract.loader import iter_work_item_paths
    from wrk_ansible.errors import InputError, UsageError
    from wrk_ansible.names import check_against
    from wrk_ansible.refs import looks_like_ref

    matrix = settings(args).matrix
    out: list[tuple[Any, Any]] = []
    if not names:
        source = issue_source(args)
        if not source.exports:
            raise UsageError(
                f"{what}: name WRK files, folders or issues, or give --issues FILE (or "
                f"issues: in wrk.yml) to take every issue of an export (see {what} --help)"
            )
        for issue in source:
            found = check_issue(args, issue, directory)
            out.append((with_validators(args, found.result), found))
        if not out:
            raise InputError("the issue export(s) hold no issue", path=", ".join(source.exports))
        return out
    paths = [name for name in names if not looks_like_ref(name)]
    files = iter(iter_work_item_paths(paths))
    for name in names:
        if looks_like_ref(name):
            found = check_issue(args, name, directory)
            out.append((with_validators(args, found.result), found))
    from wrk_ansible.contract.validate import bulk_checks

    with bulk_checks():
        found_files = [
            (with_validators(args, check_against(p, directory, matrix=matrix)), None) for p in files
        ]
    if paths and not found_files:
        raise InputError("no WRK files found (WRK-*.md)", path=" ".join(paths))
    return found_files + out


def work_items(args: argparse.Namespace, names: list[str], registry: Any, *, what: str) -> Any:
    """The ValidationResult of every work item ``names`` give (see :func:`item_checks`)."""
    directory = placed_directory(args, registry)
    return [result for result, _ in item_checks(args, names, directory, what=what)]


def check_work_item(args: argparse.Namespace, path: str, registry: Any) -> Any:
    """Validate ``path`` (a WRK file or an issue reference) as every command does: the
    configured matrix, names resolved through :func:`placed_directory` (not checked without a
    registry)."""
    return check_item(args, path, placed_directory(args, registry))


def valid_contract(args: argparse.Namespace, path: str, registry: Any) -> Any:
    """The contract of ``path`` (:func:`check_work_item`), or the first error as an
    :class:`~wrk_ansible.errors.InputError` naming its file, field and line: for the commands
    that act on one work item and cannot act on an invalid one."""
    from wrk_ansible.errors import InputError

    result = check_work_item(args, path, registry)
    if not result.valid or result.contract is None:
        first = result.errors[0]
        raise InputError(first.message, path=first.file or path, field=first.field, line=first.line)
    return result


def gate_settings(args: argparse.Namespace, registry: Any) -> dict[str, Any]:
    """The configuration a gate needs, as :class:`~wrk_ansible.gate.GateOptions` fields."""
    chosen = settings(args)
    return {
        "matrix": chosen.matrix,
        "orchestrator_host": chosen.orchestrator_host().value,
        "orchestrator_from": chosen.orchestrator_host().origin,
        "agents": chosen.agent_policy(registry),
        "routing_policy": chosen.routing_policy().value,
        "check_item": lambda name, directory: check_item(args, name, directory),
        "capacity": capacity(args).value,
        "lease_ttl_minutes": chosen.lease_ttl_minutes().value,
        "attestation_ttl_days": chosen.attestation_ttl_days().value,
    }
