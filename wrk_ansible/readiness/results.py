"""Typed observations of a host's readiness, validated from untrusted probe output.

A probe result comes back through Ansible (or from an evidence file, or an artifact directory
written elsewhere), so every field is checked and capped before it is used (pydantic, frozen).
Each check keeps the probe's human ``required``/``found``/``reason`` and its machine-readable
``spec`` (what was asked) and ``data`` (typed numbers seen): code reads those, never the text.
The probe's ``dimensions`` (facts for grading the host, :class:`~wrk_ansible.fleet.model.
Dimensions`) are kept beside the checks and never enter the decision.
The probe's output schema is ``docs/probe-output.schema.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from wrk_ansible.contract.models import StageRequirements
from wrk_ansible.decision.outcomes import Check, Outcome
from wrk_ansible.decision.readiness import Basis, HostReadiness
from wrk_ansible.fleet.model import Dimensions
from wrk_ansible.readiness.connection import HOST_KEY

MAX_CHECKS: Final = 500
MAX_TEXT: Final = 2000
MAX_ITEMS: Final = 32
#: Characters of JSON one dimension may take (a host declares tens of solvers, not thousands).
MAX_DIMENSION_JSON: Final = 64 * 1024
#: The probe output schema this controller reads (``schema_version`` of ``run_probe``).
PROBE_SCHEMA: Final = 2

Scalar = str | int | float | bool | None


def _capped(limit: int) -> BeforeValidator:
    return BeforeValidator(lambda v: v if v is None else str(v)[:limit])


def _scalars(value: Any) -> Any:
    """A spec/data mapping: at most 32 plain values, long strings cut."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or len(value) > MAX_ITEMS:
        raise ValueError(f"must be a mapping of at most {MAX_ITEMS} values")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if item is not None and not isinstance(item, str | int | float | bool):
            raise ValueError(f"{key!r} must be a plain value")
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"{key!r} must be a finite number")
        out[str(key)[:64]] = item[:MAX_TEXT] if isinstance(item, str) else item
    return out


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a probe check has no name")
    return value[:200]


Text = Annotated[str | None, _capped(MAX_TEXT)]
Values = Annotated[dict[str, Scalar], BeforeValidator(_scalars)]


class ObservedCheck(BaseModel):
    """One check as the probe reports it (``ok`` None: unknown, with a reason)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=False)

    name: Annotated[str, BeforeValidator(_name)]
    kind: Annotated[str, BeforeValidator(lambda v: str(v or "check")[:40])] = "check"
    required: Text = None
    found: Text = None
    ok: Annotated[bool | None, Field(strict=True)] = None
    reason: Annotated[str, BeforeValidator(lambda v: "" if v is None else str(v)[:MAX_TEXT])] = ""
    spec: Values = Field(default_factory=dict)
    data: Values = Field(default_factory=dict)

    @property
    def outcome(self) -> Outcome:
        if self.ok is None:
            return Outcome.UNKNOWN
        return Outcome.PASS if self.ok else Outcome.FAIL

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Observation(BaseModel):
    """What one readiness run saw on one host."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    host: str
    reachable: bool
    checks: tuple[ObservedCheck, ...] = Field(default=(), max_length=MAX_CHECKS)
    facts: dict[str, str] = Field(default_factory=dict)
    message: str = ""
    #: "probe", "local probe", "evidence <id>", "attestation <id>", "artifacts <dir>".
    source: str = "probe"
    observed_at: str | None = None
    #: What the probe checked: "requirements" or "declared" (None: not said).
    mode: str | None = None
    #: The probe output schema it was read from (1: before spec/data existed).
    schema_version: int = 1
    #: Why an unreachable host could not be observed when it is a setup problem, not a host
    #: that is down: "host-key" (its key is not known or changed). None otherwise.
    problem: str | None = None
    #: What fixes that problem, for the gap.
    fix: str | None = None
    #: What the probe saw of the host for grading (None: it reported none); never decides.
    dimensions: Dimensions | None = None

    @property
    def ready(self) -> bool:
        return self.reachable and all(check.ok is True for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        out = self.model_dump(mode="json")
        out["checks"] = [c.as_dict() for c in self.checks]
        out["ready"] = self.ready
        # as the probe said it: a dimension it left out (checkout) stays out
        dims = self.dimensions
        out["dimensions"] = (
            None if dims is None else dims.model_dump(mode="json", exclude_unset=True)
        )
        return out

    def for_decision(self, basis: Basis = Basis.OBSERVED) -> HostReadiness:
        """The decision's view: each check with an outcome, unreachable as a failed check."""
        if not self.reachable:
            setup = self.problem == HOST_KEY
            check = Check(
                name="host-key" if setup else "reachable",
                required="a known host key" if setup else "a connection",
                found="unknown" if setup else "none",
                outcome=Outcome.FAIL,
                reason=self.message or "unreachable",
                host=self.host,
                data={"fix": self.fix} if self.fix else {},
            )
            return HostReadiness(
                host=self.host,
                reachable=False,
                checks=(check,),
                source=self.source,
                basis=basis,
                observed_at=self.observed_at,
                problem=self.problem,
            )
        checks = tuple(
            Check(
                name=f"{c.kind}:{c.name}",
                required=c.required,
                found=c.found,
                outcome=c.outcome,
                reason=c.reason,
                host=self.host,
                spec=c.spec,
                data=c.data,
            )
            for c in self.checks
        )
        return HostReadiness(
            host=self.host,
            reachable=True,
            checks=checks,
            source=self.source,
            basis=basis,
            observed_at=self.observed_at,
        )


class ProbeOutputError(ValueError):
    """Probe output that does not have the documented shape."""


def _facts(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k)[:64]: str(v)[:200] for k, v in list(value.items())[:MAX_ITEMS]}


