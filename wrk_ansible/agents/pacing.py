"""Quota pacing: how much of its quota an agent may have used at a point of its window. Pure.

A curve maps the elapsed fraction of a quota window (0 at its start, 1 at its reset) to the
percentage of the quota that may be used by then, by straight lines between points. The team's
rule for a weekly quota, "use about 90% by day 5 and keep about 10% for the last two days", is
the default: linear from 0% at day 0 to 90% at day 5, then linear to 100% at day 7. A daily
quota is paced linearly over its day. An agent is past its pacing line when its used
percentage is above the curve at the current point of its window.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

Curve = tuple[tuple[float, float], ...]

#: Window length per quota window kind.
WINDOWS: Final[Mapping[str, timedelta]] = MappingProxyType(
    {"weekly": timedelta(days=7), "daily": timedelta(days=1)}
)
#: "90% by day 5": (elapsed fraction, allowed used %) points.
WEEKLY_CURVE: Final[Curve] = ((0.0, 0.0), (5 / 7, 90.0), (1.0, 100.0))
DAILY_CURVE: Final[Curve] = ((0.0, 0.0), (1.0, 100.0))


def check_curve(points: Curve) -> Curve:
    """``points`` if they make a pacing curve, else ValueError saying why."""
    if len(points) < 2:
        raise ValueError("a pacing curve needs at least two points")
    if points[0][0] != 0.0 or points[-1][0] != 1.0:
        raise ValueError("a pacing curve runs from elapsed fraction 0 to 1")
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x1 <= x0:
            raise ValueError("elapsed fractions must increase")
        if y1 < y0:
            raise ValueError("allowed percentages must not decrease")
    if any(not 0.0 <= y <= 100.0 for _, y in points):
        raise ValueError("allowed percentages lie between 0 and 100")
    return points


def curve_from_days(points: tuple[tuple[float, float], ...], days: float) -> Curve:
    """A curve given as (day, allowed %) points over a window of ``days`` days."""
    return check_curve(tuple((day / days, pct) for day, pct in points))


@dataclass(frozen=True)
class Pacing:
    """Pacing curves per window kind (weekly, daily)."""

    curves: Mapping[str, Curve] = field(
        default_factory=lambda: {"weekly": WEEKLY_CURVE, "daily": DAILY_CURVE}
    )

    def __post_init__(self) -> None:
        for curve in self.curves.values():
            check_curve(curve)
        object.__setattr__(self, "curves", MappingProxyType(dict(self.curves)))

    def curve(self, window: str) -> Curve:
        return self.curves.get(window, self.curves.get("weekly", WEEKLY_CURVE))

    def allowed(self, window: str, elapsed: float) -> float:
        """The used % allowed at ``elapsed`` (0..1, clamped) of a ``window`` quota."""
        return allowed_at(self.curve(window), elapsed)

    def reserve_line(self, window: str) -> float:
        """The line when the window's position is unknown: the last point before the end
        (90% weekly by default), so the reserve is kept whatever the day."""
        curve = self.curve(window)
        return curve[-2][1]

    def as_dict(self) -> dict[str, list[list[float]]]:
        return {name: [list(p) for p in curve] for name, curve in self.curves.items()}


def allowed_at(curve: Curve, elapsed: float) -> float:
    """Linear interpolation of ``curve`` at ``elapsed`` (clamped to 0..1)."""
    x = min(max(elapsed, 0.0), 1.0)
    for (x0, y0), (x1, y1) in itertools.pairwise(curve):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return curve[-1][1]


def elapsed_fraction(window: str, resets_at: datetime, now: datetime) -> float:
    """How far ``now`` is into the window that ends at ``resets_at`` (0..1, clamped)."""
    length = WINDOWS.get(window, WINDOWS["weekly"])
    start = resets_at - length
    return min(max((now - start) / length, 0.0), 1.0)


@dataclass(frozen=True)
class PaceState:
    """Where one agent stands against its pacing line."""

    used_pct: float
    allowed_pct: float
    elapsed: float | None  # None: the window's position is unknown (no reset time)

    @property
    def past_line(self) -> bool:
        # rounded: 54% used at a line of 53.99999999999999% is on the line, not past it
        return self.used_pct > round(self.allowed_pct, 9)

    def describe(self) -> str:
        where = (
            f"{self.elapsed * 100:.0f}% into its window"
            if self.elapsed is not None
            else "reset time unknown, so the reserve line applies"
        )
        return f"used {self.used_pct:g}%, allowed {self.allowed_pct:.1f}% ({where})"


def pace(
    pacing: Pacing, window: str, used_pct: float, resets_at: datetime | None, now: datetime
) -> PaceState:
    """The agent's pace at ``now``."""
    if resets_at is None:
        return PaceState(used_pct, pacing.reserve_line(window), None)
    elapsed = elapsed_fraction(window, resets_at, now)
    return PaceState(used_pct, pacing.allowed(window, elapsed), elapsed)
