"""Typed bodies of the evidence records wrk writes, one pydantic model per record kind.

Every writer builds its body through the model of its kind and stores :meth:`Body.dump`, and
every reader validates the stored body back into the same model, so writer and reader cannot
drift. Models are frozen and ignore keys they do not know (a record written by a newer wrk
still reads); a field missing from an older record takes its default. Nothing is ever
rewritten: ``wrk evidence verify`` hashes the stored bytes, which stay as they were written.

:meth:`Body.dump` writes the fields the writer set (``exclude_unset``): a body read back and
dumped again is the stored body, and a field a writer leaves out (``readiness_artifacts`` when
readiness was probed here) is absent, as it always was.

A body that does not validate is a :class:`Skipped`, never an exception: readers leave it out
and say why where it matters (:mod:`wrk_ansible.evidence.query`).

"Newest" has one meaning everywhere (:func:`newest_key`): the later ``time``, and for the same
time the higher record id (``WRK/CHAIN/SEQ`` compared as text).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Final, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wrk_ansible import clock
from wrk_ansible.decision.outcomes import Check, Gap, Outcome, Verdict
from wrk_ansible.decision.readiness import Basis, HostReadiness
from wrk_ansible.evidence.ledger import Ledger, Record, Signer

_EPOCH: Final = datetime.min.replace(tzinfo=UTC)

#: Numbers and flags are read strictly: ``true`` is not a seat count, ``"3"`` not a size.
Count = Annotated[int, Field(strict=True, ge=0)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Flag = Annotated[bool, Field(strict=True)]


def newest_key(time: str, record_id: str) -> tuple[datetime, str]:
    """The one order of "newest": by record time, then by record id (as text).

    A time that does not parse sorts before every real one. Used for records
    (:attr:`TypedRecord.order`) and for facts read from them (the report's gate facts).
    """
    return (clock.parse(time) or _EPOCH, record_id)


class _Model(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore", populate_by_name=True)


class Body(_Model):
    """The body of one record kind (``KIND``)."""

    KIND: ClassVar[str] = ""

    def dump(self) -> dict[str, Any]:
        """The body as stored: JSON types, the record's own key names, set fields only."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


# -- gate ---------------------------------------------------------------------------------------
class CheckEntry(_Model):
    """One check of a gate record (:meth:`wrk_ansible.decision.outcomes.Check.as_dict`)."""

    name: str
    outcome: Outcome
    reason: str = ""
    host: str | None = None
    kind: str = "readiness"
    required: str | None = None
    found: str | None = None
    #: What was asked and the typed values seen (absent before probe schema 2): plain values
    #: from the probe and the built-in checks; any JSON value from a plugin gate's checks.
    spec: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, check: Check) -> CheckEntry:
        return cls.model_validate(check.as_dict())


class GapEntry(_Model):
    """A gap a gate recorded, with what could unblock it."""

    priority: str
    summary: str
    proposals: tuple[str, ...] = ()

    @classmethod
    def of(cls, gap: Gap) -> GapEntry:
        return cls.model_validate(gap.as_dict())


class ReadinessEntry(_Model):
    """One host's readiness as the gate decided on it
    (:meth:`wrk_ansible.decision.readiness.HostReadiness.as_dict`)."""

    ready: Flag
    reachable: Flag
    source: str
    basis: Basis = Basis.OBSERVED
    observed_at: str | None = None
    reason: str = ""

    @classmethod
    def of(cls, readiness: HostReadiness) -> ReadinessEntry:
        return cls.model_validate(readiness.as_dict())


class Reservation(_Model):
    """License seats a passing gate held on one host until ``expires`` (the one clock format):
    written before leases (:class:`Lease`), read as a lease of those seats."""

    host: str
    feature: str
    seats: Count
    expires: str


class LeasedSeats(_Model):
    """Seats of one license feature a lease holds, on each of its hosts."""

    feature: str
    seats: Count = 1


