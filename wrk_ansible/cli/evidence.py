"""``wrk evidence list | show ID | verify [WRK]``: read and check the evidence chains."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from wrk_ansible.cli.common import (
    add_evidence_dir,
    add_inventory,
    add_json,
    emit_json,
    evidence_dir,
    note,
)

if TYPE_CHECKING:
    from pathlib import Path

    from wrk_ansible.evidence.ledger import Record


def register(commands: Any) -> None:
    group = commands.add_parser("evidence", help="list, show and verify evidence records")
    verbs = group.add_subparsers(dest="verb", metavar="VERB", required=True)
    for name, helptext in (
        ("list", "records of one WRK (or all), oldest first"),
        ("show", "one record by id (WRK/WRITER/SEQ)"),
        ("verify", "recompute every chain; exit 1 naming the first bad record"),
    ):
        verb = verbs.add_parser(name, help=helptext)
        if name == "show":
            verb.add_argument("id", metavar="ID")
        else:
            verb.add_argument("wrk", nargs="?", metavar="WRK")
        add_evidence_dir(verb)
        if name == "verify":
            add_inventory(verb)
            verb.add_argument(
                "--allow-empty",
                action="store_true",
                help="no evidence at all (no evidence folder, no chain, none for WRK) is the "
                "expected answer: exit 0, saying nothing was verified (default: exit 1)",
            )
        add_json(verb)
        verb.set_defaults(handler={"list": run_list, "show": run_show, "verify": run_verify}[name])


def _listed(record: Record) -> dict[str, Any]:
    """What ``list`` shows of a record: its stage and verdict when its kind has them, and why
    its body is skipped when it does not validate."""
    from wrk_ansible.evidence.records import KINDS, Skipped, typed

    model = KINDS.get(record.kind)
    found = typed(record, model) if model is not None else None
    if isinstance(found, Skipped):
        return {"stage": None, "verdict": None, "problem": found.reason}
    body = found.body if found is not None else None
    verdict = getattr(body, "verdict", None)
    return {
        "stage": getattr(body, "stage", None),
        "verdict": None if verdict is None else str(verdict),
        "problem": None,
    }


def run_list(args: argparse.Namespace) -> int:
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.evidence.records import newest_key

    ledger = Ledger.at(evidence_dir(args))
    records = [r for wrk, writer in ledger.chains(args.wrk) for r in ledger.records(wrk, writer)]
    records.sort(key=lambda r: newest_key(r.time, r.id))
    shown = [(r, _listed(r)) for r in records]
    if args.json:
        emit_json(
            [
                {"id": r.id, "kind": r.kind, "time": r.time, "sha256": r.sha256, **seen}
                for r, seen in shown
            ]
        )
        return 0
    for r, seen in shown:
        extra = " ".join(str(seen[k]) for k in ("stage", "verdict") if seen[k])
        if seen["problem"]:
            extra = f"(body does not validate: {seen['problem']})"
        print(f"{r.id}  {r.time}  {r.kind:12} {extra}")
    note(f"{len(records)} record(s) in {ledger.root}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    import json

    from wrk_ansible.evidence.ledger import Ledger

    record = Ledger.at(evidence_dir(args)).get(args.id)
    if args.json:
        emit_json(
            {
                "id": record.id,
                "sha256": record.sha256,
                "signed": record.signature.is_file(),
                "record": dict(record.data),
            }
        )
    else:
        sys.stdout.write(json.dumps(dict(record.data), indent=2, sort_keys=True) + "\n")
    return 0


def _signing_keys(args: argparse.Namespace) -> dict[str, str]:
    """Each host's public signing key; a key given as a path is read from its file."""
    from pathlib import Path

    from wrk_ansible.cli.common import inventory_source, open_registry
    from wrk_ansible.evidence.verify import public_key

    registry = open_registry(args, required=False)
    if registry is None:
        return {}
    source = Path(inventory_source(args)[0])
    base = source if source.is_dir() else source.parent
    return {
        ws.name: public_key(ws.signing_key, base) for ws in registry.workstations if ws.signing_key
    }


