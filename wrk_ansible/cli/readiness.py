"""``wrk readiness``: observe tools, licenses, disk and network on workstations."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from wrk_ansible.cli.common import (
    add_evidence_dir,
    add_inventory,
    add_json,
    add_writer,
    emit_json,
    evidence_dir,
    note,
    seconds,
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "readiness",
        help="probe workstations (one playbook run) or this machine (--local)",
        description="Run the readiness playbook over the inventory (or "
        "the same probe in this process with --local) and print host x check. Exit 0 when "
        "every host is ready, 2 when some are not, 1 on error. `wrk readiness import FILE...` "
        "records another tool's readiness snapshots (schema 4 or 5 equality files) as "
        "evidence: unsigned, marked imported, for grades, health and the fleet page only.",
    )
    parser.add_argument(
        "verb", nargs="?", choices=["import"], help="import: record snapshot FILEs as evidence"
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="with import: snapshot files")
    parser.add_argument("--limit", metavar="PATTERN", help="hosts or groups (Ansible pattern)")
    parser.add_argument(
        "--requirements",
        metavar="FILE",
        help="what to check (a stage's requirements: "
        "tools, licenses, disk, network); default: each host's declarations",
    )
    parser.add_argument("--local", action="store_true", help="probe this machine, no Ansible")
    parser.add_argument("--here", metavar="HOST", help="the inventory host this machine is")
    parser.add_argument(
        "--dispatch-path",
        metavar="PATH",
        help="with --local: the dispatch path this run was made on (scheduled-task, ...); the "
        "attestation then makes each license it saw licensed on that path "
        "(docs/capacity.md#licences)",
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=10.0,
        metavar="SECONDS",
        help="per-check and connection timeout (default 10)",
    )
    add_writer(parser, here=False)  # --here is above: it also says which host --local is
    parser.add_argument("--no-record", action="store_true", help="record no evidence")
    parser.add_argument(
        "--artifacts",
        metavar="DIR",
        help="run the playbook through ansible-runner and keep its artifacts in DIR (what "
        "`wrk gate --from-artifacts` and AWX read); a little slower",
    )
    add_evidence_dir(parser)
    add_inventory(parser)
    add_json(parser)
    parser.set_defaults(handler=run_readiness)


def load_requirements(path: str | None) -> Any:
    """A requirements file validated as a stage's requirements; None when not given."""
    if path is None:
        return None
    from pydantic import ValidationError

    from wrk_ansible.contract.models import StageRequirements
    from wrk_ansible.contract.resolve import pydantic_issues
    from wrk_ansible.errors import InputError
    from wrk_ansible.safeyaml import parse_yaml, read_text

    parsed = parse_yaml(read_text(path, max_bytes=1024 * 1024, what="requirements file"), path)
    data = parsed.data if parsed.data is not None else {}
    try:
        return StageRequirements.model_validate(data)
    except ValidationError as exc:
        first = pydantic_issues(exc, parsed)[0]
        raise InputError(first.message, path=path, field=first.field, line=first.line) from None


def _table(entries: list[dict[str, Any]]) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="readiness")
    for column in ("host", "check", "required", "found", "result", "reason"):
        table.add_column(column, overflow="fold")
    marks = {True: "[green]pass[/]", False: "[red]fail[/]", None: "[yellow]unknown[/]"}
    for entry in entries:
        host = escape(entry["host"])
        if entry["readiness"]["basis"] == "none":  # never contacted: no attestation counts
            table.add_row(
                host, "attestation", "a fresh signed local attestation", "-",
                "[red]not ready[/]", escape(entry["message"]),
            )  # fmt: skip
            continue
        if not entry["reachable"]:
            table.add_row(
                host, "reachable", "a connection", "-", "[red]unreachable[/]",
                escape(entry["message"]),
            )  # fmt: skip
            continue
        if not entry["checks"]:
            table.add_row(host, "-", "-", "-", "[green]ready[/]", "nothing to check")
        for c in entry["checks"]:
            table.add_row(
                host,
                escape(f"{c['kind']} {c['name']}"),
                escape(c["required"] or "-"),
                escape(c["found"] or "-"),
                marks[c["ok"]],
                escape(c["reason"]),
            )
        if entry["source"] != "probe" and entry["source"] != "local probe":
            table.add_row(host, "source", "-", escape(entry["source"]), "-", "not probed now")
    return table


def _signer(given: str | None) -> Any:
    key = given or os.environ.get("WRK_SIGNING_KEY")
    if not key:
        return None
    from wrk_ansible.evidence.ledger import Signer

    signer = Signer(Path(key).absolute())  # ssh-keygen may run in another folder
    _can_sign(signer, key)
    return signer