class Lease(_Model):
    """The capacity a passing gate takes (:mod:`wrk_ansible.evidence.leases`): for which row
    (``for_stage``: the row that will run, ``execute`` for a claim), on which hosts, by which
    provider, which license seats and which caps (``caps``: the cap names it counts against,
    as shown), until ``expires`` unless a heartbeat renews it or an outcome releases it."""

    for_stage: str
    #: The work item as its contract names it (``OWNER/REPO#N`` for an issue; the record's
    #: ``wrk`` holds its folder name). Absent in leases written before it was kept.
    item: str | None = None
    hosts: tuple[str, ...] = Field(min_length=1)
    provider: str | None = None
    features: tuple[LeasedSeats, ...] = ()
    caps: tuple[str, ...] = ()
    ttl_minutes: Annotated[Number, Field(gt=0)]
    expires: str


class GateBody(Body):
    """``gate``: one decided stage (``wrk gate``)."""

    KIND: ClassVar[str] = "gate"

    stage: str
    verdict: Verdict | None = None
    reason: str = ""
    for_hosts: tuple[str, ...] = ()
    ran_on: str | None = None
    agent: str | None = None
    user: str | None = None
    inventory_sha256: str | None = None
    contract_sha256: str | None = None
    git_revision: str | None = None
    checks: tuple[CheckEntry, ...] = ()
    gaps: tuple[GapEntry, ...] = ()
    #: Per host, the readiness decided on (absent in records written before it was kept).
    readiness: dict[str, ReadinessEntry] = Field(default_factory=dict)
    #: Seats held, in records written before leases; read as a lease.
    reservations: tuple[Reservation, ...] = ()
    #: The capacity a passing gate took (absent when it took none).
    lease: Lease | None = None
    #: The artifact directory readiness came from (``--from-artifacts``); absent otherwise.
    readiness_artifacts: str | None = None


# -- readiness and attestation ------------------------------------------------------------------
class ReadinessBody(Body):
    """``readiness``: one host's observation by a probe over the network.

    ``observation`` stays a plain mapping here: the readiness source validates it
    (:mod:`wrk_ansible.readiness.results`) when it reuses the record.
    """

    KIND: ClassVar[str] = "readiness"

    host: str
    requirements_sha256: str
    requirements: dict[str, Any] = Field(default_factory=dict)
    observation: dict[str, Any] = Field(default_factory=dict)


class AttestationBody(ReadinessBody):
    """``attestation``: the same, made by the host itself (``wrk readiness --local``);
    ``dispatch_path``: the path it ran on (``--dispatch-path``), which makes each license it
    saw licensed there (absent when not given)."""

    KIND: ClassVar[str] = "attestation"

    dispatch_path: str | None = None


# -- handoff ------------------------------------------------------------------------------------
class Artifact(_Model):
    """A file handed over: its path relative to the repository, sha256 and size."""

    path: str
    sha256: str
    size: Count


class ChainHead(_Model):
    """The newest record of one chain (as in a record's ``links``)."""

    writer: str
    seq: Count
    sha256: str


class HandoffBody(Body):
    """``handoff``: work moving from one machine to another (``wrk handoff``)."""

    KIND: ClassVar[str] = "handoff"

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    for_stage: str | None = None
    artifacts: tuple[Artifact, ...] = ()
    note: str | None = None
    #: The head of every chain of the WRK when the handoff was written.
    sender_chain: tuple[ChainHead, ...] = ()


# -- routing ------------------------------------------------------------------------------------
class SnapshotRef(_Model):
    """A quota record a routing choice used, and the agents read from it."""

    id: str
    sha256: str
    agents: str = ""


class RoutingBody(Body):
    """``routing``: the agents the claim chose for the routed row (``routing-evidence``)."""

    KIND: ClassVar[str] = "routing"

    schema_version: int = 1
    #: The row that routed (``claim``) and the row routed (``execute``).
    stage: str | None = None
    for_stage: str
    host: str | None = None
    primary: str | None = None
    secondary: str | None = None
    candidates: tuple[str, ...] = ()
    #: Every candidate agent, with why it was ranked where it was.
    reasons: dict[str, str] = Field(default_factory=dict)
    passed_over: dict[str, str] = Field(default_factory=dict)
    snapshots: tuple[SnapshotRef, ...] = ()
    #: The pacing curves in force: window -> [[elapsed fraction, allowed %], ...].
    pacing: dict[str, tuple[tuple[Number, Number], ...]] = Field(default_factory=dict)
    quota_fresh_hours: Number | None = None


