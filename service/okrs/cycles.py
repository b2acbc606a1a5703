"""Cycles: a year with its four quarters, months inside a quarter, and closing (DOMAIN.md §3.4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.domain import calendar
from service.domain.errors import Conflict, NotFound
from service.domain.model import Cycle, CycleKind
from service.domain.progress import score
from service.okrs.common import (
    ProgressChange,
    cycle,
    descendant_cycles,
    evaluate_scope,
    new_id,
    open_cycle,
    organization,
)
from service.store.interface import Store


def _cycle(org_id: str, span: calendar.Span, parent_id: str | None) -> Cycle:
    return Cycle(
        id=new_id(),
        org_id=org_id,
        kind=span.kind,
        year=span.year,
        starts_at=span.starts_at,
        ends_at=span.ends_at,
        quarter=span.quarter,
        month=span.month,
        parent_id=parent_id,
    )


async def create_year(*, store: Store, org_id: str, year: int) -> list[Cycle]:
    """The YEAR cycle and its four QUARTER cycles; the year comes first in the result."""
    calendar.valid_year(year)
    await organization(store, org_id)
    year_cycle = _cycle(org_id, calendar.year_span(year), None)
    quarters = [_cycle(org_id, q, year_cycle.id) for q in calendar.quarter_spans(year)]
    created = [year_cycle, *quarters]
    try:
        await store.insert_cycles(created)
    except Conflict as error:
        raise Conflict(f"the organization already has the year {year}", field=("year",)) from error
    return created


async def create_month(*, store: Store, org_id: str, year: int, month: int) -> Cycle:
    """A MONTH cycle inside its quarter; the year must exist."""
    span = calendar.month_span(year, month)
    quarter = next(
        (
            c
            for c in await store.list_cycles(org_id, year=year)
            if c.kind is CycleKind.QUARTER and c.quarter == span.quarter
        ),
        None,
    )
    if quarter is None:
        raise NotFound(f"create the year {year} before its months", field=("year",))
    created = _cycle(org_id, span, quarter.id)
    try:
        await store.insert_cycles([created])
    except Conflict as error:
        raise Conflict(f"{created.label} exists already", field=("month",)) from error
    return created


@dataclass(frozen=True, slots=True)
class CycleClosed:
    """A closed cycle, the scores it froze, and the cycles closed with it."""

    cycle: Cycle
    key_result_scores: dict[str, float]
    objective_scores: dict[str, float]
    closed_cycle_ids: tuple[str, ...]
    changes: tuple[ProgressChange, ...] = ()


async def close_cycle(*, store: Store, org_id: str, cycle_id: str, now: datetime) -> CycleClosed:
    """Freeze the score of every key result and objective in the cycle and the open cycles inside
    it (score = progress at close, 2 decimals), then mark them closed.

    Scores are written before the closed flags, so a failure midway leaves the cycle open and
    closing again finishes the job.
    """
    target = await cycle(store, org_id, cycle_id, field="id")
    open_cycle(target, field="id")
    org = await organization(store, org_id)
    scope = await store.load_year(org_id, target.year)
    inside = {
        c for c in descendant_cycles(scope.cycles.values(), target.id) if not scope.cycles[c].closed
    }
    evaluation = evaluate_scope(scope, org, now)
    kr_scores = {
        kid: score(p.value)
        for kid, p in evaluation.key_result_progress.items()
        if p.value is not None
        and scope.key_results.get(kid) is not None
        and scope.key_results[kid].cycle_id in inside
    }
    objective_scores = {
        oid: score(p.value)
        for oid, p in evaluation.objective_progress.items()
        if p.value is not None and scope.objectives[oid].cycle_id in inside
    }
    if kr_scores:
        await store.set_scores(org_id, kr_scores, "key_results")
    if objective_scores:
        await store.set_scores(org_id, objective_scores, "objectives")
    # Innermost first: the target's own flag is the last write.
    ordered = sorted(inside - {target.id}, key=lambda c: -scope.cycles[c].starts_at.timestamp())
    for inner in [*ordered, target.id]:
        await store.close_cycle(org_id, inner, now)
    closed = await cycle(store, org_id, cycle_id, field="id")
    return CycleClosed(
        cycle=closed,
        key_result_scores=kr_scores,
        objective_scores=objective_scores,
        closed_cycle_ids=(*ordered, target.id),
    )
