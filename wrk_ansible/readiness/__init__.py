"""Readiness: probe workstations (through Ansible or locally) and type what is observed."""