# -- quota --------------------------------------------------------------------------------------
class QuotaReading(_Model):
    """One agent's quota use at one time; ``used_pct`` None means unknown (see ``why``)."""

    agent: str
    window: str = "weekly"
    used_pct: Annotated[Number, Field(ge=0, le=100)] | None = None
    #: ISO 8601 times with an offset (``...Z``), or None when not known.
    resets_at: str | None = None
    captured_at: str | None = None
    source: str | None = None
    why: str | None = None


class QuotaOrigin(_Model):
    """Where a snapshot came from: the command, and the imported file when there was one."""

    command: str | None = None
    file: str | None = None
    sha256: str | None = None
    timestamp: str | None = None


class QuotaBody(Body):
    """``quota``: one reading per agent (``wrk quota record | import``), chain ``_quota``."""

    KIND: ClassVar[str] = "quota"

    schema_version: int = 1
    origin: QuotaOrigin = Field(default_factory=QuotaOrigin)
    readings: tuple[QuotaReading, ...] = ()


# -- review -------------------------------------------------------------------------------------
ReviewVerdict = Literal["approve", "changes"]


class ReviewBody(Body):
    """``review``: an agent's review of one stage (``wrk review record``)."""

    KIND: ClassVar[str] = "review"

    stage: str
    agent: str
    verdict: ReviewVerdict
    note: str | None = None
    ran_on: str | None = None


# -- label changes -----------------------------------------------------------------------------
class LabelEdit(_Model):
    """One label added or removed, who chose it (``rule N``, ``default``) and why."""

    label: str
    by: str
    why: str = ""


class GhCall(_Model):
    """What gh was asked and said: its arguments (without the binary), its exit code (None:
    gh did not run) and one phrase (the issue's URL, or the meaning of its error)."""

    command: tuple[str, ...] = ()
    returncode: int | None = None
    message: str = ""


class LabelChangeBody(Body):
    """``label-change``: ``wrk route --apply`` writing labels on an issue, in the issue's chain.
    ``outcome`` is ``applied`` only when gh said it did (exit 0); a read or an edit that failed
    is ``failed``, with ``step`` saying which."""

    KIND: ClassVar[str] = "label-change"

    schema_version: int = 1
    outcome: Literal["applied", "failed"]
    step: Literal["read", "edit"] = "edit"
    add: tuple[LabelEdit, ...] = ()
    remove: tuple[LabelEdit, ...] = ()
    #: The issue's labels as read before the edit (the export's, or gh's when read again).
    labels_before: tuple[str, ...] = ()
    machine: str | None = None
    machine_by: str | None = None
    provider: str | None = None
    provider_by: str | None = None
    #: The rules file that proposed the change and its sha256.
    rules_file: str | None = None
    rules_sha256: str | None = None
    gh: GhCall = Field(default_factory=GhCall)


# -- fleet ------------------------------------------------------------------------------------
class SnapshotBody(Body):
    """``snapshot``: one host's dimensions as another tool's snapshot saw them
    (``wrk readiness import``), in chain ``_fleet``. Unsigned and marked ``imported``: it feeds
    grades, health and the fleet page, never a gate's readiness."""

    KIND: ClassVar[str] = "snapshot"

    schema_version: int = 1
    host: str
    machine: str
    observed_at: str
    imported: Flag = True
    reachable: Flag = True
    #: The file imported, its sha256 and its own schema version.
    file: str
    sha256: str
    source_schema: int
    dimensions: dict[str, Any] = Field(default_factory=dict)


class HealthBody(Body):
    """``health``: ``wrk health`` draining or resuming a host, in chain ``_fleet``: the
    action, the reason written to the inventory, and the observations it rests on."""

    KIND: ClassVar[str] = "health"

    schema_version: int = 1
    host: str
    action: Literal["drain", "resume"]
    reason: str = ""
    grade: str
    observations: tuple[str, ...] = ()
    fail_after: int
    pass_after: int


# -- heartbeat ----------------------------------------------------------------------------------
class HeartbeatBody(Body):
    """``heartbeat``: a live lease renewed (``wrk heartbeat``) until ``expires``."""

    KIND: ClassVar[str] = "heartbeat"

    schema_version: int = 1
    stage: str
    #: The gate record whose lease is renewed.
    lease: str
    expires: str
    ran_on: str | None = None


