"""Cycle dates: a year, its four quarters, the months inside (UTC, half-open)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.domain import calendar
from service.domain.calendar import (
    MAX_YEAR,
    MIN_YEAR,
    month_span,
    quarter_spans,
    valid_year,
    year_span,
)
from service.domain.errors import DomainError, ErrorCode, InvalidInput
from service.domain.model import CycleKind
from tests.domain.builders import at


def test_year_span_runs_from_new_year_to_new_year() -> None:
    span = year_span(2027)
    assert (span.kind, span.year) == (CycleKind.YEAR, 2027)
    assert (span.starts_at, span.ends_at) == (at(1, 1), at(1, 1, 2028))
    assert (span.quarter, span.month) == (None, None)


def test_quarter_spans_tile_the_year() -> None:
    spans = quarter_spans(2027)
    assert [s.quarter for s in spans] == [1, 2, 3, 4]
    assert [s.starts_at for s in spans] == [at(1, 1), at(4, 1), at(7, 1), at(10, 1)]
    assert spans[-1].ends_at == at(1, 1, 2028)
    assert all(a.ends_at == b.starts_at for a, b in itertools.pairwise(spans))
    assert {s.kind for s in spans} == {CycleKind.QUARTER}


@pytest.mark.parametrize(("month", "quarter"), [(1, 1), (3, 1), (4, 2), (9, 3), (12, 4)])
def test_month_span_knows_its_quarter(month: int, quarter: int) -> None:
    span = month_span(2027, month)
    assert (span.kind, span.month, span.quarter) == (CycleKind.MONTH, month, quarter)
    assert span.starts_at == at(month, 1)


def test_december_ends_at_the_next_new_year() -> None:
    assert month_span(2027, 12).ends_at == at(1, 1, 2028)
    assert month_span(MAX_YEAR, 12).ends_at.year == MAX_YEAR + 1


@pytest.mark.parametrize("year", [MIN_YEAR, 2027, MAX_YEAR])
def test_valid_year_accepts_the_calendar_range(year: int) -> None:
    assert valid_year(year) == year


@pytest.mark.parametrize("year", [MIN_YEAR - 1, MAX_YEAR + 1, 0])
def test_years_outside_the_calendar_are_invalid(year: int) -> None:
    for make in (year_span, quarter_spans, lambda y: month_span(y, 1)):
        with pytest.raises(InvalidInput) as caught:
            make(year)
        assert caught.value.code is ErrorCode.INVALID_VALUE
        assert caught.value.field == ("year",)


@pytest.mark.parametrize("month", [0, 13, -1])
def test_months_outside_one_to_twelve_are_invalid(month: int) -> None:
    with pytest.raises(InvalidInput, match="month must be between 1 and 12") as caught:
        month_span(2027, month)
    assert caught.value.field == ("month",)


def test_an_instant_is_in_utc_with_a_time_zone_and_within_years_1_to_9999() -> None:
    ahead = timezone(timedelta(hours=14))
    assert calendar.instant(datetime(2027, 1, 1, 5, tzinfo=ahead), field="at") == datetime(
        2026, 12, 31, 15, tzinfo=UTC
    )
    for wrong in (datetime(2027, 1, 1), datetime(1, 1, 1, 5, tzinfo=ahead)):
        with pytest.raises(DomainError) as refused:
            calendar.instant(wrong, field="at")
        assert refused.value.field == ("at",)
