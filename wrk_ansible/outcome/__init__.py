"""Outcomes: what happened when a stage ran, kept apart from whether it succeeded
(``wrk outcome``; docs/evidence.md, kind ``outcome``)."""
