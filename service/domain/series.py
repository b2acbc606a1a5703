"""The instants of a progress series for charts: every DAY, WEEK or MONTH from `start` to `end`."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from service.domain.errors import InvalidInput

MAX_POINTS = 400


class Interval(enum.StrEnum):
    """The step between two points of a series."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


def _add_months(at: datetime, months: int) -> datetime:
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    # Keep the day where the month has it; else the month's last day (Jan 31 -> Feb 28).
    day = at.day
    while True:
        try:
            return at.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def instants(start: datetime, end: datetime, interval: Interval) -> list[datetime]:
    """`start`, then every step up to and including `end`; InvalidInput when the range is
    reversed, naive, or would need more than MAX_POINTS points."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("from and to need a time zone", field=("from",))
    if end < start:
        raise InvalidInput("`to` must not be before `from`", field=("to",))
    found: list[datetime] = []
    step = 0
    while True:
        if interval is Interval.MONTH:
            at = _add_months(start, step)
        else:
            at = start + timedelta(days=step * (7 if interval is Interval.WEEK else 1))
        if at > end:
            return found
        if len(found) == MAX_POINTS:
            raise InvalidInput(
                f"a series has at most {MAX_POINTS} points; use a longer interval",
                field=("interval",),
            )
        found.append(at)
        step += 1
