"""Starting the readiness playbook: which playbook, with which content and settings.

The one place that turns "probe these hosts of this inventory" into a playbook run
(:mod:`wrk_ansible.readiness.runner`): the playbook and ``ansible.cfg`` shipped in the package
(:mod:`wrk_ansible.packaged`), the inventory by its absolute path (Ansible runs in the content
folder), the connection timeout. Light to import (the standard library, the runner and the
package's paths), so ``wrk readiness`` starts Ansible before it loads anything heavy
(pydantic, its registry, the evidence store): Ansible's own start-up then overlaps wrk's.
"""

from __future__ import annotations

import os
from pathlib import Path

from wrk_ansible.packaged import PLAYBOOK, content_dir
from wrk_ansible.readiness.runner import (
    PendingRun,
    PlaybookRun,
    ProgressCallback,
    run_playbook,
)


def _readiness(inventory: str) -> tuple[Path, str, Path]:
    """The playbook, the inventory by its absolute path, and the content folder of a run."""
    content = content_dir()
    return content / PLAYBOOK, os.path.abspath(inventory), content


def start_probe(inventory: str, *, timeout: float) -> PendingRun:
    """Start the readiness playbook against ``inventory`` before its hosts and requirements are
    known; :meth:`PendingRun.finish` sends them (``gather.probe_hosts(started=...)``)."""
    playbook, absolute, content = _readiness(inventory)
    return PendingRun(playbook, inventory=absolute, content_dir=content, connect_timeout=timeout)


def run_probe(
    inventory: str,
    *,
    extra_vars: str,
    timeout: float,
    progress: ProgressCallback | None = None,
    artifacts_dir: Path | None = None,
) -> PlaybookRun:
    """Run the readiness playbook against ``inventory`` now, with ``extra_vars``: directly, or
    through ansible-runner keeping its artifacts in ``artifacts_dir``."""
    playbook, absolute, content = _readiness(inventory)
    return run_playbook(
        playbook,
        inventory=absolute,
        content_dir=content,
        extra_vars=extra_vars,
        connect_timeout=timeout,
        progress=progress,
        artifacts_dir=artifacts_dir,
    )


def started_for(run: PendingRun | None, inventory: str, timeout: float) -> bool:
    """Whether ``run`` was started by :func:`start_probe` for this inventory and timeout."""
    return (
        run is not None
        and run.inventory == os.path.abspath(inventory)
        and run.connect_timeout == timeout
    )
