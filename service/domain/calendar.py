"""The dates of cycles: a year, its four quarters, the months inside a quarter (UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from service.domain.errors import InvalidInput
from service.domain.model import CycleKind

MIN_YEAR = 1970
MAX_YEAR = 9998


@dataclass(frozen=True, slots=True)
class Span:
    """The bounds of one cycle: [starts_at, ends_at)."""

    kind: CycleKind
    year: int
    starts_at: datetime
    ends_at: datetime
    quarter: int | None = None
    month: int | None = None


def _month_start(year: int, month: int) -> datetime:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=UTC)


def valid_year(year: int) -> int:
    """A year the calendar can hold."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"year must be between {MIN_YEAR} and {MAX_YEAR}", field=("year",))
    return year


def year_span(year: int) -> Span:
    """The YEAR cycle."""
    valid_year(year)
    return Span(CycleKind.YEAR, year, _month_start(year, 1), _month_start(year + 1, 1))


def quarter_spans(year: int) -> list[Span]:
    """The four QUARTER cycles of a year."""
    valid_year(year)
    return [
        Span(
            CycleKind.QUARTER,
            year,
            _month_start(year, 3 * q - 2),
            _month_start(year, 3 * q + 1),
            quarter=q,
        )
        for q in range(1, 5)
    ]


def month_span(year: int, month: int) -> Span:
    """One MONTH cycle; its quarter is the one that contains it."""
    valid_year(year)
    if not 1 <= month <= 12:
        raise InvalidInput("month must be between 1 and 12", field=("month",))
    return Span(
        CycleKind.MONTH,
        year,
        _month_start(year, month),
        _month_start(year, month + 1),
        quarter=(month - 1) // 3 + 1,
        month=month,
    )


def instant(at: datetime, *, field: str) -> datetime:
    """`at` in UTC: an instant needs a time zone, and in UTC it must fall within years 1 to
    9999, the years a date can hold (`0001-01-01T05:00:00+14:00` is still in year 0 in UTC)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(f"{field} needs a time zone, e.g. 2027-02-15T12:00:00Z", field=(field,))
    try:
        return at.astimezone(UTC)
    except OverflowError as error:
        raise InvalidInput(
            f"{field} must fall within the years 1 to 9999 in UTC", field=(field,)
        ) from error
