"""The instants of a progress series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.domain.errors import DomainError
from service.domain.series import MAX_POINTS, Interval, instants
from tests.domain.builders import at


def test_days_include_both_ends() -> None:
    assert instants(at(1, 1), at(1, 3), Interval.DAY) == [at(1, 1), at(1, 2), at(1, 3)]


def test_weeks_step_seven_days_and_stop_before_passing_the_end() -> None:
    assert instants(at(1, 1), at(1, 20), Interval.WEEK) == [at(1, 1), at(1, 8), at(1, 15)]


def test_months_keep_the_day_or_take_the_last_day_of_a_shorter_month() -> None:
    found = instants(at(1, 31), at(5, 1), Interval.MONTH)
    assert found == [at(1, 31), at(2, 28), at(3, 31), at(4, 30)]


def test_months_cross_the_year() -> None:
    found = instants(at(11, 15, 2026), at(2, 15), Interval.MONTH)
    assert found == [at(11, 15, 2026), at(12, 15, 2026), at(1, 15), at(2, 15)]


@pytest.mark.parametrize(
    ("start", "end", "interval", "field"),
    [
        (at(2, 1), at(1, 1), Interval.DAY, "to"),
        (datetime(2027, 1, 1), at(1, 2), Interval.DAY, "from"),
        (at(1, 1, 2026), at(12, 31), Interval.DAY, "interval"),
    ],
)
def test_bad_ranges_are_refused(
    start: datetime, end: datetime, interval: Interval, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        instants(start, end, interval)
    assert refused.value.field == (field,)


def test_the_longest_series_has_the_maximum_number_of_points() -> None:
    start = datetime(2027, 1, 1, tzinfo=UTC)
    end = datetime(2028, 2, 4, tzinfo=UTC)  # 399 days after the start: 400 points
    assert len(instants(start, end, Interval.DAY)) == MAX_POINTS


END_OF_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "interval", "points"),
    [
        (datetime(9999, 12, 1, tzinfo=UTC), Interval.MONTH, 1),
        (datetime(9999, 10, 31, tzinfo=UTC), Interval.MONTH, 3),
        (datetime(9999, 12, 25, tzinfo=UTC), Interval.WEEK, 1),
        (datetime(9999, 12, 30, tzinfo=UTC), Interval.DAY, 2),
    ],
)
def test_a_series_ends_at_the_last_day_a_date_can_hold(
    start: datetime, interval: Interval, points: int
) -> None:
    assert len(instants(start, END_OF_TIME, interval)) == points


def test_a_point_whose_utc_instant_no_date_can_hold_ends_the_series() -> None:
    behind = timezone(timedelta(hours=-5))
    start = datetime(9999, 12, 30, 20, tzinfo=behind)  # Dec 31, 01:00 UTC
    assert instants(start, END_OF_TIME, Interval.DAY) == [start]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (datetime(1, 1, 1, 5, tzinfo=timezone(timedelta(hours=14))), END_OF_TIME, "from"),
        (
            datetime(9999, 12, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 20, tzinfo=timezone(timedelta(hours=-5))),
            "to",
        ),
    ],
)
def test_bounds_outside_the_years_a_date_can_hold_in_utc_are_refused(
    start: datetime, end: datetime, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        instants(start, end, Interval.DAY)
    assert refused.value.field == (field,)
