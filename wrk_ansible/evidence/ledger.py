"""Append-only, hash-chained evidence records, one chain per WRK, writing host and clone.

Layout: ``ROOT/<WRK-id>/<chain>/<seq:06d>-<kind>.json`` plus a ``HEAD`` file per chain holding
the newest record's sequence number and sha256. A chain is named ``HOST@CLONE``: the inventory
host wrk ran on and the id of the clone (or worktree) it ran in
(:mod:`wrk_ansible.evidence.clone`), so two clones gating as one host never write the same
paths. Chains written before clone ids (schema 1) are named ``HOST``; they still verify and read,
and are never appended to again. Each record names its chain (``writer``) and its ``host``; code
that asks "which host" reads :attr:`Record.host`, never the folder name.

Each record holds the sha256 of the one before it (``prev``) and the heads of the WRK's other
chains it has seen (``links``), so chains written on several machines and merged through git
never fork and commit to each other. Records are written once (hard-link, never overwritten)
under a per-chain lock; a crash leaves a complete record or none. Signatures (``ssh-keygen -Y
sign``) sit beside records as ``.sig``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from filelock import FileLock, Timeout

from wrk_ansible import clock
from wrk_ansible.atomic import clean_temp_files, create_file, replace_file
from wrk_ansible.errors import InputError, WrkError

#: 2: chains are ``HOST@CLONE`` and records carry ``host``; 1: chains (and ``writer``) are hosts.
SCHEMA_VERSION: Final = 2
ENV_DIR: Final = "WRK_EVIDENCE_DIR"
DEFAULT_DIR: Final = ".wrk/evidence"
HEAD: Final = "HEAD"
LOCK: Final = ".lock"
LOCK_TIMEOUT: Final = 60.0
_NAME = re.compile(r"^(\d{6})-([a-z][a-z0-9-]{0,40})\.json$")
_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
#: A chain folder: a host, then ``@`` and a clone id (none in chains written before clone ids).
CHAIN_NAME: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(@[0-9a-z]{4,32})?$")


def canonical_bytes(record: Mapping[str, Any]) -> bytes:
    """The exact bytes a record is stored as (and hashed over)."""
    return (
        json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n"
    ).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


utc_now = clock.utc_now


def _safe(component: str, what: str, pattern: re.Pattern[str] = _SAFE) -> str:
    if not pattern.match(component) or component in {".", ".."}:
        raise InputError(f"{what} {component!r} cannot name an evidence folder")
    return component


def folder_of(wrk: str) -> str:
    """The folder of a work item's chains: a WRK id as it is; an issue reference
    ``OWNER/REPO#N`` (which cannot name a folder) as its safe name ``gh.owner.repo.n``
    (:attr:`wrk_ansible.refs.IssueRef.folder`). A folder name is its own folder."""
    if "#" not in wrk:
        return wrk
    from wrk_ansible.refs import parse_ref

    return parse_ref(wrk).folder  # no WRK id holds "#": anything else is a mistyped reference


def host_of(chain: str) -> str:
    """The host that writes the chain ``chain`` (``build1@5c1e09a4`` and ``build1``: build1)."""
    return chain.partition("@")[0]


@dataclass(frozen=True)
class Record:
    """One stored record, as read back (``data`` is the whole JSON object)."""

    path: Path
    sha256: str
    data: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.wrk}/{self.writer}/{self.seq:06d}"

    @property
    def wrk(self) -> str:
        return str(self.data.get("wrk"))

    @property
    def writer(self) -> str:
        """The chain the record was written to (``HOST@CLONE``; a host in schema 1)."""
        return str(self.data.get("writer"))

    @property
    def host(self) -> str:
        """The inventory host that wrote it (``host``; in schema 1 the writer itself)."""
        host = self.data.get("host")
        return host if isinstance(host, str) else host_of(self.writer)

    @property
    def seq(self) -> int:
        seq = self.data.get("seq")
        return seq if isinstance(seq, int) else -1

    @property
    def kind(self) -> str:
        return str(self.data.get("kind"))

    @property
    def time(self) -> str:
        return str(self.data.get("time"))

    @property
    def body(self) -> Mapping[str, Any]:
        body = self.data.get("body")
        return body if isinstance(body, Mapping) else {}

    @property
    def signature(self) -> Path:
        return self.path.with_name(self.path.name + ".sig")


def _kind_of(path: Path) -> str:
    """A record file's kind, from its name (``000003-gate.json``: gate)."""
    found = _NAME.match(path.name)
    return found.group(2) if found else ""


