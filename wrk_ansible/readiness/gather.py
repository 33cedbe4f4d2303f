"""Gather readiness: one playbook run over many hosts, or the same probe in this process.

Requirements reach Ansible as data only: they are written to an extra-vars file in which any
string holding a Jinja marker is tagged ``!unsafe``, so no value from a work item is ever
templated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import yaml

from wrk_ansible.clock import utc_now
from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.errors import WrkError
from wrk_ansible.readiness.connection import HOST_KEY, classify, host_key_fix
from wrk_ansible.readiness.launch import run_probe, started_for
from wrk_ansible.readiness.results import (
    Observation,
    ProbeOutputError,
    parse_probe_result,
    requirements_data,
    unreachable,
)
from wrk_ansible.readiness.runner import PendingRun, PlaybookRun, ProgressCallback
from wrk_ansible.registry.workstation import Workstation

STATS_KEY: Final = "wrk_readiness"
#: The play's hosts (playbooks/readiness.yml): the hosts of the run, sent with its variables.
HOSTS_VAR: Final = "wrk_readiness_hosts"
DEFAULT_TIMEOUT: Final = 10.0


_MARKERS: Final = ("{{", "{%", "{#")


class _UnsafeDumper(yaml.SafeDumper):
    """Tags strings that Jinja could act on as ``!unsafe``: Ansible reads them as data.

    Only those: Ansible re-resolves an ``!unsafe`` scalar's type even when quoted ('1.10'
    would become 1.1, '~' None), and a string without a marker is never templated anyway.
    """


def _unsafe_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(marker in value for marker in _MARKERS):
        return dumper.represent_scalar("!unsafe", value, style="'")
    return dumper.represent_str(value)


_UnsafeDumper.add_representer(str, _unsafe_str)


def unsafe_yaml(data: Mapping[str, Any]) -> str:
    """YAML for ``-e @file``, any string Jinja could act on tagged ``!unsafe``."""
    return yaml.dump(dict(data), Dumper=_UnsafeDumper, sort_keys=False, allow_unicode=True)


def declared_data(ws: Workstation | None) -> dict[str, Any]:
    """A host's declarations in the probe's ``declared`` shape."""
    if ws is None:
        return {}
    return {
        "tools": [t.model_dump(exclude_none=True) for t in ws.tools],
        "licenses": [lic.model_dump(exclude_none=True) for lic in ws.licenses],
        "storage": [s.model_dump() for s in ws.storage],
        "agents": list(ws.agents),
    }


def probe_local(
    host: str,
    ws: Workstation | None,
    requirements: StageRequirements | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    repository: str | None = None,
) -> Observation:
    """Run the probe in this process (``wrk readiness --local``): no Ansible involved.

    ``repository``: a git work tree whose state the observation's dimensions report.
    """
    from wrk_ansible import probe

    try:
        result = probe.run_probe(
            requirements_data(requirements), declared_data(ws), timeout, repository=repository
        )
    except probe.ProbeInputError as exc:
        raise WrkError(f"the local probe refused its input: {exc}") from None
    return parse_probe_result(host, result, source="local probe", observed_at=utc_now())


def probe_vars(hosts: Sequence[str], requirements: StageRequirements | None, timeout: float) -> str:
    """The run's variables: its hosts, the requirements, the timeouts (``!unsafe`` YAML)."""
    return unsafe_yaml(
        {
            HOSTS_VAR: [str(host) for host in hosts],
            "wrk_readiness_requirements": requirements_data(requirements),
            "wrk_readiness_timeout": timeout,
            "ansible_timeout": max(1, int(timeout)),
        }
    )


def probe_hosts(
    hosts: Sequence[str],
    *,
    inventory: str,
    requirements: StageRequirements | None,
    artifacts_dir: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: ProgressCallback | None = None,
    started: PendingRun | None = None,
) -> dict[str, Observation]:
    """Probe ``hosts`` in ONE playbook run; every host gets an observation.

    ``started``: the run ``launch.start_probe`` began for ``inventory`` (with this
    ``timeout``); else (or when it was started for another) one is started now.
    ``artifacts_dir``: run through ansible-runner, keeping its artifacts there."""
    if not hosts:
        return {}
    extra_vars = probe_vars(hosts, requirements, timeout)
    run: PlaybookRun
    if started is not None and artifacts_dir is None and started_for(started, inventory, timeout):
        run = started.finish(extra_vars, progress=progress)
    else:
        if started is not None:
            started.cancel()  # not the run wanted: it ran nothing
        run = run_probe(
            inventory,
            extra_vars=extra_vars,
            timeout=timeout,
            progress=progress,
            artifacts_dir=artifacts_dir,
        )
    published = run.custom_stats.get(STATS_KEY)
    results: Mapping[str, Any] = published if isinstance(published, Mapping) else {}
    when = utc_now()
    observed: dict[str, Observation] = {}
    for host in hosts:
        outcome = run.hosts.get(host)
        if host in results:
            try:
                observed[host] = parse_probe_result(
                    host, results[host], source="probe", observed_at=when
                )
                continue
            except ProbeOutputError as exc:
                message = str(exc)
        elif outcome is None:
            message = run.why_not_run()
        elif not outcome.reachable:
            failure = classify(outcome.message)
            fix = host_key_fix(host, failure.message) if failure.kind == HOST_KEY else None
            observed[host] = unreachable(
                host,
                failure.text,
                source="probe",
                observed_at=when,
                problem=failure.kind if fix else None,
                fix=fix,
            )
            continue
        else:
            message = f"the probe failed: {outcome.message or 'no result'}"
        observed[host] = unreachable(host, message, source="probe", observed_at=when)
    return observed