def _store(args: argparse.Namespace) -> tuple[Path, str]:
    """The evidence folder to verify and where that choice came from (``--evidence-dir``,
    ``$WRK_EVIDENCE_DIR``, ``wrk.yml``, ``default``). A path that is not a folder is refused:
    whatever ``--allow-empty`` says, nothing there can be verified."""
    from pathlib import Path

    from wrk_ansible.cli.common import settings
    from wrk_ansible.errors import InputError

    picked = settings(args).evidence_dir(getattr(args, "evidence_dir", None))
    root = Path(picked.value)
    if root.exists() and not root.is_dir():
        raise InputError(
            f"the evidence folder ({picked.origin}) is not a folder: nothing was verified",
            path=str(root),
        )
    return root, str(picked.origin)


def _nothing_to_verify(args: argparse.Namespace, root: Path, origin: str) -> int:
    """No chain to verify: an error (a typo in CI must not pass), unless ``--allow-empty``."""
    from wrk_ansible.errors import InputError

    which = "default evidence folder" if origin == "default" else f"evidence folder ({origin})"
    if not root.is_dir():
        what = f"no such {which}"
    elif args.wrk:
        what = f"no evidence for {args.wrk} in this {which}"
    else:
        what = f"no evidence chain in this {which}"
    message = f"{what}: nothing was verified"
    if not args.allow_empty:
        raise InputError(
            message + "; pass --allow-empty when no evidence is the expected answer",
            path=str(root),
        )
    if args.json:
        emit_json({"ok": True, "empty": True, "message": message, "chains": []})
    note(f"{root}: {message} (--allow-empty)")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from wrk_ansible.evidence.history import check_history
    from wrk_ansible.evidence.ledger import Ledger
    from wrk_ansible.evidence.verify import verify

    root, origin = _store(args)
    ledger = Ledger(root)
    if args.wrk:
        ledger.wrk_dir(args.wrk)  # an id that cannot name a folder: refused, naming it
    reports = verify(ledger, args.wrk, _signing_keys(args)) if root.is_dir() else []
    # git remembers what the folder lost: a store emptied after a commit is not "empty"
    history = check_history(ledger, args.wrk)
    if not reports and not history.problems:
        return _nothing_to_verify(args, root, origin)
    broken = [r for r in reports if r.problems]
    bookings = _double_bookings(args, ledger) if reports else []
    ok = not broken and not history.problems and not bookings
    if args.json:
        emit_json(
            {
                "ok": ok,
                "empty": False,
                "chains": [
                    {
                        "chain": r.chain,
                        "records": r.records,
                        "signed": r.signed,
                        "problems": [str(p) for p in r.problems],
                    }
                    for r in reports
                ],
                "history": history.as_dict(),
                "double_bookings": [
                    {
                        "cap": b.cap,
                        "limit": b.limit,
                        "leases": [h.record for h in b.holders],
                        "problem": b.double_booking,
                    }
                    for b in bookings
                ],
            }
        )
    else:
        for r in reports:
            state = "ok" if not r.problems else "BROKEN"
            print(f"{state:7} {r.chain}: {r.records} record(s), {r.signed} signed")
            for problem in r.problems:
                print(f"  {problem}")
        state = "BROKEN" if history.problems else "ok" if history.checked else "skipped"
        print(f"{state:7} git history: {history.summary}")
        for problem in history.problems:
            print(f"  {problem}")
        for booking in bookings:
            print(f"BROKEN  capacity: P1 {booking.double_booking}")
    return 0 if ok else 1


def _double_bookings(args: argparse.Namespace, ledger: Any) -> list[Any]:
    """Caps the folder's live leases exceed (merged from clones that each took the last slot),
    under the configured capacity; ``WRK``: only those it is one of the holders of."""
    from wrk_ansible.cli.common import capacity, open_registry
    from wrk_ansible.evidence.leases import double_bookings, leases

    caps = capacity(args).value
    if caps.empty:
        return []
    registry = open_registry(args, required=False)
    names_of = registry.names_of if registry is not None else (lambda host: ())
    found = double_bookings(leases(ledger), caps, names_of)
    if args.wrk:
        from wrk_ansible.evidence.ledger import folder_of

        mine = folder_of(args.wrk)
        found = [b for b in found if any(folder_of(h.item) == mine for h in b.holders)]
    return found
