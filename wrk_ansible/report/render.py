"""Draw a :class:`~wrk_ansible.report.data.Report` as one self-contained HTML page.

Jinja2 with autoescaping on: every value from a WRK file is text, never markup. The page
carries its own CSS and script and a Content-Security-Policy that forbids loading anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from wrk_ansible.report.data import STATES, Report

TEMPLATES: Final = Path(__file__).parent / "templates"


def render(report: Report) -> str:
    """The page's HTML."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    template = env.get_template("report.html.j2")
    return template.render(r=report, worst_rank={s: n for n, s in enumerate(STATES)})