def _can_sign(signer: Any, shown: str) -> None:
    """Sign a scratch file outside every repository, so a file that is no usable SSH private
    key (a ``KEY.pub`` beside it or not) is refused now, before anything is written."""
    import tempfile

    from wrk_ansible.errors import InputError, WrkError

    with tempfile.TemporaryDirectory(prefix="wrk-sign-check-") as scratch:
        probe = Path(scratch) / "probe"
        probe.write_bytes(b"wrk signing-key check\n")
        try:
            signer.sign(probe)
        except WrkError as exc:  # one line: ssh-keygen's last word ("invalid format", ...)
            said = [line.strip() for line in str(exc).splitlines() if line.strip()]
            why = said[-1].split(": ", 1)[-1] if said else "it cannot sign"
            raise InputError(f"not a usable SSH private key ({why})", path=shown) from None


def _check_key(ws: Any, signer: Any, args: argparse.Namespace) -> None:
    """Refuse to sign a host's attestation with a key that is not its ``wrk_signing_key``:
    the gate would refuse the record later; say so now, before anything is written."""
    if ws is None or signer is None or not ws.signing_key:
        return
    from wrk_ansible.cli.common import inventory_source
    from wrk_ansible.errors import InputError
    from wrk_ansible.evidence.verify import public_key, same_key
    from wrk_ansible.readiness.source import key_base

    declared = public_key(ws.signing_key, key_base(inventory_source(args)[0]))
    if not same_key(declared, signer.public_key()):
        raise InputError(
            f"this key is not {ws.name}'s wrk_signing_key in the inventory: an attestation "
            "signed with it would not count; sign with the key the inventory names (or update "
            "wrk_signing_key)",
            path=str(signer.key),
            field="--sign-key",
        )


def _work_tree_here() -> str | None:
    """The git work tree this command runs in (its checkout dimension), if any."""
    from wrk_ansible.evidence.repo import work_tree

    tree = work_tree(Path.cwd())
    return None if tree is None else str(tree.top)


def _entry(host: str, seen: Any, observed: Any) -> dict[str, Any]:
    """One host's ``--json`` entry: its observation (when there is one) and its readiness as
    every command reports it."""
    if observed is not None:
        out: dict[str, Any] = observed.as_dict()
        out["ready"] = seen.ready  # the same answer as gate, report and what-if
    else:
        out = {  # nothing observed (a host without access and no attestation that counts)
            "host": host,
            "reachable": False,
            "ready": False,
            "message": seen.reason,
            "source": seen.source,
            "observed_at": None,
            "facts": {},
            "checks": [],
            "mode": None,
            "schema_version": None,
            "dimensions": None,
        }
    out["readiness"] = seen.as_dict()
    return out


def _fleet(args: argparse.Namespace, started: Any) -> int:
    """Probe every host of --limit in one run (``started``: the run already begun, else one is
    made when the hosts are known); hosts without remote access answer through their signed
    attestations (the one readiness source decides, as for every command)."""
    from wrk_ansible.cli.common import inventory_source, open_registry
    from wrk_ansible.errors import InputError
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.evidence.readiness import record_observation
    from wrk_ansible.here import writer_name
    from wrk_ansible.readiness.gather import probe_hosts
    from wrk_ansible.readiness.source import Mode, ReadinessSource, key_base

    requirements = load_requirements(args.requirements)
    signer = _signer(args.sign_key)
    registry = open_registry(args)
    hosts = registry.hosts_in(args.limit or "all")
    if not hosts:
        raise InputError(f"no host matches {args.limit!r}", field="--limit")
    inventory = inventory_source(args)[0]
    ledger = Ledger.at(evidence_dir(args))
    writer = None if args.no_record else writer_name(registry, args.here)  # before any probe

    def progress(host: str, outcome: str, message: str) -> None:
        note(f"  {host}: {outcome}" + (f" ({message})" if message else ""))

    def prober(names: Any, wanted: Any) -> Any:
        return probe_hosts(
            names, inventory=inventory, requirements=wanted, timeout=args.timeout,
            progress=progress, started=started,
            artifacts_dir=Path(args.artifacts) if args.artifacts else None,
        )  # fmt: skip

    def remember(observed: Any, data: Any) -> None:
        if writer is not None:
            record = record_observation(ledger, writer, observed.as_dict(), data, signer=signer)
            note(f"recorded {record.id}")

    source = ReadinessSource(
        ledger, key_base(inventory), mode=Mode.PROBE, prober=prober, on_observed=remember, note=note
    )
    workstations = [registry.get(h) for h in hosts]
    for ws in workstations:
        if ws.access == "none":
            note(f"{ws.name}: no remote access: answered from its own signed attestation, if any")
    readiness = source.for_row(requirements or _empty(), workstations)
    entries = [_entry(h, readiness[h], source.observations.get(h)) for h in hosts]
    return _report(args, entries)


def _empty() -> Any:
    from wrk_ansible.contract.models import StageRequirements

    return StageRequirements()