def _dimensions(value: Any) -> Dimensions | None:
    """The probe's ``dimensions``, each one kept only when it has its shape (a dimension
    that does not is dropped: it is a fact for grading, never a reason to refuse the run)."""
    if not isinstance(value, Mapping):
        return None
    kept: dict[str, Any] = {}
    for key in Dimensions.model_fields:
        if key not in value:
            continue
        try:
            if len(json.dumps(value[key], allow_nan=False)) > MAX_DIMENSION_JSON:
                continue
            Dimensions.model_validate({key: value[key]})
        except (TypeError, ValueError):  # pydantic's ValidationError is a ValueError
            continue
        kept[key] = value[key]
    return Dimensions.model_validate(kept)


def parse_probe_result(
    host: str, result: Any, *, source: str, observed_at: str | None
) -> Observation:
    """Validate a probe's ``{schema_version, facts, mode, checks, ready}`` result for ``host``."""
    if not isinstance(result, Mapping):
        raise ProbeOutputError(f"{host}: probe result is not a mapping")
    raw_checks = result.get("checks")
    if not isinstance(raw_checks, list) or len(raw_checks) > MAX_CHECKS:
        raise ProbeOutputError(f"{host}: probe checks must be a list of at most {MAX_CHECKS}")
    version = result.get("schema_version", 1)
    mode = result.get("mode")
    try:
        return Observation(
            host=host,
            reachable=True,
            checks=tuple(raw_checks),
            facts=_facts(result.get("facts")),
            source=source,
            observed_at=observed_at,
            mode=mode if mode in ("requirements", "declared") else None,
            schema_version=version if isinstance(version, int) else 1,
            dimensions=_dimensions(result.get("dimensions")),
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProbeOutputError(f"{host}: probe output {where}: {first['msg']}") from None


def unreachable(
    host: str,
    message: str,
    *,
    source: str,
    observed_at: str | None,
    problem: str | None = None,
    fix: str | None = None,
) -> Observation:
    """A host the run could not reach (or got no usable result from); ``problem`` says when
    that is a setup problem (:data:`~wrk_ansible.readiness.connection.HOST_KEY`)."""
    return Observation(
        host=host,
        reachable=False,
        message=message,
        source=source,
        observed_at=observed_at,
        problem=problem,
        fix=fix,
    )


def requirements_data(requirements: StageRequirements | None) -> dict[str, Any]:
    """Requirements as the probe, the evidence records and their hash take them: ``{}`` when
    there are none (the probe then checks the host's declarations), so a row without
    requirements, ``wrk readiness`` without ``--requirements`` and ``--local`` agree."""
    if requirements is None or requirements.empty:
        return {}
    # what the probe checks: a license's state and dispatch path are judged on the controller
    return requirements.model_dump(
        mode="json",
        exclude_none=True,
        exclude={"licenses": {"__all__": {"state", "dispatch_path"}}},
    )


def requirement_specs(requirements: StageRequirements | None) -> list[tuple[str, dict[str, Any]]]:
    """(kind, spec) of the checks the probe makes for ``requirements``, in its order."""
    if requirements is None:
        return []
    out: list[tuple[str, dict[str, Any]]] = [
        ("tool", {"name": t.name, "min_version": t.min_version}) for t in requirements.tools
    ]
    out += [("license", {"feature": x.feature, "seats": x.seats}) for x in requirements.licenses]
    out += [("disk", {"path": d.path, "free_gb": float(d.free_gb)}) for d in requirements.disk]
    out += [("network", {"host": n.host, "port": n.port}) for n in requirements.network]
    return out


def _spec_text(kind: str, spec: Mapping[str, Any]) -> str:
    """A check's spec for people: ``tool solver (>= 3)``, ``license orcaflex (1 seats)``."""
    if kind == "tool":
        least = spec.get("min_version")
        return f"tool {spec.get('name')}" + (f" (>= {least})" if least else "")
    if kind == "license":
        return f"license {spec.get('feature')} ({spec.get('seats')} seats)"
    if kind == "disk":
        return f"disk {spec.get('path')} ({spec.get('free_gb')} GiB free)"
    if kind == "network":
        return f"network {spec.get('host')}:{spec.get('port')}"
    return kind


def _same_spec(seen: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    for key, value in wanted.items():
        got = seen.get(key)
        if isinstance(value, float) and isinstance(got, int | float) and not isinstance(got, bool):
            if float(got) != value:
                return False
        elif got != value:
            return False
    return True


def answers(observation: Observation, requirements: StageRequirements | None) -> str | None:
    """Why ``observation`` does not answer ``requirements`` (None: it does), read from the
    checks' ``spec`` (what the probe was asked), never from their text."""
    if not observation.reachable:
        return None
    wanted = requirement_specs(requirements)
    if not wanted:
        if observation.mode == "declared":
            return None
        return f"the run checked {observation.mode or 'unknown'}, not declarations"
    if observation.mode != "requirements":
        return "the run checked the host's declarations, not this stage's requirements"
    if observation.schema_version < PROBE_SCHEMA:
        return f"the run's probe output is schema {observation.schema_version}, with no spec"
    seen = [(c.kind, c.spec) for c in observation.checks]
    same = len(seen) == len(wanted) and all(
        s[0] == w[0] and _same_spec(s[1], w[1]) for s, w in zip(seen, wanted, strict=True)
    )
    if same:
        return None

    def show(items: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
        return ", ".join(_spec_text(kind, spec) for kind, spec in items)

    return f"the run checked {show(seen) or 'nothing'}; the stage needs {show(wanted)}"
