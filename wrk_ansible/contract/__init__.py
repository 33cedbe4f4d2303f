"""Work items and their per-stage execution contract: load, validate, derive, migrate."""