def read_record(path: Path) -> Record:
    """Read one record file (no chain checks)."""
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        data = {}
    return Record(path=path, sha256=sha256(raw), data=data if isinstance(data, dict) else {})


def read_head(folder: Path) -> tuple[int, str] | None:
    """The chain's HEAD (sequence number, sha256), or None when there is none."""
    try:
        seq, digest = (folder / HEAD).read_text(encoding="utf-8").split()
        return int(seq), digest
    except (OSError, ValueError):
        return None


class Signer:
    """Signs record files with an SSH key (``ssh-keygen -Y sign``, namespace wrk-evidence)."""

    namespace: Final = "wrk-evidence"

    def __init__(self, key: Path) -> None:
        if not key.is_file():
            raise InputError("signing key not found", path=str(key))
        self.key = key

    def public_key(self) -> str:
        """The public key line of this signing key: ``KEY.pub`` beside it (as ``ssh-keygen -Y
        sign`` uses it; a passphrase-protected key in an agent needs no passphrase for it), else
        ``ssh-keygen -y``."""
        import subprocess

        beside = self.key.with_name(self.key.name + ".pub")
        if beside.is_file():
            try:
                line = beside.read_text(encoding="utf-8").strip().splitlines()[0]
            except (OSError, UnicodeDecodeError, IndexError):
                line = ""
            if line:
                return line

        done = subprocess.run(
            ["ssh-keygen", "-y", "-f", str(self.key)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0 or not done.stdout.strip():
            why = done.stderr.strip() or "no public key"
            raise InputError(f"not a usable SSH private key: {why}", path=str(self.key))
        return done.stdout.strip().splitlines()[0]

    def sign(self, path: Path) -> Path:
        import subprocess

        done = subprocess.run(
            [
                "ssh-keygen",
                "-q",
                "-Y",
                "sign",
                "-f",
                str(self.key),
                "-n",
                self.namespace,
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise WrkError(f"could not sign {path.name}: {done.stderr.strip()}")
        return path.with_name(path.name + ".sig")


class Ledger:
    """The evidence store under one root folder."""

    def __init__(self, root: Path, *, clone: str | None = None) -> None:
        self.root = root
        self._clone = clone

    @classmethod
    def at(cls, given: str | None = None) -> Ledger:
        """``given``, else ``$WRK_EVIDENCE_DIR``, else ``.wrk/evidence``."""
        return cls(Path(given or os.environ.get(ENV_DIR) or DEFAULT_DIR))

    @property
    def clone(self) -> str:
        """The id of the clone this process writes from (found, or made, on first use)."""
        if self._clone is None:
            from wrk_ansible.evidence.clone import clone_id

            self._clone = clone_id(self.root)
        return self._clone

    def chain_of(self, host: str) -> str:
        """The chain ``host`` appends to from this clone: ``HOST@CLONE``."""
        return f"{_safe(host, 'writer host')}@{self.clone}"

    def wrk_dir(self, wrk: str) -> Path:
        """The folder of one WRK's chains (or of ``_readiness``, ``_quota``); an id that cannot
        name a folder is refused."""
        return self.root / _safe(folder_of(wrk), "WRK id")

    def chain_dir(self, wrk: str, chain: str) -> Path:
        return self.wrk_dir(wrk) / _safe(chain, "evidence chain", CHAIN_NAME)

    def chains(self, wrk: str | None = None) -> Iterator[tuple[str, str]]:
        """(wrk, chain) of every chain, sorted (:func:`host_of` a chain: its host)."""
        if not self.root.is_dir():
            return
        wrks = (
            [folder_of(wrk)] if wrk else sorted(p.name for p in self.root.iterdir() if p.is_dir())
        )
        for name in wrks:
            folder = self.root / name
            if folder.is_dir():
                for writer in sorted(p.name for p in folder.iterdir() if p.is_dir()):
                    yield name, writer

    def files(self, wrk: str, chain: str) -> list[Path]:
        """Record files of a chain in sequence order (temp files and signatures skipped)."""
        folder = self.chain_dir(wrk, chain)
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if _NAME.match(p.name))

    def kinds(self, wrk: str) -> set[str]:
        """The kinds of record the WRK's chains hold, from file names (nothing is read)."""
        return {_kind_of(p) for _, c in self.chains(wrk) for p in self.files(wrk, c)}

    def records(
        self, wrk: str, chain: str | None = None, *, kinds: Collection[str] | None = None
    ) -> list[Record]:
        """Every record of the WRK's chains (or of one chain), chain by chain; ``kinds``: only
        records of those kinds, chosen by file name (``<seq>-<kind>.json``), so no other file
        is read."""
        chains = [chain] if chain else [c for _, c in self.chains(wrk)]
        return [
            read_record(p)
            for c in chains
            for p in self.files(wrk, c)
            if kinds is None or _kind_of(p) in kinds
        ]

    def get(self, record_id: str) -> Record:
        parts = record_id.strip("/").split("/")
        if len(parts) != 3 or not parts[2].isdigit():
            raise InputError(f"evidence id {record_id!r} is not WRK/CHAIN/SEQ")
        wrk, writer, seq = parts
        for path in self.files(wrk, writer):
            if int(path.name[:6]) == int(seq):
                return read_record(path)
        raise InputError(f"no evidence record {record_id!r} under {self.root}")

    def heads(self, wrk: str, *, exclude: str | None = None) -> list[dict[str, Any]]:
        """The newest record of each of the WRK's chains (for ``links``)."""
        out = []
        for _, writer in self.chains(wrk):
            if writer == exclude:
                continue
            files = self.files(wrk, writer)
            if files:
                last = read_record(files[-1])
                out.append({"writer": writer, "seq": last.seq, "sha256": last.sha256})
        return out

    def append(
        self,
        wrk: str,
        host: str,
        kind: str,
        body: Mapping[str, Any],
        *,
        signer: Signer | None = None,
    ) -> Record:
        """Append one record, written by ``host``, to its chain in this clone (``HOST@CLONE``),
        under the chain's lock."""
        if not re.match(r"^[a-z][a-z0-9-]{0,40}$", kind):
            raise InputError(f"evidence kind {kind!r} is not a lowercase word")
        wrk = _safe(folder_of(wrk), "WRK id")
        writer = self.chain_of(host)
        folder = self.chain_dir(wrk, writer)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with FileLock(str(folder / LOCK), timeout=LOCK_TIMEOUT):
                return self._append_locked(
                    folder, wrk=wrk, writer=writer, host=host, kind=kind, body=body, signer=signer
                )
        except Timeout:
            raise WrkError(f"evidence chain {folder} stayed locked for {LOCK_TIMEOUT:g}s") from None
        except OSError as exc:
            raise WrkError(f"could not write evidence in {folder}: {exc.strerror or exc}") from None

    def _append_locked(
        self,
        folder: Path,
        *,
        wrk: str,
        writer: str,
        host: str,
        kind: str,
        body: Mapping[str, Any],
        signer: Signer | None,
    ) -> Record:
        clean_temp_files(folder)
        for leftover in folder.glob(".wrk-sign-*"):
            leftover.unlink(missing_ok=True)
        for orphan in folder.glob("*.json.sig"):  # a signature whose record never landed
            if not orphan.with_suffix("").exists():
                orphan.unlink(missing_ok=True)
        files = self.files(wrk, writer)
        last = read_record(files[-1]) if files else None
        head = read_head(folder)
        if last is not None and (head is None or head != (last.seq, last.sha256)):
            lagging = (
                head is not None and last.seq == head[0] + 1 and last.data.get("prev") == head[1]
            )
            if not lagging:
                raise WrkError(
                    f"evidence chain {folder} does not match its HEAD; run `wrk evidence verify`"
                )
        seq = (last.seq if last else 0) + 1
        record = {
            "schema_version": SCHEMA_VERSION,
            "wrk": wrk,
            "writer": writer,
            "host": host,
            "seq": seq,
            "kind": kind,
            "time": utc_now(),
            "prev": last.sha256 if last else None,
            "links": self.heads(wrk, exclude=writer),
            "body": dict(body),
        }
        data = canonical_bytes(record)
        path = folder / f"{seq:06d}-{kind}.json"
        if signer is not None:
            staged = folder / f".wrk-sign-{seq:06d}.tmp"
            staged.write_bytes(data)
            try:
                sig = signer.sign(staged)
                create_file(path.with_name(path.name + ".sig"), sig.read_bytes())
            finally:
                staged.unlink(missing_ok=True)
                staged.with_name(staged.name + ".sig").unlink(missing_ok=True)
        create_file(path, data)
        digest = sha256(data)
        replace_file(folder / HEAD, f"{seq} {digest}\n".encode())
        return Record(path=path, sha256=digest, data=record)
