"""The direct run's event lines (plugins/callback/wrk_events.py) read back into a result.

Pure parsing: the lines are what the callback writes; the real callback against a real
ansible-playbook is tests/integration/test_pending_run.py.
"""

from __future__ import annotations

import json
from typing import Any

from wrk_ansible.readiness.runner import PlaybookRun, _Events, _outcomes


def lines(*events: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in events)


STATS = {
    "event": "stats",
    "hosts": {
        "processed": {"a": 1, "b": 1, "c": 1},
        "ok": {"a": 3, "c": 1},
        "dark": {"b": 1},
        "failures": {"c": 1},
        "changed": {"a": 0},
    },
    "custom": {"wrk_readiness": {"a": {"ready": True}}},
}


def test_progress_and_stats_from_the_lines() -> None:
    said: list[tuple[str, str, str]] = []
    events = _Events(lambda host, outcome, message: said.append((host, outcome, message)))
    events.feed(
        lines(
            {"event": "ok", "host": "a", "published": False},
            {"event": "ok", "host": "a", "published": True},
            {"event": "unreachable", "host": "b", "msg": "ssh: connect\n  refused"},
            {"event": "failed", "host": "c", "msg": "boom"},
            STATS,
        )
    )
    assert said == [
        ("a", "done", ""),
        ("b", "unreachable", "ssh: connect refused"),
        ("c", "failed", "boom"),
    ]
    hosts = _outcomes(events.stats, events.messages)
    assert [(h.host, h.reachable, h.failed, h.message) for h in hosts.values()] == [
        ("a", True, False, ""),
        ("b", False, False, "ssh: connect refused"),
        ("c", True, True, "boom"),
    ]
    assert events.custom == {"wrk_readiness": {"a": {"ready": True}}}


def test_a_line_split_across_reads_is_read_once_whole() -> None:
    said: list[str] = []
    events = _Events(lambda host, outcome, message: said.append(host))
    data = lines({"event": "ok", "host": "alpha", "published": True}, STATS)
    for cut in range(0, len(data), 7):
        events.feed(data[cut : cut + 7])
    assert said == ["alpha"]
    assert set(events.stats["processed"]) == {"a", "b", "c"}


def test_lines_that_are_not_events_are_ignored() -> None:
    events = _Events(None)
    events.feed(b'[WARNING]: not json\n[1, 2]\n"text"\n{"event": "stats", "hosts": 3}\n')
    assert (events.stats, events.custom, events.messages) == ({}, {}, {})


def test_a_first_failure_message_is_kept() -> None:
    """A host that failed to connect and then failed a task keeps the connection message."""
    events = _Events(None)
    events.feed(
        lines(
            {"event": "unreachable", "host": "h", "msg": "timed out"},
            {"event": "failed", "host": "h", "msg": "later"},
        )
    )
    assert events.messages == {"h": "timed out"}


def test_why_not_run_quotes_ansible_last_error() -> None:
    run = PlaybookRun(
        status="failed",
        rc=4,
        hosts={},
        custom_stats={},
        artifact_dir="",
        output="[WARNING]: x\nERROR! first\nERROR! the inventory   has no\n  such host\n",
    )
    assert run.why_not_run() == "not in the run (playbook failed: ERROR! the inventory has no)"
    quiet = PlaybookRun(status="timeout", rc=-9, hosts={}, custom_stats={}, artifact_dir="")
    assert quiet.why_not_run() == "not in the run (playbook timeout)"
