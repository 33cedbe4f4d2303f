"""GitHub issues as work items: a second source beside WRK files (docs/issues.md).

refs (``OWNER/REPO#N``), export (the ``gh --json`` export files), rules (the team's routing
rules file), labels (labels + rules -> a routing decision), block (the body's ``wrk`` block),
contract (an issue -> the same ValidationResult and Contract a WRK file yields).
"""
