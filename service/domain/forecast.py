"""Least-squares forecast of a key result to the end of its cycle."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service.domain.model import KeyResultKind
from service.domain.progress import Point, progress


@dataclass(frozen=True, slots=True)
class Forecast:
    """Where the trend of the check-ins lands at the cycle end, and whether it misses."""

    projected_value: float
    projected_progress: float
    trending_off_track: bool
    based_on: int


@dataclass(frozen=True, slots=True)
class NoForecast:
    """Why there is no forecast (too few check-ins, all at one instant)."""

    reason: str


def forecast(
    points: Sequence[Point],
    *,
    kind: KeyResultKind,
    start: float,
    target: float,
    ends_at: datetime,
) -> Forecast | NoForecast:
    """Fit value = a + b·t by least squares over `points` and project it to `ends_at`."""
    if len(points) < 2:
        return NoForecast(reason=f"needs at least 2 check-ins, has {len(points)}")
    origin = min(p.at for p in points)
    xs = [(p.at - origin).total_seconds() for p in points]
    ys = [p.value for p in points]
    n = len(points)
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return NoForecast(reason="all check-ins share one instant: no trend")
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    at_end = (ends_at - origin).total_seconds()
    projected = mean_y + slope * (at_end - mean_x)
    projected_progress = progress(kind, start, target, projected)
    if not (math.isfinite(projected) and math.isfinite(projected_progress)):
        # Values past what a key result may hold now (stored before it was bounded).
        return NoForecast(reason="the check-ins' values are too large to project")
    return Forecast(
        projected_value=projected,
        projected_progress=projected_progress,
        trending_off_track=projected_progress < 1,
        based_on=n,
    )
