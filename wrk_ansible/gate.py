"""``wrk gate``: contract -> names -> readiness -> decision -> evidence, in that order.

It only sequences: load the contract, resolve the row's names, gather observations (the one
readiness source, seats others hold, handoff artifacts, the named gates), let
:mod:`wrk_ansible.decision` form the verdict, record it. It never changes a verdict.

A row that takes capacity (the claim, a row needing license seats) reads the live leases, is
decided and records its own lease while holding the evidence folder's lease lock
(:mod:`wrk_ansible.evidence.leases`); readiness is gathered before the lock is taken.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wrk_ansible.agents.catalog import AgentPolicy
from wrk_ansible.capacity.model import Capacity
from wrk_ansible.contract.resolve import Contract, ResolvedStage
from wrk_ansible.contract.stages import resolve_stage
from wrk_ansible.contract.template import DEFAULT_MATRIX, Matrix
from wrk_ansible.contract.validate import ValidationResult, item_root
from wrk_ansible.decision.capacity import Want, breaches, fit, slots
from wrk_ansible.decision.licence import DEFAULT_TTL_DAYS
from wrk_ansible.decision.outcomes import GateResult, Verdict
from wrk_ansible.decision.readiness import DEFAULT_FRESH_HOURS
from wrk_ansible.decision.verdict import (
    Decision,
    GateInput,
    Here,
    RowInputs,
    compose,
    decide,
    to_observe,
)
from wrk_ansible.errors import InputError, WrkError
from wrk_ansible.evidence import handoff, leases
from wrk_ansible.evidence.ledger import Ledger, Signer
from wrk_ansible.evidence.provenance import (
    current_user,
    files_digest,
    git_revision,
    inventory_digest,
)
from wrk_ansible.evidence.query import latest
from wrk_ansible.evidence.readiness import record_observation
from wrk_ansible.evidence.records import (
    CheckEntry,
    GapEntry,
    GateBody,
    Lease,
    ReadinessEntry,
    RoutingBody,
    TypedRecord,
    append,
)
from wrk_ansible.gate_outcome import GateOutcome, invalid_contract
from wrk_ansible.names import Directory, check_against, row_scope
from wrk_ansible.readiness.results import Observation
from wrk_ansible.readiness.source import Mode, ReadinessSource, key_base
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.registry.workstation import Workstation

if TYPE_CHECKING:  # imported where used: a gate on fresh evidence neither probes nor reads
    # artifacts, and these pull in the probe, ansible-runner's wrapper and their helpers
    from wrk_ansible.readiness.artifacts import ArtifactRun

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
    #: How long a lease lasts without a heartbeat (``leases: ttl_minutes`` in wrk.yml).
    lease_ttl_minutes: float = leases.DEFAULT_TTL_MINUTES
    #: The caps a claim must fit (``capacity:`` in wrk.yml, or the routing rules file's).
    capacity: Capacity = field(default_factory=Capacity)
    #: How long a licence attestation counts (``readiness: attestation_ttl_days``).
    attestation_ttl_days: float = DEFAULT_TTL_DAYS
    #: Readiness observed by a run elsewhere (``--from-artifacts``): used for the hosts it
    #: covers; the others are gated as without it (fresh evidence, else a probe).
    artifacts: ArtifactRun | None = None
    #: The team's configuration (``wrk.yml``): the stage matrix rows a WRK leaves out come
    #: from, the orchestrator's machine, the agents claims route to, the routing policy file.
    matrix: Matrix = field(default_factory=lambda: DEFAULT_MATRIX)
    orchestrator_host: str | None = None
    #: Where ``orchestrator_host`` was set, for an error naming it.
    orchestrator_from: str = "wrk.yml"
    agents: AgentPolicy | None = None
    routing_policy: str | None = None
    #: How a work item named on the command line becomes a contract (a WRK path or an issue
    #: reference), given the placed directory; None: WRK files only.
    check_item: Callable[[str, Directory], ValidationResult] | None = None


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
        self.source = ReadinessSource(
            ledger,
            key_base(inventory),
            mode=Mode.PROBE if options.force_probe else Mode.GATE,
            fresh_hours=options.fresh_hours,
            artifacts=options.artifacts,
            prober=self._probe,
            on_observed=self._remember,
            note=note,
        )
        self._gate_evidence: list[str] = []  # records named gates wrote (the claim's routing)
        self._lost: list[str] = []  # evidence that could not be written, and why
        self._quota: dict[str, Any] | None = None  # the newest quota readings, read once
        #: The folder's leases as the row being decided read them (None: not read yet).
        self._views: list[leases.LeaseView] | None = None

    def run(self, wrk_path: str, stage: str) -> GateOutcome:
        stages = resolve_stage(stage)
        from wrk_ansible.here import identify_here
        from wrk_ansible.placement import placed

        here = identify_here(self.registry, self.options.here)
        self.directory = placed(
            self.registry,
            self.options.orchestrator_host,
            self.options.here or here.name,
            self.options.orchestrator_from,
        )
        if self.options.check_item is not None:
            result = self.options.check_item(wrk_path, self.directory)
        else:
            result = check_against(wrk_path, self.directory, matrix=self.options.matrix)
        if not result.valid or result.contract is None:
            for issue in result.errors:  # the table has no room for the file: say it here
                where = InputError(
                    issue.message, path=issue.file or wrk_path, field=issue.field, line=issue.line
                )
                self.note(f"wrk: error: {where}")
            return invalid_contract(result, stage)
        contract = result.contract
        decisions, evidence = [], []
        self._lost = []
        for stage_id in stages:
            self._gate_evidence = []
            row = contract.stage(stage_id)
            observed = self._observe(row, here)  # probes run before the lease lock is taken
            with self._leasing(row):
                decision, lease = self._decide(contract, row, here, observed)
                decisions.append(decision)
                evidence.extend(self._gate_evidence)
                if self.options.record:
                    try:
                        evidence.append(self._record(contract, decision, here, lease).id)
                    except WrkError as exc:  # e.g. a full disk: the verdict stands, unrecorded
                        self._lost_write(f"{stage_id}: evidence NOT recorded: {exc}")
        return GateOutcome(
            contract.wrk_id,
            stage,
            tuple(decisions),
            tuple(evidence),
            evidence_errors=tuple(self._lost),
            skipped_record=None if self.options.record else "--no-record",
        )

    def _lost_write(self, what: str) -> None:
        """Evidence that could not be written: said now, and the gate exits 1 for it."""
        self.note(f"wrk: error: {what}")
        self._lost.append(what)

    # -- observations ----------------------------------------------------------------------
    def _probe(self, hosts: Sequence[str], row: Any) -> Mapping[str, Observation]:
        from wrk_ansible.readiness.gather import probe_hosts

        return probe_hosts(
            hosts,
            inventory=self.inventory,
            requirements=row,
            timeout=self.options.timeout,
            progress=lambda h, o, m: self.note(f"  {h}: {o}" + (f" ({m})" if m else "")),
        )

    def _remember(self, obs: Observation, wanted: Mapping[str, Any]) -> None:
        if self.options.record and obs.reachable:
            try:
                record_observation(
                    self.ledger, self._writer(), obs.as_dict(), wanted, signer=self.options.signer
                )
            except WrkError as exc:
                self._lost_write(f"readiness of {obs.host} NOT recorded: {exc}")

    def _writer(self) -> str:
        from wrk_ansible.here import writer_name

        return writer_name(self.registry, self.options.here)

    # -- leases --------------------------------------------------------------------------
    @staticmethod
    def _takes_lease(row: ResolvedStage) -> bool:
        """The claim (for the work it claims) and any row needing license seats take one."""
        return row.stage == "claim" or bool(row.requirements.licenses)

    def _leasing(self, row: ResolvedStage) -> AbstractContextManager[None]:
        """The folder's lease lock while a recorded row that takes a lease is decided."""
        if self.options.record and self._takes_lease(row):
            return leases.lock(self.ledger)
        return nullcontext()

    def _live_leases(self) -> list[leases.LeaseView]:
        """The folder's leases for the row being decided, read once."""
        if self._views is None:
            self._views = leases.leases(self.ledger)
        return self._views

    def _wants(
        self, contract: Contract, row: ResolvedStage, decision: Decision, here: Workstation
    ) -> tuple[str, list[Want], list[Want], tuple[tuple[str, int], ...]]:
        """(the row the lease is for, the claim on each host, the same claim on the other
        machines the row names that are available and declare its licenses, the license seats)
        for a row that takes a lease."""
        if row.stage == "claim":
            from wrk_ansible.gates.claim import work_target

            work, target = work_target(contract, self.registry, row.stage, decision.hosts, here)
            hosts: tuple[str, ...] = (target.name,)
            provider = _routed_agent(self.ledger, contract.wrk_id, work.stage) or (
                work.agents[0] if work.agents else None
            )
        else:
            work, hosts, provider = row, decision.hosts, decision.agent
        seats = tuple((lic.feature, lic.seats) for lic in work.requirements.licenses)
        features = tuple(f for f, _ in seats)

        def want(host: str) -> Want:
            return Want(
                contract.wrk_id, row.stage, host, self.registry.names_of(host), provider, features
            )

        scope = row_scope(work, self.directory)
        others = [
            ws.name
            for name in dict.fromkeys((*scope.assigned, *scope.fallback))
            if (ws := self.registry.find(name)) is not None
            and ws.available
            and ws.name not in hosts
            and {f.casefold() for f in features} <= {f.casefold() for f in ws.license_features}
        ]
        return work.stage, [want(h) for h in hosts], [want(h) for h in others], seats

    def _capacity(
        self, contract: Contract, row: ResolvedStage, machine: Decision, here: Workstation
    ) -> tuple[GateInput | None, Lease | None]:
        """The capacity check of a row that takes a lease (the decision core's :func:`fit`
        over the live leases), and the lease it records when the row passes."""
        if not self._takes_lease(row) or machine.verdict not in leases.PASSING:
            return None, None
        for_stage, wants, alternatives, seats = self._wants(contract, row, machine, here)
        capacity = self.options.capacity
        held = leases.live_held(self._live_leases(), self.registry.names_of)
        fits = fit(capacity, wants, held, alternatives)
        lease = leases.take(
            for_stage,
            item=contract.wrk_id,
            hosts=tuple(w.host for w in wants),
            provider=wants[0].provider if wants else None,
            features=seats,
            caps=(
                s.cap
                for w in wants
                for s in slots(capacity, w.host, w.names, w.provider, w.features)
            ),
            ttl_minutes=self.options.lease_ttl_minutes,
        )
        return (GateInput("capacity", fits) if fits is not None else None), lease

    def _licences(self, row: ResolvedStage, hosts: Sequence[Workstation]) -> dict[str, Any]:
        """The licence facts of a row needing licenses (:class:`RowInputs` fields)."""
        from wrk_ansible.evidence.licences import row_licences

        return row_licences(
            self.ledger,
            row.requirements,
            hosts,
            self.source.attestation_problem,
            self.options.attestation_ttl_days,
        )

    def _choose_agent(
        self, contract: Contract, row: ResolvedStage, machine: Decision, here: Workstation
    ) -> tuple[str | None, GateInput | None]:
        """A row with more than one candidate agent chooses one on its host: present there,
        within its pacing line (fresh quota readings), its budget pool and provider cap with
        room; None when the row has one candidate or none."""
        from datetime import UTC, datetime

        from wrk_ansible.agents.catalog import policy_of
        from wrk_ansible.agents.quota import latest_readings, quota_records
        from wrk_ansible.agents.routing import candidates, choice_check, choose_agents

        policy = self.options.agents or policy_of(self.registry)
        host = next((w for h in machine.hosts if (w := self.registry.find(h))), here)
        names = candidates(row, host, policy.catalog)
        if len(names) < 2:
            return None, None
        now = datetime.now(UTC)
        if self._quota is None:  # read once per gate, however many rows choose
            self._quota = latest_readings(quota_records(self.ledger))
        readings = {
            agent: used.reading
            for agent, used in self._quota.items()
            if used.fresh(now, policy.quota_fresh_hours)
        }
        choice = choose_agents(
            row,
            host,
            policy.catalog,
            readings,
            policy.pacing,
            now=now,
            no_room=self._no_room(contract, row, host, names),
        )
        check = choice_check(row, choice)
        return choice.primary, GateInput("agent-choice", GateResult((check,), Verdict.PASS))

    def _no_room(
        self, contract: Contract, row: ResolvedStage, host: Workstation, names: Sequence[str]
    ) -> dict[str, str]:
        """Candidates whose budget pool or provider cap the live leases fill, and which."""
        capacity = self.options.capacity
        caps = capacity.wip_caps
        if not capacity.budget_pools and (caps is None or not caps.per_provider):
            return {}
        held = leases.live_held(self._live_leases(), self.registry.names_of)
        full: dict[str, str] = {}
        for agent in names:
            want = Want(contract.wrk_id, row.stage, host.name, (), agent)
            found = [
                b.summary
                for b in breaches(capacity, want, held)
                if b.cap.startswith(("budget_pools.", "wip_caps.per_provider."))
            ]
            if found:
                full[agent] = "; ".join(found)
        return full

    # -- decision ------------------------------------------------------------------------
    def _observe(self, row: ResolvedStage, here: Workstation) -> _Observed:
        """The row's readiness (the one source: evidence, else a probe) and this machine's."""
        scope = row_scope(row, self.directory)
        observe = [self.registry.get(name) for name in to_observe(scope, self.registry, row)]
        readiness = self.source.for_row(row.requirements, observe)
        local = readiness.get(here.name)
        named = (*scope.assigned, *scope.fallback)
        if local is None and not row.requirements.empty and any(n != here.name for n in named):
            from wrk_ansible.readiness.gather import probe_local

            local = probe_local(here.name, here, row.requirements).for_decision()
        return _Observed(scope, tuple(observe), readiness, local)

    def _decide(
        self, contract: Contract, row: ResolvedStage, here: Workstation, seen: _Observed
    ) -> tuple[Decision, Lease | None]:
        scope, observe, readiness, local = seen.scope, seen.hosts, seen.readiness, seen.local
        # read under the lease lock (see run), once per row: every writer's chains
        self._views = None
        holds = (
            leases.seats_held(self._live_leases(), exclude=contract.wrk_id)
            if row.requirements.licenses
            else {}
        )
        machine = decide(
            RowInputs(
                wrk=contract.wrk_id,
                row=row,
                scope=scope,
                hosts=self.registry,
                readiness=readiness,
                holds=holds,
                here=Here(name=here.name, local=local, handoff_ref=contract.handoff_evidence_ref),
                **self._licences(row, observe),
            )
        )
        artifacts = handoff.artifact_checks(
            self.ledger, contract.wrk_id, machine.hosts, item_root(contract), row.stage
        )
        before_gates = compose(machine, artifacts=artifacts)
        gates = list(self._named_gates(contract, row, here, before_gates))
        agent = _routed_agent(self.ledger, contract.wrk_id, row.stage)
        if agent is None:  # routed at claim (execute), else chosen here among its candidates
            agent, choice = self._choose_agent(contract, row, machine, here)
            if choice is not None:
                gates.append(choice)
        so_far = compose(machine, artifacts=artifacts, gates=gates, agent=agent)
        capacity, lease = self._capacity(contract, row, so_far, here)
        if capacity is not None:
            gates.append(capacity)
        decision = compose(machine, artifacts=artifacts, gates=gates, agent=agent)
        return decision, (lease if decision.verdict in leases.PASSING else None)

    def _named_gates(
        self, contract: Contract, row: ResolvedStage, here: Workstation, decision: Decision
    ) -> Sequence[Any]:
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
            agents=self.options.agents,
            routing_policy_file=self.options.routing_policy,
        )
        gates = run_row_gates(ctx)
        self._gate_evidence.extend(e for g in gates for e in g.result.evidence)
        return gates

    def _record(
        self, contract: Contract, decision: Decision, here: Workstation, lease: Lease | None
    ) -> TypedRecord[GateBody]:
        files = [Path(contract.path)]
        if not contract.is_issue and contract.source not in ("frontmatter", "derived"):
            files.append(Path(contract.source))  # the stage_assignments_ref file
        artifacts = self.options.artifacts
        body = GateBody(
            stage=decision.stage,
            verdict=decision.verdict,
            reason=decision.reason,
            for_hosts=decision.hosts,
            ran_on=here.name,
            agent=decision.agent,
            user=current_user(),
            inventory_sha256=inventory_digest(self.inventory),
            contract_sha256=contract.digest or files_digest(files),
            git_revision=git_revision(item_root(contract)),
            checks=tuple(CheckEntry.of(c) for c in decision.checks),
            gaps=tuple(GapEntry.of(g) for g in decision.gaps),
            readiness={h: ReadinessEntry.of(r) for h, r in decision.readiness.items()},
            # only when the row took capacity: the key is absent otherwise
            **({"lease": lease} if lease is not None else {}),
            # only when readiness came from a run elsewhere: the key is absent otherwise
            **({"readiness_artifacts": artifacts.directory} if artifacts is not None else {}),
        )
        return append(self.ledger, contract.wrk_id, here.name, body, signer=self.options.signer)


@dataclass(frozen=True)
class _Observed:
    """What a row's decision rests on that needs no lock: its names and readiness."""

    scope: Any
    hosts: tuple[Workstation, ...]
    readiness: Mapping[str, Any]
    local: Any


def _routed_agent(ledger: Ledger, wrk: str, stage: str) -> str | None:
    """The primary agent the claim's newest routing record chose for ``stage``, if any."""
    routed = latest(ledger, wrk, RoutingBody, for_stage=stage)
    return (routed.body.primary or None) if routed is not None else None
