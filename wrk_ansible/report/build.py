"""``wrk report`` and ``wrk whatif`` end to end: collect, forecast, build, render, write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wrk_ansible.atomic import replace_file
from wrk_ansible.capacity.model import Capacity
from wrk_ansible.contract.resolve import Contract, ResolvedStage
from wrk_ansible.contract.validate import item_root
from wrk_ansible.decision.licence import DEFAULT_TTL_DAYS
from wrk_ansible.decision.outcomes import Check
from wrk_ansible.decision.readiness import DEFAULT_FRESH_HOURS
from wrk_ansible.errors import InputError
from wrk_ansible.evidence.fleet import FRESH_HOURS as FLEET_FRESH_HOURS
from wrk_ansible.evidence.handoff import artifact_checks, has_handoff
from wrk_ansible.evidence.leases import LeaseView, leases, seats_held
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.evidence.licences import row_licences
from wrk_ansible.placement import placed
from wrk_ansible.readiness.source import Mode, ReadinessSource, key_base
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.report.collect import Checked, collect, host_facts, used_hosts
from wrk_ansible.report.data import Report, build_report
from wrk_ansible.report.export import report_dict
from wrk_ansible.report.facts import HostFact
from wrk_ansible.report.fleet import FleetFacts
from wrk_ansible.report.leases import LeaseFacts
from wrk_ansible.report.render import render
from wrk_ansible.report.whatif import Baseline, Forecast, Hosts, Inputs, Scenario, what_if


def drained_names(registry: Registry, given: Sequence[str]) -> list[str]:
    """``--drain`` names as canonical hosts; an unknown name is an error naming it."""
    names: list[str] = []
    for name in given:
        try:
            ws = registry.get(name)
        except InputError as exc:
            raise InputError(exc.detail, path=registry.source, field="--drain") from None
        if ws.name not in names:
            names.append(ws.name)
    return names


def forecast_inputs(
    registry: Registry,
    ledger: Ledger,
    fresh_hours: float = DEFAULT_FRESH_HOURS,
    held: Sequence[LeaseView] | None = None,
    attestation_ttl_days: float = DEFAULT_TTL_DAYS,
) -> Inputs:
    """What a forecast reads, as a gate would without probing: the one readiness source in
    forecast mode, the seats every item holds, the handoff artifacts (each checked once)."""
    source = ReadinessSource(
        ledger, key_base(registry.source), mode=Mode.FORECAST, fresh_hours=fresh_hours
    )
    held = leases(ledger) if held is None else held
    checked: dict[tuple[str, str, tuple[str, ...]], tuple[Check, ...]] = {}
    handed: dict[str, bool] = {}  # item -> it has a handoff record (from file names, once)

    def artifacts(contract: Contract, row: ResolvedStage, hosts: Sequence[str]) -> Sequence[Check]:
        wrk = contract.wrk_id
        if wrk not in handed:
            handed[wrk] = has_handoff(ledger, wrk)
        if not handed[wrk]:
            return ()
        key = (contract.path, row.stage, tuple(hosts))
        if key not in checked:
            root = item_root(contract)
            found = artifact_checks(ledger, contract.wrk_id, hosts, root, row.stage)
            checked[key] = tuple(found)
        return checked[key]

    def licences(row: ResolvedStage, hosts: Sequence[Any]) -> Mapping[str, Any]:
        problem = source.attestation_problem
        return row_licences(ledger, row.requirements, hosts, problem, attestation_ttl_days)

    return Inputs(
        licences=licences,
        readiness=source.for_row,
        holds=lambda wrk: seats_held(held, exclude=wrk),
        artifacts=artifacts,
    )


@dataclass(frozen=True)
class Review:
    """The page's data, each row's forecast, and the hosts (None without an inventory)."""

    report: Report
    forecasts: Mapping[tuple[str, str], Forecast]
    hosts: Sequence[HostFact] | None

    def as_dict(self) -> dict[str, Any]:
        """``wrk report --json``."""
        return report_dict(self.report, self.forecasts, self.hosts)


def build_review(
    checked: Sequence[Checked],
    *,
    registry: Registry | None,
    ledger: Ledger,
    drain: Sequence[str] = (),
    signing_keys: Mapping[str, str] | None = None,
    fresh_hours: float = DEFAULT_FRESH_HOURS,
    title: str = "wrk review",
    directory: Hosts | None = None,
    titles: bool = True,
    capacity: Capacity | None = None,
    attestation_ttl_days: float = DEFAULT_TTL_DAYS,
    fleet: Any = None,
    fleet_only: bool = False,
) -> Review:
    """The report's data for the ``checked`` work items (checked against ``directory``, the
    registry with its places by role, :func:`wrk_ansible.placement.placed`): every item, each
    row's forecast and the capacity risk when there is an inventory (each used host drained
    alone, plus the ``drain`` set together when given)."""
    hosts_view = directory or (placed(registry, None, None) if registry is not None else None)
    found = collect(checked, hosts_view, ledger, signing_keys, titles=titles)
    now = datetime.now(UTC)
    held = leases(ledger, now=now)
    scenarios: list[Scenario] = []
    forecasts: dict[tuple[str, str], Forecast] = {}
    if registry is not None and hosts_view is not None:
        inputs = forecast_inputs(registry, ledger, fresh_hours, held, attestation_ttl_days)
        baseline = Baseline(found.contracts, hosts_view, inputs)
        forecasts = baseline.forecasts
        wanted = drained_names(registry, drain)
        sets = [[host] for host in used_hosts(registry, baseline.candidates)]
        if len(wanted) > 1 or (wanted and [wanted[0]] not in sets):
            sets.insert(0, wanted)
        for drained in sets:
            scenarios.append(
                what_if(
                    found.contracts,
                    hosts_view,
                    drained,
                    inputs,
                    skipped=found.skipped,
                    baseline=baseline,
                )
            )
    hosts = host_facts(registry) if registry is not None else None
    report = build_report(
        found.items,
        hosts,
        scenarios,
        title=title,
        generated=now.strftime("%Y-%m-%d %H:%M UTC"),
        inventory=registry.source if registry is not None else None,
        evidence=str(ledger.root),
        leases=LeaseFacts(
            held,
            capacity or Capacity(),
            registry.names_of if registry is not None else (lambda host: ()),
            now,
        ),
        fleet=fleet_facts(registry, ledger, fleet, now)
        if registry is not None and (fleet_only or _configured(fleet))
        else None,
        fleet_only=fleet_only,
    )
    return Review(report, forecasts, hosts)


def _configured(config: Any) -> bool:
    """Whether wrk.yml gives the fleet baselines (the review page then has a fleet section)."""
    return config is not None and bool(
        config.harness_config or config.baselines.hosts or config.baselines.groups
    )


def fleet_facts(registry: Registry, ledger: Ledger, config: Any, now: datetime) -> FleetFacts:
    """What the fleet section is built from (``config``: ``fleet:`` of wrk.yml, or None)."""
    from wrk_ansible.evidence.fleet import baselines, observations

    if config is None:
        from wrk_ansible.config.model import FleetSettings

        config = FleetSettings()
    bases = baselines(
        registry, config.baselines.hosts, config.baselines.groups, config.harness_config
    )
    names = [ws.name for ws in registry.workstations]
    return FleetFacts(
        hosts={ws.name: ws.state for ws in registry.workstations},
        baselines=bases,
        observations=observations(ledger, names),
        now=now,
        fresh_hours=config.fresh_hours or FLEET_FRESH_HOURS,
    )


def write_page(report: Report, output: str) -> Path:
    """Render and write atomically; a folder or an unwritable place is an error naming it."""
    target = Path(output)
    if target.is_dir():
        raise InputError("is a folder; give a file name such as review.html", path=output)
    html = render(report)
    try:
        replace_file(target, html)
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror or exc}", path=output) from None
    return target


def queue_whatif(
    checked: Sequence[Checked],
    *,
    registry: Registry,
    ledger: Ledger,
    drain: Sequence[str],
    fresh_hours: float = DEFAULT_FRESH_HOURS,
    directory: Hosts | None = None,
    attestation_ttl_days: float = DEFAULT_TTL_DAYS,
) -> Scenario:
    """The forecast for draining ``drain`` together over the ``checked`` work items."""
    hosts = drained_names(registry, drain)
    view = directory or placed(registry, None, None)
    found = collect(checked, view, ledger)
    inputs = forecast_inputs(
        registry, ledger, fresh_hours, attestation_ttl_days=attestation_ttl_days
    )
    return what_if(found.contracts, view, hosts, inputs, skipped=found.skipped)
