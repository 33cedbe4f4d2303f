"""Recompute every chain and name the first record edited, removed, reordered or inserted.

Also checks that each record's links (the heads of other chains it saw) still match, and, for
hosts that have a signing key in the inventory, that every record of their chains (the host's
own, ``HOST`` and ``HOST@CLONE`` alike) is signed by that key.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wrk_ansible.errors import InputError
from wrk_ansible.evidence.ledger import (
    CHAIN_NAME,
    Ledger,
    Record,
    Signer,
    host_of,
    read_head,
    read_record,
)


@dataclass(frozen=True)
class Problem:
    """Something wrong with a chain, pointing at the first record concerned."""

    chain: str
    record: str | None
    message: str

    def __str__(self) -> str:
        where = self.record or self.chain
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ChainReport:
    chain: str
    records: int
    signed: int
    problems: tuple[Problem, ...]


KEY_TYPES = ("ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-")


def public_key(value: str, base: Path) -> str:
    """A ``wrk_signing_key`` value as key text: the key itself, or the file it names.

    A relative path is taken from ``base`` (the inventory's folder).
    """
    text = value.strip()
    if text.startswith(KEY_TYPES):
        if "\n" in text or "\r" in text:  # one allowed-signers line, never more
            raise InputError("a public key is one line", field="wrk_signing_key")
        return text
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        path = base / path
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"not a public key and not a readable key file ({exc.__class__.__name__})",
            path=str(path),
            field="wrk_signing_key",
        ) from None
    key = next((line.strip() for line in lines if line.strip()), "")
    if not key.startswith(KEY_TYPES):
        raise InputError(
            "the file holds no SSH public key", path=str(path), field="wrk_signing_key"
        )
    return key


def same_key(left: str, right: str) -> bool:
    """True when two public key lines hold the same key (type and blob; comments aside)."""
    return left.split()[:2] == right.split()[:2]


def verify_signature(record: Record, host: str, key: str) -> str | None:
    """None when ``record`` carries a valid signature by ``key``, the key of ``host``."""
    if not record.signature.is_file():
        return "not signed, but its writer has a signing key in the inventory"
    with tempfile.NamedTemporaryFile("w", suffix=".allowed", delete=False) as allowed:
        allowed.write(f'{host} namespaces="{Signer.namespace}" {key}\n')
    try:
        with record.path.open("rb") as data:
            done = subprocess.run(
                [
                    "ssh-keygen",
                    "-Y",
                    "verify",
                    "-f",
                    allowed.name,
                    "-I",
                    host,
                    "-n",
                    Signer.namespace,
                    "-s",
                    str(record.signature),
                ],
                stdin=data,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
    finally:
        Path(allowed.name).unlink(missing_ok=True)
    if done.returncode != 0:
        return "signature does not verify against the writer's key: " + (
            done.stderr.strip() or done.stdout.strip()
        )
    return None


def verify_chain(
    ledger: Ledger, wrk: str, writer: str, signing_keys: Mapping[str, str]
) -> ChainReport:
    """One chain (``writer``: its folder name, ``HOST@CLONE`` or an older ``HOST``)."""
    chain = f"{wrk}/{writer}"
    files = ledger.files(wrk, writer)
    problems: list[Problem] = []
    previous: Record | None = None
    signed = 0
    host = host_of(writer)
    key = signing_keys.get(host.casefold())
    for expected, path in enumerate(files, start=1):
        record = read_record(path)
        rid = f"{chain}/{path.name[:6]}"
        data = record.data
        if not data:
            problems.append(Problem(chain, rid, "is not a JSON record (edited or truncated)"))
            break
        if record.seq != expected or int(path.name[:6]) != expected:
            what = "removed" if record.seq > expected else "inserted or reordered"
            problems.append(
                Problem(
                    chain,
                    rid,
                    f"sequence {record.seq} where {expected} was expected (a record was {what})",
                )
            )
            break
        if (
            data.get("wrk") != wrk
            or data.get("writer") != writer
            or record.host != host
            or not path.name.endswith(f"-{record.kind}.json")
        ):
            problems.append(
                Problem(chain, rid, "its wrk, writer, host or kind do not match its place")
            )
            break
        want_prev = previous.sha256 if previous else None
        if data.get("prev") != want_prev:
            target = f"{chain}/{previous.seq:06d}" if previous else rid
            problems.append(
                Problem(chain, target, "edited: the next record's prev hash does not match it")
            )
            break
        if key:
            failure = verify_signature(record, host, key)
            if failure:
                problems.append(Problem(chain, rid, failure))
                break
        if record.signature.is_file():
            signed += 1
        previous = record
    if not problems:
        problems += _check_head(ledger, wrk, writer, previous)
    return ChainReport(chain, len(files), signed, tuple(problems))


def _check_head(ledger: Ledger, wrk: str, writer: str, last: Record | None) -> list[Problem]:
    chain = f"{wrk}/{writer}"
    head = read_head(ledger.chain_dir(wrk, writer))
    if last is None:
        return [Problem(chain, None, "HEAD names records that are gone")] if head else []
    if head is None:
        return [Problem(chain, None, "HEAD is missing")]
    seq, digest = head
    if seq > last.seq:
        return [Problem(chain, f"{chain}/{seq:06d}", "removed: HEAD names a newer record")]
    if seq == last.seq and digest != last.sha256:
        return [Problem(chain, f"{chain}/{seq:06d}", "edited: it no longer matches HEAD")]
    if seq == last.seq - 1 and last.data.get("prev") == digest:
        return []  # a write interrupted before HEAD moved; the next writer repairs it
    if seq != last.seq:
        return [Problem(chain, f"{chain}/{last.seq:06d}", "HEAD does not match the chain")]
    return []


def verify_links(ledger: Ledger, wrk: str) -> list[Problem]:
    """Every link to another chain's record must still exist and match that record: a lost
    chain, a lost record or an edited one is caught through the chains that saw it."""
    problems: list[Problem] = []
    for record in ledger.records(wrk):
        for link in record.data.get("links") or []:
            problem = _link_problem(ledger, wrk, record, link)
            if problem is not None:
                problems.append(problem)
    return problems


def _link_problem(ledger: Ledger, wrk: str, record: Record, link: object) -> Problem | None:
    if not isinstance(link, dict):
        return Problem(f"{wrk}/{record.writer}", record.id, "a link is not an object")
    writer, seq = str(link.get("writer")), link.get("seq")
    if not isinstance(seq, int) or not CHAIN_NAME.match(writer):
        return Problem(f"{wrk}/{record.writer}", record.id, f"a link is malformed: {link!r}")
    target = f"{wrk}/{writer}/{seq:06d}"
    files = [p for p in ledger.files(wrk, writer) if p.name.startswith(f"{seq:06d}-")]
    if not files:
        return Problem(f"{wrk}/{writer}", target, f"removed: {record.id} links to it")
    if read_record(files[0]).sha256 != link.get("sha256"):
        return Problem(
            f"{wrk}/{writer}", target, f"edited: {record.id} linked it with another hash"
        )
    return None


def verify(
    ledger: Ledger, wrk: str | None = None, signing_keys: Mapping[str, str] | None = None
) -> list[ChainReport]:
    """Reports for every chain (of one WRK, or all)."""
    keys = {k.casefold(): v for k, v in (signing_keys or {}).items()}
    reports = [verify_chain(ledger, w, writer, keys) for w, writer in ledger.chains(wrk)]
    wrks = sorted({r.chain.split("/")[0] for r in reports})
    extra = [p for w in wrks for p in verify_links(ledger, w)]
    if extra:
        reports.append(ChainReport("links", 0, 0, tuple(extra)))
    return reports
