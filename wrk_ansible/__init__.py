"""wrk-ansible: per-stage execution contracts and readiness gates for work items."""

__version__ = "0.1.0"
