"""ssh's own words, read: where a connection stopped, and a host key problem kept apart."""

from __future__ import annotations

import pytest

from wrk_ansible.readiness.connection import HOST_KEY, UNREACHABLE, classify, host_key_fix

# Messages as Ansible reports them (ssh's stderr after "Failed to connect to the host via ssh:").
CASES = [
    (
        "Failed to connect to the host via ssh: ssh: connect to host 127.0.0.9 port 22: "
        "Connection refused",
        UNREACHABLE,
        "the TCP connect",
    ),
    (
        "Failed to connect to the host via ssh: Connection timed out during banner exchange\n"
        "Connection to 127.0.0.19 port 2222 timed out",
        UNREACHABLE,
        "the banner exchange",
    ),
    (
        "Failed to connect to the host via ssh: Connection to 127.0.0.234 port 2299 timed out",
        UNREACHABLE,
        "key exchange or authentication (after the banner)",
    ),
    (
        "Failed to connect to the host via ssh: root@127.0.0.5: Permission denied "
        "(publickey,password).",
        UNREACHABLE,
        "authentication",
    ),
    (
        "Failed to connect to the host via ssh: No ED25519 host key is known for "
        "[127.0.0.201]:40123 and you have requested strict checking.\r\n"
        "Host key verification failed.",
        HOST_KEY,
        "host key",
    ),
    ("Failed to connect to the host via ssh: something new", UNREACHABLE, None),
]


@pytest.mark.parametrize(("message", "kind", "stage"), CASES)
def test_classify_names_what_ssh_said(message: str, kind: str, stage: str | None) -> None:
    failure = classify(message)
    assert (failure.kind, failure.stage) == (kind, stage)
    assert "\n" not in failure.text
    if kind == HOST_KEY:
        assert failure.text.startswith("setup: the host key is not known")
    else:
        assert failure.text.startswith("unreachable: ")
        assert (f"stopped during {stage}" in failure.text) == (stage is not None)


def test_the_host_key_fix_names_the_address_and_port_ssh_gave() -> None:
    fix = host_key_fix("build1", CASES[4][0])
    assert "ssh-keyscan -p 40123 127.0.0.201 >> ~/.ssh/known_hosts" in fix
    assert "fingerprint" in fix
    assert "ssh-keyscan build1 >>" in host_key_fix("build1", "Host key verification failed.")
