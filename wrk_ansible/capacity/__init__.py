"""Capacity: seat pools, budget pools, WIP caps and per-host concurrency (docs/capacity.md)."""
