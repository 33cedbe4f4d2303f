"""The one readiness source: per host and row, where readiness comes from, in one order.

``wrk gate``, ``wrk readiness``, ``wrk report`` and ``wrk whatif`` all ask this module, so they
agree on every host. Per host, first that applies:

1. A host without remote access (``wrk_access: none``) is ready only through its own fresh
   attestation (``wrk readiness --local`` run there: a record in one of its own chains, from
   any of its clones, naming it as its host) signed by the key its inventory entry names
   (``wrk_signing_key``). Every lookup checks the signature against the key in force, so after
   a key rotation records signed with the old key stop counting everywhere at once. Nothing
   else vouches for such a host: no artifacts, no probe, no other host's record.
2. Artifacts of a readiness run made elsewhere (``--from-artifacts``), when they cover the
   host, are fresh and checked this row's requirements.
3. Fresh probe evidence (a ``readiness`` record for the same requirements, within the window),
   unless the caller forces a probe.
4. A probe, when the caller can probe (``wrk gate``; ``wrk readiness`` always does).
5. Otherwise (``wrk report``, ``wrk whatif``: they never probe) the host is assumed ready on
   its declarations, and says so (basis ``assumed``).

Only records of the current probe output schema (with typed ``spec``/``data``) stand in for a
probe; older ones still verify but are not reused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wrk_ansible import clock
from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.decision.readiness import DEFAULT_FRESH_HOURS, Basis, HostReadiness
from wrk_ansible.errors import WrkError
from wrk_ansible.evidence.ledger import Ledger, Record
from wrk_ansible.evidence.readiness import (
    KIND_LOCAL,
    KIND_PROBE,
    newest_fresh,
    requirements_hash,
)
from wrk_ansible.evidence.records import ReadinessBody, TypedRecord
from wrk_ansible.readiness.results import (
    PROBE_SCHEMA,
    Observation,
    ProbeOutputError,
    parse_probe_result,
    requirements_data,
    unreachable,
)
from wrk_ansible.registry.workstation import Workstation

if TYPE_CHECKING:
    from wrk_ansible.readiness.artifacts import ArtifactRun

#: Probes hosts for one row's requirements: host -> observation, for every host asked.
Prober = Callable[[Sequence[str], StageRequirements], Mapping[str, Observation]]
Note = Callable[[str], None]
Fresh = TypedRecord[ReadinessBody]
DECLARATIONS = "declarations"


class Mode(StrEnum):
    """What the caller may do to learn readiness."""

    GATE = "gate"  # reuse fresh evidence, probe the rest
    PROBE = "probe"  # always probe (``wrk readiness``, ``wrk gate --fresh``)
    FORECAST = "forecast"  # never probe: evidence, else declarations (report, what-if)


def key_base(inventory: str) -> Path:
    """The folder a relative ``wrk_signing_key`` path is read from: the inventory's."""
    source = Path(inventory)
    return source if source.is_dir() else source.parent


def attestation_command(host: str) -> str:
    return (
        f"run `wrk readiness --local --here {host} --sign-key KEY` (with the same "
        f"--requirements) on {host} and commit its evidence"
    )


def _no_access(ws: Workstation, found: str, why: str) -> HostReadiness:
    check = Check(
        name="attestation",
        required="a fresh signed local attestation",
        found=found,
        outcome=Outcome.FAIL,
        reason=f"{ws.name} has no remote access and {why}: {attestation_command(ws.name)}",
        host=ws.name,
    )
    return HostReadiness(
        host=ws.name, reachable=False, checks=(check,), source="none", basis=Basis.NONE
    )


def _assumed(ws: Workstation) -> HostReadiness:
    return HostReadiness(
        host=ws.name, reachable=True, checks=(), source=DECLARATIONS, basis=Basis.ASSUMED
    )