# -- outcome ------------------------------------------------------------------------------------
class PostCheck(_Model):
    """One post-check of an outcome: an output file the row requires, a validator from
    ``wrk.yml``, or the row's ``max_attempts``; ``passed`` decides, ``reason`` says why."""

    name: str
    kind: Literal["output", "validator", "attempts"]
    passed: Flag
    reason: str = ""
    #: output: the path (relative to the repository) and what was found there.
    path: str | None = None
    sha256: str | None = None
    size: Count | None = None
    #: validator: the argument list run (from wrk.yml), its exit code (None: it did not
    #: finish), seconds, and the end of its output.
    command: tuple[str, ...] = ()
    exit_code: int | None = None
    seconds: Number | None = None
    stdout: str = ""
    stderr: str = ""
    truncated: Flag = False


class OutcomeBody(Body):
    """``outcome``: how one attempt of a stage ended (``wrk outcome``). ``ran``: the process
    finished (an exit code is known); ``succeeded``: it exited 0 and every post-check passed.
    Names the item (the record's ``wrk``), stage, host, agent and attempt, so the lease taken for
    that attempt can treat it as its release."""

    KIND: ClassVar[str] = "outcome"

    schema_version: int = 1
    stage: str
    host: str
    agent: str | None = None
    attempt: Annotated[int, Field(strict=True, ge=1)]
    max_attempts: Annotated[int, Field(strict=True, ge=1)] | None = None
    exit_code: Annotated[int, Field(strict=True)] | None = None
    ran: Flag
    succeeded: Flag
    category: str | None = None
    log: Artifact | None = None
    post_checks: tuple[PostCheck, ...] = ()
    #: The gate record whose lease this outcome released (None: no live lease).
    released: str | None = None

    @property
    def failed_checks(self) -> tuple[PostCheck, ...]:
        return tuple(c for c in self.post_checks if not c.passed)


#: Every record kind wrk writes, and its body model.
KINDS: Final[Mapping[str, type[Body]]] = {
    model.KIND: model
    for model in (
        GateBody,
        ReadinessBody,
        AttestationBody,
        HandoffBody,
        RoutingBody,
        QuotaBody,
        ReviewBody,
        LabelChangeBody,
        OutcomeBody,
        HeartbeatBody,
        SnapshotBody,
        HealthBody,
    )
}

B = TypeVar("B", bound=Body)


@dataclass(frozen=True)
class TypedRecord(Generic[B]):
    """A stored record with its body validated into the model of its kind."""

    record: Record
    body: B

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def wrk(self) -> str:
        return self.record.wrk

    @property
    def writer(self) -> str:
        """The chain (``HOST@CLONE``; a host in schema 1)."""
        return self.record.writer

    @property
    def host(self) -> str:
        """The host that wrote it."""
        return self.record.host

    @property
    def seq(self) -> int:
        return self.record.seq

    @property
    def kind(self) -> str:
        return self.record.kind

    @property
    def time(self) -> str:
        return self.record.time

    @property
    def sha256(self) -> str:
        return self.record.sha256

    @property
    def path(self) -> Path:
        return self.record.path

    @property
    def order(self) -> tuple[datetime, str]:
        """Its place in the one order of "newest" (:func:`newest_key`)."""
        return newest_key(self.time, self.id)


@dataclass(frozen=True)
class Skipped:
    """A record of a known kind whose body does not validate: readers leave it out."""

    record: str
    kind: str
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.record}: {self.kind} record skipped (its body does not validate: {self.reason})"
        )


def _reason(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:3]:
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def typed(record: Record, model: type[B]) -> TypedRecord[B] | Skipped:
    """``record``'s body as ``model``, or why it is not one. The record's kind is not checked
    (see :func:`wrk_ansible.evidence.query.select`)."""
    body = record.data.get("body")
    if not isinstance(body, Mapping):
        return Skipped(record.id, record.kind, "body: not an object")
    try:
        return TypedRecord(record, model.model_validate(body))
    except ValidationError as exc:
        return Skipped(record.id, record.kind, _reason(exc))


def append(
    ledger: Ledger, wrk: str, host: str, body: B, *, signer: Signer | None = None
) -> TypedRecord[B]:
    """Append ``body`` as a record of its kind to ``host``'s chain of ``wrk`` in this clone."""
    record = ledger.append(wrk, host, body.KIND, body.dump(), signer=signer)
    return TypedRecord(record, body)