def _report(args: argparse.Namespace, entries: list[dict[str, Any]]) -> int:
    if args.json:
        emit_json(entries)
    else:
        from rich.console import Console

        Console(width=None if sys.stdout.isatty() else 160).print(_table(entries))
    ready = sum(bool(e["ready"]) for e in entries)
    note(f"{ready} of {len(entries)} host(s) ready")
    return 0 if ready == len(entries) else 2


_PATH = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def _import(args: argparse.Namespace) -> int:
    """``wrk readiness import FILE...``: every file checked, then one record each."""
    from wrk_ansible.cli.common import open_registry
    from wrk_ansible.errors import UsageError
    from wrk_ansible.evidence.fleet import import_snapshots
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.here import writer_name

    if not args.files:
        raise UsageError("import needs one or more snapshot FILEs")
    for flag in ("local", "limit", "requirements", "dispatch_path", "no_record", "artifacts"):
        if getattr(args, flag):
            raise UsageError(f"--{flag.replace('_', '-')} does not apply to import")
    registry = open_registry(args)
    ledger = Ledger.at(evidence_dir(args))
    records = import_snapshots(ledger, registry, args.files, writer_name(registry, args.here))
    if args.json:
        emit_json(
            [{"id": r.id, "host": r.body.host, "observed_at": r.body.observed_at} for r in records]
        )
    else:
        for record in records:
            print(record.id)
            note(
                f"  {record.body.host}: snapshot of {record.body.observed_at} ({record.body.file})"
            )
    return 0


def run_readiness(args: argparse.Namespace) -> int:
    from wrk_ansible.errors import UsageError

    if args.verb == "import":
        return _import(args)
    if args.files:
        raise UsageError(
            f"unexpected argument {args.files[0]!r} (import FILE... records snapshots)"
        )
    if args.local:
        if args.artifacts:
            raise UsageError("--artifacts does not apply to --local (no playbook runs)")
        return _here(args)
    if args.dispatch_path is not None:
        raise UsageError("--dispatch-path needs --local: only the host itself can attest it")
    if args.artifacts:  # ansible-runner makes the run, when the hosts are known
        return _fleet(args, None)
    from wrk_ansible.readiness.launch import start_probe

    # ansible-playbook starts first and waits for its hosts and requirements (the probe sends
    # them), so Ansible's start-up overlaps wrk's own imports and checks; leaving the block
    # without a probe (bad input, no host to probe, an interrupt) ends it, having run nothing.
    # --inventory wins over every other source (Settings.inventory), so when it is given the
    # configuration is read after the start; the probe uses this run only if it was started
    # for the inventory the settings name (launch.started_for).
    if args.inventory:
        inventory = args.inventory
    else:
        from wrk_ansible.cli.common import inventory_source

        inventory = inventory_source(args)[0]
    with start_probe(inventory, timeout=args.timeout) as started:
        return _fleet(args, started)


def _here(args: argparse.Namespace) -> int:
    """``--local``: probe this machine in this process and attest what it found."""
    import re

    from wrk_ansible.cli.common import open_registry
    from wrk_ansible.errors import InputError, UsageError
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.evidence.readiness import record_observation
    from wrk_ansible.here import identify_here, writer_name
    from wrk_ansible.readiness.gather import probe_local
    from wrk_ansible.readiness.results import requirements_data

    requirements = load_requirements(args.requirements)
    signer = _signer(args.sign_key)
    registry = open_registry(args, required=False)
    if args.limit:
        raise UsageError("--limit does not apply to --local (it probes this machine)")
    if args.dispatch_path is not None and not re.match(_PATH, args.dispatch_path):
        raise UsageError(f"--dispatch-path {args.dispatch_path!r} is not a name ([A-Za-z0-9._-])")
    if registry is not None:
        ws = identify_here(registry, args.here)
        name = ws.name
    else:  # no inventory: a record needs a writer all the same (here.writer_name's one rule)
        ws = None
        name = (args.here or "localhost") if args.no_record else writer_name(None, args.here)
    if ws is not None and ws.access == "none" and signer is None and not args.no_record:
        raise InputError(
            f"{ws.name} has no remote access: its attestation must be signed; pass "
            "--sign-key KEY or set $WRK_SIGNING_KEY"
        )
    if not args.no_record:
        _check_key(ws, signer, args)
    observed = probe_local(
        name, ws, requirements, timeout=args.timeout, repository=_work_tree_here()
    )
    if not args.no_record:
        ledger = Ledger.at(evidence_dir(args))
        data = requirements_data(requirements)
        record = record_observation(
            ledger,
            name,
            observed.as_dict(),
            data,
            local=True,
            signer=signer,
            dispatch_path=args.dispatch_path,
        )
        note(f"recorded {record.id}")
    return _report(args, [_entry(name, observed.for_decision(), observed)])
