"""The instants of a progress series for charts: every DAY, WEEK or MONTH from `start` to `end`."""

from __future__ import annotations

import enum
from datetime import MAXYEAR, UTC, datetime, timedelta

from service.domain.calendar import instant
from service.domain.errors import InvalidInput

MAX_POINTS = 400


class Interval(enum.StrEnum):
    """The step between two points of a series."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


def _add_months(at: datetime, months: int) -> datetime | None:
    """`months` months after `at`, or None past the last year a date can hold."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    if year > MAXYEAR:
        return None
    # Keep the day where the month has it; else the month's last day (Jan 31 -> Feb 28).
    day = at.day
    while True:
        try:
            return at.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def _step(start: datetime, interval: Interval, step: int) -> datetime | None:
    """The series' point `step` steps after `start`, or None when it would fall past the last
    instant a date can hold (then it is past any end, too)."""
    try:
        if interval is Interval.MONTH:
            at = _add_months(start, step)
        else:
            at = start + timedelta(days=step * (7 if interval is Interval.WEEK else 1))
        if at is not None:
            at.astimezone(UTC)  # a point whose UTC instant a date cannot hold
    except OverflowError:
        return None
    return at


def instants(start: datetime, end: datetime, interval: Interval) -> list[datetime]:
    """`start`, then every step up to and including `end`; InvalidInput when the range is
    reversed, naive, outside the years 1 to 9999 in UTC, or would need more than MAX_POINTS
    points. A series that reaches the last day a date can hold ends there."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("from and to need a time zone", field=("from",))
    instant(start, field="from")
    instant(end, field="to")
    if end < start:
        raise InvalidInput("`to` must not be before `from`", field=("to",))
    found: list[datetime] = []
    step = 0
    while True:
        at = _step(start, interval, step)
        if at is None or at > end:
            return found
        if len(found) == MAX_POINTS:
            raise InvalidInput(
                f"a series has at most {MAX_POINTS} points; use a longer interval",
                field=("interval",),
            )
        found.append(at)
        step += 1
