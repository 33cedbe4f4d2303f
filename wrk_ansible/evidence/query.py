"""One way to ask the evidence store for records of a kind, and for the newest one.

``latest(ledger, wrk, GateBody, stage="execute")`` is the newest ``gate`` record of the WRK's
``execute`` row across every writer's chain, typed; ``records_of`` gives them all, oldest
first. ``match`` compares typed body fields by equality (``for_stage="execute"``); ``where``
takes any other test (a case-insensitive host). A kind is named by its body model (typed
results) or by its name (``"gate"``).

Newest means one thing (:func:`wrk_ansible.evidence.records.newest_key`): the later record
``time``, and for the same time the higher record id. A record of the kind whose body does not
validate is left out; pass ``skipped`` to learn which and why.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar, overload

from wrk_ansible.evidence.ledger import Ledger, Record
from wrk_ansible.evidence.records import KINDS, B, Body, Skipped, TypedRecord, typed

K = TypeVar("K", bound=Hashable)


def model_of(kind: type[B] | str) -> type[Body]:
    """The body model of a kind given by model or by name."""
    if isinstance(kind, str):
        try:
            return KINDS[kind]
        except KeyError:
            raise ValueError(f"no evidence record kind {kind!r}") from None
    return kind


@overload
def select(
    records: Iterable[Record],
    kind: type[B],
    *,
    where: Callable[[B], bool] | None = ...,
    skipped: list[Skipped] | None = ...,
    **match: Any,
) -> list[TypedRecord[B]]: ...
@overload
def select(
    records: Iterable[Record],
    kind: str,
    *,
    where: Callable[[Body], bool] | None = ...,
    skipped: list[Skipped] | None = ...,
    **match: Any,
) -> list[TypedRecord[Body]]: ...
def select(
    records: Iterable[Record],
    kind: type[Any] | str,
    *,
    where: Callable[[Any], bool] | None = None,
    skipped: list[Skipped] | None = None,
    **match: Any,
) -> list[TypedRecord[Any]]:
    """The records of ``kind`` among ``records`` whose typed body matches, in their order."""
    model = model_of(kind)
    unknown = sorted(set(match) - set(model.model_fields))
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(unknown)}")
    out: list[TypedRecord[Any]] = []
    for record in records:
        if record.kind != model.KIND:
            continue
        found = typed(record, model)
        if isinstance(found, Skipped):
            if skipped is not None:
                skipped.append(found)
            continue
        body = found.body
        if all(getattr(body, k) == v for k, v in match.items()) and (where is None or where(body)):
            out.append(found)
    return out


def newest(records: Iterable[TypedRecord[B]]) -> TypedRecord[B] | None:
    """The newest of ``records`` (by time, then id), or None."""
    return max(records, key=lambda r: r.order, default=None)


def oldest_first(records: Iterable[TypedRecord[B]]) -> list[TypedRecord[B]]:
    """``records`` in the order of :func:`newest`, oldest first."""
    return sorted(records, key=lambda r: r.order)


def newest_per(
    records: Iterable[TypedRecord[B]], key: Callable[[TypedRecord[B]], K]
) -> dict[K, TypedRecord[B]]:
    """The newest record (by time, then id) of each ``key``."""
    out: dict[K, TypedRecord[B]] = {}
    for record in records:
        group = key(record)
        seen = out.get(group)
        if seen is None or record.order > seen.order:
            out[group] = record
    return out


@overload
def records_of(
    ledger: Ledger,
    wrk: str,
    kind: type[B],
    *,
    where: Callable[[B], bool] | None = ...,
    skipped: list[Skipped] | None = ...,
    **match: Any,
) -> list[TypedRecord[B]]: ...
@overload
def records_of(
    ledger: Ledger,
    wrk: str,
    kind: str,
    *,
    where: Callable[[Body], bool] | None = ...,
    skipped: list[Skipped] | None = ...,
    **match: Any,
) -> list[TypedRecord[Body]]: ...
def records_of(
    ledger: Ledger,
    wrk: str,
    kind: type[Any] | str,
    *,
    where: Callable[[Any], bool] | None = None,
    skipped: list[Skipped] | None = None,
    **match: Any,
) -> list[TypedRecord[Any]]:
    """Every matching record of ``kind`` in ``wrk``'s chains (every writer), oldest first."""
    model = model_of(kind)
    found = select(_of_kind(ledger, wrk, model), model, where=where, skipped=skipped, **match)
    return oldest_first(found)


@overload
def latest(
    ledger: Ledger,
    wrk: str,
    kind: type[B],
    *,
    where: Callable[[B], bool] | None = ...,
    skipped: list[Skipped] | None = ...,
    **match: Any,
) -> TypedRecord[B] | None: ...
@overload
def latest(
    ledger: Ledger,
    wrk: str,
    kind: str,
    *,
    where: Callable[[Body], bool] | None = ...,
    skipped: list[Skipped] | None = ...,
    **match: Any,
) -> TypedRecord[Body] | None: ...
def latest(
    ledger: Ledger,
    wrk: str,
    kind: type[Any] | str,
    *,
    where: Callable[[Any], bool] | None = None,
    skipped: list[Skipped] | None = None,
    **match: Any,
) -> TypedRecord[Any] | None:
    """The newest matching record of ``kind`` in ``wrk``'s chains (by time, then id)."""
    model = model_of(kind)
    return newest(
        select(_of_kind(ledger, wrk, model), model, where=where, skipped=skipped, **match)
    )


def _of_kind(ledger: Ledger, wrk: str, model: type[Body]) -> list[Record]:
    """The records of ``wrk`` whose file names say ``model``'s kind: no other file is read
    (a gate's handoff lookup used to read every gate record of the item). A file whose name
    and body disagree is left out by :func:`select` (``wrk evidence verify`` names it)."""
    return ledger.records(wrk, kinds=(model.KIND,))
