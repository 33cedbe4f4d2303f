"""The one version grammar, for the controller and the probe alike.

The probe (:mod:`wrk_ansible.probe`, stdlib only, runs on the hosts) owns the grammar: numbers
compare as integers, missing trailing parts are zero, ``dev``/``alpha``/``beta``/``rc`` (and
``a1``, ``b2``) mark pre-releases, any other letter run is a post-release suffix (``9.2p1`` >
``9.2``, ``11.6c`` > ``11.6``, ``2024R1`` > ``2024``), a leading ``v`` is ignored. The
controller compares declared versions with the same functions, so a version means the same on
both sides (``docs/readiness.md``). :func:`is_version` is the stricter grammar of a version a
person writes (a contract's ``min_version``): the probe refuses a request with any other, and
the contract refuses it when it is read.
"""

from __future__ import annotations

from wrk_ansible.probe import (
    MAX_VERSION_LENGTH,
    VERSION_TEXT_PATTERN,
    compare_versions,
    is_version,
    not_a_version,
    version_key,
)

__all__ = [
    "MAX_VERSION_LENGTH",
    "VERSION_TEXT_PATTERN",
    "compare_versions",
    "is_below",
    "is_version",
    "not_a_version",
    "version_key",
]


def is_below(version: str, minimum: str) -> bool | None:
    """True/False when both read as versions, None when either does not."""
    try:
        return compare_versions(version, minimum) < 0
    except ValueError:
        return None
