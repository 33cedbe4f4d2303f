"""What ssh's own words say about a connection that failed: where it stopped, and whether it is
a setup problem (the host key is not known) rather than a host that is down.

Only ssh's and Ansible's messages are read, never guessed at: a stage is named when the text
says it (``during banner exchange``, ``connect to host ... port N: Connection timed out``), and
left out when it does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

HOST_KEY: Final = "host-key"
UNREACHABLE: Final = "unreachable"

_HOST_KEY: Final = re.compile(
    r"Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED"
    r"|No \S+ host key is known|host key for \S+ has changed",
    re.IGNORECASE,
)
#: (pattern, the stage it names), first match wins.
_STAGES: Final = (
    (re.compile(r"connect to host \S+ port \d+: ", re.IGNORECASE), "the TCP connect"),
    (re.compile(r"Could not resolve hostname", re.IGNORECASE), "the name lookup"),
    (
        re.compile(r"during banner exchange|kex_exchange_identification", re.IGNORECASE),
        "the banner exchange",
    ),
    (
        re.compile(r"Connection to \S+ port \d+ timed out", re.IGNORECASE),
        "key exchange or authentication (after the banner)",
    ),
    (
        re.compile(r"Permission denied|Too many authentication failures", re.IGNORECASE),
        "authentication",
    ),
)


@dataclass(frozen=True)
class Failure:
    """A failed connection as ssh described it."""

    kind: str  # HOST_KEY or UNREACHABLE
    stage: str | None
    message: str

    @property
    def text(self) -> str:
        """One line for the reason: what it is, where it stopped, ssh's words."""
        if self.kind == HOST_KEY:
            return f"setup: the host key is not known (or changed): {self.message}"
        where = f"stopped during {self.stage}: " if self.stage else ""
        return f"unreachable: {where}{self.message}"


def classify(message: str) -> Failure:
    """The failure ``message`` (Ansible's unreachable text, with ssh's stderr) describes."""
    words = " ".join(message.split())
    if _HOST_KEY.search(words):
        return Failure(HOST_KEY, "host key", words)
    for pattern, stage in _STAGES:
        if pattern.search(words):
            return Failure(UNREACHABLE, stage, words)
    return Failure(UNREACHABLE, None, words)


_KNOWN_FOR: Final = re.compile(r"host key is known for (\[[^\]]+\]:\d+|\S+?) and")


def host_key_fix(host: str, message: str) -> str:
    """What to run to make a host's key known (after checking its fingerprint); the address
    and port from ssh's message when it names them."""
    found = _KNOWN_FOR.search(message)
    target, port = host, None
    if found:
        named = found.group(1)
        bracket = re.fullmatch(r"\[([^\]]+)\]:(\d+)", named)
        target, port = (bracket.group(1), int(bracket.group(2))) if bracket else (named, None)
    flag = f"-p {port} " if port and port != 22 else ""
    return (
        f"make {host}'s host key known: compare its fingerprint with the host's own "
        f"(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub there), then "
        f"ssh-keyscan {flag}{target} >> ~/.ssh/known_hosts"
    )