@dataclass
class ReadinessSource:
    """Answers "is this host ready for this row?" the same way for every command."""

    ledger: Ledger
    #: The inventory's folder: a ``wrk_signing_key`` given as a relative path is read from it.
    key_base: Path
    mode: Mode = Mode.GATE
    fresh_hours: float = DEFAULT_FRESH_HOURS
    artifacts: ArtifactRun | None = None
    prober: Prober | None = None
    #: Called with every observation made now (a probe) or taken from artifacts, and its
    #: requirements: the caller records it (the gate: reachable ones, as readiness evidence).
    on_observed: Callable[[Observation, Mapping[str, Any]], None] | None = None
    note: Note = field(default=lambda _message: None)
    _cache: dict[tuple[str, str], HostReadiness] = field(default_factory=dict, repr=False)
    #: host -> the observation behind its readiness, when there is one (for ``--json``).
    observations: dict[str, Observation] = field(default_factory=dict, repr=False)

    # -- one host at a time, then a probe for the rest --------------------------------------
    def for_row(
        self, requirements: StageRequirements, hosts: Sequence[Workstation]
    ) -> dict[str, HostReadiness]:
        """Readiness of each of ``hosts`` for ``requirements``."""
        wanted = requirements_data(requirements)
        digest = requirements_hash(wanted)
        out: dict[str, HostReadiness] = {}
        to_probe: list[Workstation] = []
        for ws in hosts:
            cached = self._cache.get((ws.name, digest))
            if cached is not None:
                out[ws.name] = cached
                continue
            found = self._known(ws, requirements, wanted)
            if found is None:
                to_probe.append(ws)
            else:
                out[ws.name] = self._cache[(ws.name, digest)] = found
        if to_probe:
            for name, seen in self._probe(to_probe, requirements, wanted).items():
                out[name] = self._cache[(name, digest)] = seen
        return {ws.name: out[ws.name] for ws in hosts}

    def _known(
        self, ws: Workstation, requirements: StageRequirements, wanted: Mapping[str, Any]
    ) -> HostReadiness | None:
        """What is known without a probe; None when the host is to be probed."""
        if ws.access == "none":
            return self._attested(ws, wanted)
        from_run = self._from_artifacts(ws, requirements, wanted)
        if from_run is not None:
            return from_run
        if self.mode is not Mode.PROBE:
            record = newest_fresh(
                self.ledger, ws.name, wanted, kind=KIND_PROBE, max_age_hours=self.fresh_hours
            )
            observed = self._reusable(ws.name, record)
            if observed is not None and record is not None:
                self.note(f"  {ws.name}: fresh evidence {record.id} ({record.time})")
                return self._keep(observed)
        if self.mode is Mode.FORECAST or self.prober is None:
            down = self._last_seen_down(ws, wanted)
            return down if down is not None else _assumed(ws)
        return None

    def _last_seen_down(self, ws: Workstation, wanted: Mapping[str, Any]) -> HostReadiness | None:
        """Without a probe, the host's newest fresh observation when it said unreachable: a gate
        would ask again, a forecast cannot, and must not call the host ready."""
        record = newest_fresh(
            self.ledger, ws.name, wanted, kind=KIND_PROBE, max_age_hours=self.fresh_hours
        )
        raw = record.body.observation if record is not None else None
        if record is None or raw is None or raw.get("reachable", True):
            return None
        message = str(raw.get("message") or "unreachable")[:500]
        observed = unreachable(
            ws.name, message, source=f"evidence {record.id}", observed_at=record.time
        )
        return self._keep(observed)

    def _keep(self, observed: Observation) -> HostReadiness:
        self.observations[observed.host] = observed
        return observed.for_decision()

    def _reusable(self, host: str, record: Fresh | None) -> Observation | None:
        """The record's observation, when it may stand in for a probe now."""
        if record is None:
            return None
        raw = record.body.observation
        if not raw.get("reachable", True):
            return None  # an unreachable host is asked again, never reused as "down"
        seen_at = clock.parse(raw.get("observed_at"))
        cutoff = datetime.now(UTC) - timedelta(hours=self.fresh_hours)
        if seen_at is not None and seen_at < cutoff:
            return None  # recorded lately, observed long ago (artifacts of an old run)
        kind = "attestation" if record.kind == KIND_LOCAL else "evidence"
        try:
            observed = parse_probe_result(
                host, raw, source=f"{kind} {record.id}", observed_at=record.time
            )
        except ProbeOutputError:
            return None
        return observed if observed.schema_version >= PROBE_SCHEMA else None

    def _attested(self, ws: Workstation, wanted: Mapping[str, Any]) -> HostReadiness:
        record = newest_fresh(
            self.ledger,
            ws.name,
            wanted,
            kind=KIND_LOCAL,
            written_by=ws.name,
            max_age_hours=self.fresh_hours,
        )
        if record is None:
            return _no_access(ws, "none", "no fresh attestation")
        problem = self.attestation_problem(ws, record.record)
        if problem:
            return _no_access(ws, record.id, problem)
        observed = self._reusable(ws.name, record)
        if observed is None:
            return _no_access(ws, record.id, f"its attestation {record.id} cannot be reused")
        self.note(f"  {ws.name}: signed attestation {record.id} ({record.time})")
        return self._keep(observed)

    def attestation_problem(self, ws: Workstation, record: Record) -> str | None:
        """Why an attestation does not prove itself (None: signed by the host's key)."""
        from wrk_ansible.evidence.verify import public_key, verify_signature

        if not ws.signing_key:
            return "no wrk_signing_key in the inventory to check its attestation against"
        try:
            key = public_key(ws.signing_key, self.key_base)
        except WrkError as exc:
            return f"its wrk_signing_key cannot be used ({exc})"
        failure = verify_signature(record, ws.name, key)
        return f"its attestation {record.id} is {failure}" if failure else None

    def _from_artifacts(
        self, ws: Workstation, requirements: StageRequirements, wanted: Mapping[str, Any]
    ) -> HostReadiness | None:
        run = self.artifacts
        if run is None:
            return None
        why = run.unusable(ws.name, requirements, self.fresh_hours)
        if why:
            self.note(f"  {ws.name}: artifacts not used: {why}")
            return None
        observed = run.observations.get(ws.name)
        if observed is None:
            return None
        self.note(f"  {ws.name}: from artifacts {run.directory} ({observed.observed_at})")
        if self.on_observed is not None:
            self.on_observed(observed, wanted)
        return self._keep(observed)

    def _probe(
        self,
        hosts: Sequence[Workstation],
        requirements: StageRequirements,
        wanted: Mapping[str, Any],
    ) -> dict[str, HostReadiness]:
        assert self.prober is not None  # _known answers every host when there is none
        names = [ws.name for ws in hosts]
        self.note(f"probing {', '.join(names)} in one playbook run...")
        found = self.prober(names, requirements)
        out: dict[str, HostReadiness] = {}
        for name in names:
            observed = found[name]
            if self.on_observed is not None:
                self.on_observed(observed, wanted)
            out[name] = self._keep(observed)
        return out
