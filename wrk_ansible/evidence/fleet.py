"""The fleet's evidence over time, read for grades, health and the fleet page.

Observations of a host: imported snapshots (kind ``snapshot``, chain ``_fleet``) and the
readiness records of probes and local runs (chain ``_readiness``, their ``dimensions`` when
the probe reported them). Baselines: a team's harness config (by machine name), then the
inventory's ``wrk_baseline`` (a host or group var), then ``fleet: baselines: groups`` of
wrk.yml (in the host's inventory group order), then its ``hosts``, each laid over the one
before.

Importing (:func:`import_snapshots`) reads and checks every file first and writes nothing
when one is bad; each snapshot's machine must be an inventory host (by name or alias).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Final

from wrk_ansible import clock
from wrk_ansible.errors import InputError
from wrk_ansible.evidence.ledger import Ledger
from wrk_ansible.evidence.readiness import CHAIN as READINESS
from wrk_ansible.evidence.records import (
    AttestationBody,
    HealthBody,
    ReadinessBody,
    SnapshotBody,
    TypedRecord,
    append,
    typed,
)
from wrk_ansible.fleet.equality import generated, read_harness_baselines, read_snapshot
from wrk_ansible.fleet.grade import Observed
from wrk_ansible.fleet.model import Baseline, Dimensions
from wrk_ansible.registry.inventory import Registry

CHAIN: Final = "_fleet"
#: How old a host's newest observation may be before it grades stale (``fleet: fresh_hours``).
FRESH_HOURS: Final = 36.0


def import_snapshots(
    ledger: Ledger, registry: Registry, files: Sequence[str], writer: str
) -> list[TypedRecord[SnapshotBody]]:
    """One ``snapshot`` record per file, all checked before any is written."""
    bodies = []
    for path in files:
        snap = read_snapshot(path)
        ws = registry.find(snap.machine) or (registry.find(snap.host) if snap.host else None)
        if ws is None:
            raise InputError(
                f"machine {snap.machine!r}"
                + (f" (host {snap.host!r})" if snap.host else "")
                + f" is not an inventory host or alias ({registry.source})",
                path=path,
                field="machine",
            )
        raw = Path(path).read_bytes()
        bodies.append(
            SnapshotBody(
                host=ws.name,
                machine=snap.machine,
                observed_at=clock.stamp(generated(snap)),
                reachable=snap.reachable,
                file=Path(path).name,
                sha256=hashlib.sha256(raw).hexdigest(),
                source_schema=snap.schema_version,
                dimensions=snap.dimensions.model_dump(mode="json", exclude_none=True),
            )
        )
    return [append(ledger, CHAIN, writer, body) for body in bodies]


def observations(ledger: Ledger, hosts: Iterable[str]) -> dict[str, list[Observed]]:
    """host -> its observations, oldest first (a body that does not validate is left out)."""
    wanted = {h.casefold(): h for h in hosts}
    out: dict[str, list[Observed]] = {h: [] for h in wanted.values()}
    for record in ledger.records(CHAIN, kinds=(SnapshotBody.KIND,)):
        found = typed(record, SnapshotBody)
        if not isinstance(found, TypedRecord):
            continue
        host = wanted.get(found.body.host.casefold())
        at = clock.parse(found.body.observed_at)
        if host is None or at is None:
            continue
        dims = Dimensions.model_validate(found.body.dimensions)
        out[host].append(Observed(host, at, found.body.reachable, dims, record.id, True))
    kinds = (ReadinessBody.KIND, AttestationBody.KIND)
    for record in ledger.records(READINESS, kinds=kinds):
        model: type[ReadinessBody] = (
            AttestationBody if record.kind == AttestationBody.KIND else ReadinessBody
        )
        read = typed(record, model)
        if not isinstance(read, TypedRecord):
            continue
        host = wanted.get(read.body.host.casefold())
        seen = read.body.observation
        at = clock.parse(seen.get("observed_at")) or clock.parse(record.time)
        if host is None or at is None:
            continue
        raw = seen.get("dimensions")
        try:
            dims = Dimensions.model_validate(raw) if isinstance(raw, Mapping) else Dimensions()
        except ValueError:
            dims = Dimensions()
        reachable = seen.get("reachable") is not False
        versions = {
            str(c.get("name")): str(c["data"]["version"])
            for c in seen.get("checks") or ()
            if isinstance(c, Mapping)
            and c.get("kind") == "tool"
            and isinstance(c.get("data"), Mapping)
            and c["data"].get("version")
        }
        out[host].append(Observed(host, at, reachable, dims, record.id, False, versions))
    for host, found_list in out.items():
        found_list.sort(key=lambda o: (o.at, o.source))
        # one snapshot imported twice (a schedule re-importing an unchanged file) is one
        imported: set[datetime] = set()
        kept = []
        for obs in found_list:
            if obs.imported and obs.at in imported:
                continue
            if obs.imported:
                imported.add(obs.at)
            kept.append(obs)
        out[host] = kept
    return out


def last_changes(ledger: Ledger) -> dict[str, tuple[str, ...]]:
    """host -> the observations ``wrk health``'s newest drain or resume of it rested on."""
    newest: dict[str, tuple[tuple[datetime, str], tuple[str, ...]]] = {}
    for record in ledger.records(CHAIN, kinds=(HealthBody.KIND,)):
        found = typed(record, HealthBody)
        if isinstance(found, TypedRecord):
            key = found.order
            host = found.body.host
            if host not in newest or key > newest[host][0]:
                newest[host] = (key, found.body.observations)
    return {host: ids for host, (_, ids) in newest.items()}


def baselines(
    registry: Registry,
    hosts: Mapping[str, Baseline],
    groups: Mapping[str, Baseline],
    harness_config: str | None,
    where: str = "wrk.yml",
) -> dict[str, Baseline]:
    """host -> its baseline (hosts without one are left out); a host or group named in
    ``fleet: baselines`` that the inventory does not have is an error naming it."""
    for name in hosts:
        if registry.find(name) is None:
            raise InputError(
                f"{name!r} is not an inventory host or alias ({registry.source})",
                path=where,
                field=f"fleet.baselines.hosts.{name}",
            )
    for name in groups:
        if name not in registry.groups:
            raise InputError(
                f"{name!r} is not an inventory group ({registry.source})",
                path=where,
                field=f"fleet.baselines.groups.{name}",
            )
    harness: dict[str, Baseline] = {}
    if harness_config:
        for machine, base in read_harness_baselines(harness_config).items():
            ws = registry.find(machine)
            if ws is not None:
                harness[ws.name] = base
    out: dict[str, Baseline] = {}
    for ws in registry.workstations:
        found: Baseline | None = harness.get(ws.name)
        if ws.baseline is not None:  # the inventory's (wrk_baseline, a host or group var)
            found = ws.baseline.over(found) if found else ws.baseline
        for group in ws.groups:
            if group in groups:
                found = groups[group].over(found) if found else groups[group]
        own = next((b for name, b in hosts.items() if ws.answers_to(name)), None)
        if own is not None:
            found = own.over(found) if found else own
        if found is not None:
            out[ws.name] = found
    return out
