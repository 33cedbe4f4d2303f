"""``wrk gate``: contract -> candidates -> screen -> readiness -> decision -> evidence.

The orchestration around the pure decision: it reads the WRK and the registry, reuses fresh
readiness evidence or probes every surviving host in one ansible-runner run, decides, and
appends the gate's record to the WRK's evidence chain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wrk_ansible.contract.resolve import Contract, ResolvedStage
from wrk_ansible.contract.stages import resolve_stage
from wrk_ansible.contract.validate import check_work_item, repository_root
from wrk_ansible.decision.candidates import stage_candidates
from wrk_ansible.decision.outcomes import Check, Outcome, Verdict, worst
from wrk_ansible.decision.verdict import Decision, HostReadiness, decide
from wrk_ansible.errors import InputError, WrkError
from wrk_ansible.evidence import handoff, reservations
from wrk_ansible.evidence.ledger import Ledger, Record, Signer
from wrk_ansible.evidence.provenance import (
    current_user,
    files_digest,
    git_revision,
    inventory_digest,
)
from wrk_ansible.evidence.readiness import (
    DEFAULT_FRESH_HOURS,
    fresh_observation,
    record_observation,
)
from wrk_ansible.gate_outcome import GateOutcome, invalid_contract
from wrk_ansible.readiness.artifacts import ArtifactRun
from wrk_ansible.readiness.gather import probe_hosts, probe_local, requirements_data
from wrk_ansible.readiness.results import HostObservation
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.registry.workstation import Workstation

Note = Callable[[str], None]


@dataclass(frozen=True)
class GateOptions:
    """How to gate: where wrk runs, how fresh evidence must be, what to record."""

    here: str | None = None
    force_probe: bool = False
    fresh_hours: float = DEFAULT_FRESH_HOURS
    timeout: float = 10.0
    record: bool = True
    signer: Signer | None = None
    reservation_ttl_hours: float = 72.0
    #: Readiness observed by a run elsewhere (``--from-artifacts``): used for the hosts it
    #: covers; the others are gated as without it (fresh evidence, else a probe).
    artifacts: ArtifactRun | None = None


def _no_access(
    ws: Workstation, found: str = "none", why: str = "no fresh attestation"
) -> HostReadiness:
    check = Check(
        "attestation",
        "a fresh signed local attestation",
        found,
        Outcome.FAIL,
        f"{ws.name} has no remote access and {why}: run "
        f"`wrk readiness --local --here {ws.name} --sign-key KEY` (with this stage's "
        f"--requirements) on {ws.name} and commit its evidence",
        ws.name,
    )
    return HostReadiness(ws.name, False, (check,), "none")


def attestation_problem(ws: Workstation, record: Record, inventory: str) -> str | None:
    """Why an attestation does not prove itself (None: signed by the host's declared key)."""
    from wrk_ansible.evidence.verify import public_key, verify_signature

    if not ws.signing_key:
        return "no wrk_signing_key in the inventory to check its attestation against"
    source = Path(inventory)
    try:
        key = public_key(ws.signing_key, source if source.is_dir() else source.parent)
    except WrkError as exc:
        return f"its wrk_signing_key cannot be used ({exc})"
    failure = verify_signature(record, ws.name, key)
    return f"its attestation {record.id} is {failure}" if failure else None


class Gate:
    """Gates the stages of one WRK against one registry, writing to one ledger."""

    def __init__(
        self,
        registry: Registry,
        inventory: str,
        ledger: Ledger,
        options: GateOptions,
        note: Note,
    ) -> None:
        self.registry = registry
        self.inventory = inventory
        self.ledger = ledger
        self.options = options
        self.note = note
        self._gate_evidence: list[str] = []  # records named gates wrote (the claim's routing)

    def run(self, wrk_path: str, stage: str) -> GateOutcome:
        stages = resolve_stage(stage)
        result = check_work_item(wrk_path, machines=self.registry)
        if not result.valid or result.contract is None:
            for issue in result.errors:  # the table has no room for the file: say it here
                where = InputError(
                    issue.message, path=issue.file or wrk_path, field=issue.field, line=issue.line
                )
                self.note(f"wrk: error: {where}")
            return invalid_contract(result, stage)
        contract = result.contract
        from wrk_ansible.here import identify_here

        here = identify_here(self.registry, self.options.here)
        decisions, evidence, lost = [], [], []
        for stage_id in stages:
            self._gate_evidence = []
            decision = self._decide(contract, contract.stage(stage_id), here)
            decisions.append(decision)
            evidence.extend(self._gate_evidence)
            if self.options.record:
                try:
                    evidence.append(self._record(contract, decision, here).id)
                except WrkError as exc:  # e.g. a full disk: the verdict stands, unrecorded
                    self.note(f"wrk: warning: {stage_id}: evidence NOT recorded: {exc}")
                    lost.append(f"{stage_id}: {exc}")
        return GateOutcome(
            contract.wrk_id, stage, tuple(decisions), tuple(evidence), evidence_errors=tuple(lost)
        )

    # -- readiness -------------------------------------------------------------------------
    def _readiness(
        self, row: ResolvedStage, hosts: Sequence[Workstation]
    ) -> dict[str, HostReadiness]:
        wanted = requirements_data(row.requirements)
        readiness: dict[str, HostReadiness] = {}
        to_probe: list[str] = []
        for ws in hosts:
            observed = self._from_artifacts(ws, row)
            if observed is not None:
                readiness[ws.name] = observed.for_decision()
                self._remember(observed, wanted)
                continue
            fresh = None
            if not self.options.force_probe or ws.access == "none":
                fresh = fresh_observation(
                    self.ledger,
                    ws.name,
                    wanted,
                    max_age_hours=self.options.fresh_hours,
                    own_only=ws.access == "none",
                )
            if fresh is not None and ws.access == "none":
                # only the host itself can vouch for a host wrk cannot reach: its signature
                problem = attestation_problem(ws, fresh[1], self.inventory)
                if problem:
                    readiness[ws.name] = _no_access(ws, fresh[1].id, problem)
                    continue
            if fresh is not None:
                obs, record = fresh
                self.note(f"  {ws.name}: fresh evidence {record.id} ({record.time})")
                readiness[ws.name] = obs.for_decision()
            elif ws.access == "none":
                readiness[ws.name] = _no_access(ws)
            else:
                to_probe.append(ws.name)
        if to_probe:
            self.note(f"probing {', '.join(to_probe)} in one playbook run...")
            found = probe_hosts(
                to_probe,
                inventory=self.inventory,
                requirements=row.requirements,
                timeout=self.options.timeout,
                progress=lambda h, o, m: self.note(f"  {h}: {o}" + (f" ({m})" if m else "")),
            )
            for name, obs in found.items():
                readiness[name] = obs.for_decision()
                self._remember(obs, wanted)
        return readiness

    def _from_artifacts(self, ws: Workstation, row: ResolvedStage) -> HostObservation | None:
        """``ws``'s observation in the artifacts, when it answers this row and is fresh."""
        run = self.options.artifacts
        if run is None or ws.access == "none":  # only the host itself vouches for those
            return None
        why = run.unusable(ws.name, row.requirements, self.options.fresh_hours)
        if why:
            self.note(f"  {ws.name}: artifacts not used: {why}")
            return None
        obs = run.observations.get(ws.name)
        if obs is not None:
            self.note(f"  {ws.name}: from artifacts {run.directory} ({obs.observed_at})")
        return obs

    def _remember(self, obs: HostObservation, wanted: Mapping[str, Any]) -> None:
        if self.options.record and obs.reachable:
            try:
                record_observation(
                    self.ledger, self._writer(), obs, wanted, signer=self.options.signer
                )
            except WrkError as exc:
                self.note(f"wrk: warning: readiness of {obs.host} NOT recorded: {exc}")

    def _writer(self) -> str:
        from wrk_ansible.here import writer_name

        return writer_name(self.registry, self.options.here)

    # -- decision ------------------------------------------------------------------------
    def _decide(self, contract: Contract, row: ResolvedStage, here: Workstation) -> Decision:
        candidates = stage_candidates(row, self.registry)
        survivors = [c.workstation for c in candidates if not c.excluded and c.workstation]
        readiness = self._readiness(row, survivors)
        readiness = reservations.apply(self.ledger, row, readiness, exclude_wrk=contract.wrk_id)
        local = readiness.get(here.name)
        if (
            local is None
            and not row.requirements.empty
            and any(c.name != here.name for c in candidates)
        ):
            local = probe_local(here.name, here, row.requirements).for_decision()
        decision = decide(
            wrk=contract.wrk_id,
            row=row,
            candidates=candidates,
            readiness=readiness,
            hosts=self.registry,
            all_hosts=self.registry.names,
            here=here.name,
            local=local,
            handoff_ref=contract.handoff_evidence_ref,
        )
        artifacts = handoff.artifact_checks(
            self.ledger, contract.wrk_id, decision.hosts, repository_root(contract.path), row.stage
        )
        if artifacts:
            failed = [c for c in artifacts if c.outcome is Outcome.FAIL]
            decision = replace(
                decision,
                verdict=Verdict.FAIL if failed else decision.verdict,
                checks=decision.checks + tuple(artifacts),
                reason="; ".join(c.reason for c in failed) if failed else decision.reason,
            )
        return self._named_gates(contract, row, here, decision)

    def _named_gates(
        self, contract: Contract, row: ResolvedStage, here: Workstation, decision: Decision
    ) -> Decision:
        """The row's named gate checks (all but machine-readiness, which is the decision)."""
        from wrk_ansible.gates.base import gate_context
        from wrk_ansible.gates.registry import run_row_gates

        # a row the machine decision already stops writes no gate evidence (no routing record)
        stopped = decision.verdict not in (Verdict.PASS, Verdict.FALLBACK)
        ctx = gate_context(
            contract,
            row,
            registry=self.registry,
            here=here,
            ledger=self.ledger,
            hosts=decision.hosts,
            record=self.options.record and not stopped,
            unrecorded_why=f"the row is {decision.verdict.value}" if stopped else "--no-record",
            writer=self._writer(),
            signer=self.options.signer,
        )
        gates = run_row_gates(ctx)
        self._gate_evidence.extend(gates.evidence)
        agent = _routed_agent(self.ledger, contract.wrk_id, row.stage) or decision.agent
        if not gates.checks and not gates.gaps:
            return replace(decision, agent=agent)
        verdict = worst((decision.verdict, gates.verdict))
        reason = decision.reason
        if verdict is not decision.verdict:
            blocking = [c.reason for c in gates.checks if c.blocking]
            reason = "; ".join(blocking) or reason
        return replace(
            decision,
            verdict=verdict,
            agent=agent,
            reason=reason,
            checks=decision.checks + gates.checks,
            gaps=decision.gaps + gates.gaps,
        )

    def _record(self, contract: Contract, decision: Decision, here: Workstation) -> Record:
        files = [Path(contract.path)]
        if contract.source not in ("frontmatter", "derived"):
            files.append(Path(contract.source))  # the stage_assignments_ref file
        body = {
            "stage": decision.stage,
            "verdict": decision.verdict.value,
            "reason": decision.reason,
            "for_hosts": list(decision.hosts),
            "ran_on": here.name,
            "agent": decision.agent,
            "user": current_user(),
            "inventory_sha256": inventory_digest(self.inventory),
            "contract_sha256": files_digest(files),
            "git_revision": git_revision(repository_root(contract.path)),
            "checks": [c.as_dict() for c in decision.checks],
            "gaps": [g.as_dict() for g in decision.gaps],
            "reservations": reservations.claims(
                contract.stage(decision.stage), decision, self.options.reservation_ttl_hours
            ),
        }
        if self.options.artifacts is not None:  # readiness came from a run elsewhere
            body["readiness_artifacts"] = self.options.artifacts.directory
        return self.ledger.append(
            contract.wrk_id, here.name, "gate", body, signer=self.options.signer
        )


def _routed_agent(ledger: Ledger, wrk: str, stage: str) -> str | None:
    """The primary agent the claim's routing record chose for ``stage``, if any."""
    routed = [
        r for r in ledger.records(wrk) if r.kind == "routing" and r.body.get("for_stage") == stage
    ]
    if not routed:
        return None
    primary = max(routed, key=lambda r: (r.time, r.id)).body.get("primary")
    return str(primary) if primary else None
