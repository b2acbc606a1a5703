"""Small builders for domain objects: one organization, the 2027 calendar, readable defaults."""

from __future__ import annotations

from datetime import UTC, datetime

from service.domain.calendar import Span, month_span, quarter_spans, year_span
from service.domain.model import Cycle, KeyResult, KeyResultKind, Objective
from service.domain.progress import Point

ORG = "org"
YEAR = 2027


def at(month: int, day: int, year: int = YEAR) -> datetime:
    """Midnight UTC of a day."""
    return datetime(year, month, day, tzinfo=UTC)


def cycle_from(span: Span, cycle_id: str, *, parent_id: str | None = None) -> Cycle:
    """A cycle with the bounds of a calendar span."""
    return Cycle(
        id=cycle_id,
        org_id=ORG,
        kind=span.kind,
        year=span.year,
        starts_at=span.starts_at,
        ends_at=span.ends_at,
        quarter=span.quarter,
        month=span.month,
        parent_id=parent_id,
    )


def year_cycle(cycle_id: str = "y", year: int = YEAR) -> Cycle:
    """The YEAR cycle."""
    return cycle_from(year_span(year), cycle_id)


def quarter_cycle(
    cycle_id: str = "q1", quarter: int = 1, year: int = YEAR, parent_id: str | None = "y"
) -> Cycle:
    """One QUARTER cycle, 2027-Q1 unless told otherwise."""
    return cycle_from(quarter_spans(year)[quarter - 1], cycle_id, parent_id=parent_id)


def month_cycle(cycle_id: str = "m2", month: int = 2, year: int = YEAR) -> Cycle:
    """One MONTH cycle, 2027-02 unless told otherwise."""
    return cycle_from(month_span(year, month), cycle_id, parent_id="q1")


def objective(
    objective_id: str,
    *,
    cycle_id: str = "q1",
    parent_id: str | None = None,
    weight: float = 1.0,
    department_id: str | None = None,
    title: str | None = None,
) -> Objective:
    """An objective of 2027 titled after its id unless told otherwise."""
    return Objective(
        id=objective_id,
        org_id=ORG,
        cycle_id=cycle_id,
        year=YEAR,
        title=title or objective_id,
        parent_id=parent_id,
        department_id=department_id,
        weight=weight,
    )


def key_result(
    key_result_id: str,
    *,
    objective_id: str = "o",
    cycle_id: str = "q1",
    kind: KeyResultKind = KeyResultKind.INCREASE,
    start: float = 0.0,
    target: float = 100.0,
    weight: float = 1.0,
    depends_on: tuple[str, ...] = (),
    department_id: str | None = None,
    title: str | None = None,
    created_at: datetime | None = None,
) -> KeyResult:
    """A key result whose stored current value is its start (readings carry the real value),
    as old as its cycle unless `created_at` says otherwise."""
    return KeyResult(
        id=key_result_id,
        org_id=ORG,
        objective_id=objective_id,
        cycle_id=cycle_id,
        year=YEAR,
        title=title or key_result_id,
        kind=kind,
        start_value=start,
        target_value=target,
        current_value=start,
        weight=weight,
        depends_on=depends_on,
        department_id=department_id,
        created_at=created_at,
    )


def points(*values: tuple[datetime, float]) -> list[Point]:
    """Check-ins as points, keyed by their position."""
    return [Point(at=when, value=value, key=f"{i:04d}") for i, (when, value) in enumerate(values)]
