"""AI agents as resources: the fleet's catalog, quota snapshots, pacing and routing."""
