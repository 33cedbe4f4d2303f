"""``python -m wrk_ansible`` runs the ``wrk`` command line."""

from wrk_ansible.cli import run

raise SystemExit(run())
