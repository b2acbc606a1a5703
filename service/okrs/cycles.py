"""Cycles: a year with its four quarters, months inside a quarter, and closing (DOMAIN.md §3.4)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from service.domain import calendar
from service.domain.errors import Conflict, NotFound
from service.domain.model import Cycle, CycleKind
from service.domain.progress import score
from service.okrs.commit import Draft, Writer
from service.okrs.common import created, cycle, new_id, open_cycle, put
from service.readmodel import Snapshot
from service.store import documents as d
from service.store.records import Op


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


def _taken(snapshot: Snapshot, made: Cycle) -> bool:
    """Whether the organization has this cycle (same kind, year, quarter and month) already."""
    slot = d.cycle_slot(made)
    return any(d.cycle_slot(c) == slot for c in snapshot.cycles.values())


async def create_year(
    *, writer: Writer, org_id: str, year: int, now: datetime, actor: str | None = None
) -> list[Cycle]:
    """The YEAR cycle and its four QUARTER cycles; the year comes first in the result."""
    calendar.valid_year(year)

    async def build(snapshot: Snapshot) -> Draft[list[Cycle]]:
        year_cycle = _cycle(org_id, calendar.year_span(year), None)
        if _taken(snapshot, year_cycle):
            raise Conflict(f"the organization already has the year {year}", field=("year",))
        quarters = [_cycle(org_id, q, year_cycle.id) for q in calendar.quarter_spans(year)]
        made = [year_cycle, *quarters]
        ops: list[Op] = [created(c) for c in made]
        return Draft("cycleCreate", ops, made, "Cycle", year_cycle.id)

    return (await writer.commit(org_id, build, actor=actor, at=now, field="organizationId")).result


async def create_month(
    *, writer: Writer, org_id: str, year: int, month: int, now: datetime, actor: str | None = None
) -> Cycle:
    """A MONTH cycle inside its quarter; the year must exist."""
    span = calendar.month_span(year, month)

    async def build(snapshot: Snapshot) -> Draft[Cycle]:
        quarter = next(
            (
                c
                for c in snapshot.cycle_list(year)
                if c.kind is CycleKind.QUARTER and c.quarter == span.quarter
            ),
            None,
        )
        if quarter is None:
            raise NotFound(f"create the year {year} before its months", field=("year",))
        made = _cycle(org_id, span, quarter.id)
        if _taken(snapshot, made):
            raise Conflict(f"{made.label} exists already", field=("month",))
        return Draft("cycleCreate", [created(made)], made, "Cycle", made.id)

    return (await writer.commit(org_id, build, actor=actor, at=now, field="organizationId")).result


@dataclass(frozen=True, slots=True)
class CycleClosed:
    """A closed cycle, the scores it froze, and the cycles closed with it."""

    cycle: Cycle
    key_result_scores: dict[str, float]
    objective_scores: dict[str, float]
    closed_cycle_ids: tuple[str, ...]


async def close_cycle(
    *, writer: Writer, org_id: str, cycle_id: str, now: datetime, actor: str | None = None
) -> CycleClosed:
    """Freeze the score of every key result and objective in the cycle and the open cycles
    inside it (score = progress at close, 2 decimals), and mark them closed: one change."""

    async def build(snapshot: Snapshot) -> Draft[CycleClosed]:
        target = cycle(snapshot, cycle_id, field="id")
        open_cycle(target, field="id")
        inside = {c for c in snapshot.cycles_inside(target.id) if not snapshot.cycles[c].closed}
        # Off the event loop for a large year (`Year.evaluated_soon`).
        evaluation = await snapshot.year(target.year).evaluated_soon(now)
        kr_scores = {
            kid: score(p.value)
            for kid, p in evaluation.key_result_progress.items()
            if p.value is not None
            and kid in snapshot.key_results
            and snapshot.key_results[kid].cycle_id in inside
        }
        objective_scores = {
            oid: score(p.value)
            for oid, p in evaluation.objective_progress.items()
            if p.value is not None and snapshot.objectives[oid].cycle_id in inside
        }
        ops: list[Op] = []
        for kid, value in kr_scores.items():
            ops.append(put(snapshot, replace(snapshot.key_results[kid], score=value)))
        for oid, value in objective_scores.items():
            ops.append(put(snapshot, replace(snapshot.objectives[oid], score=value)))
        # Innermost first, the target last.
        ordered = sorted(
            inside - {target.id}, key=lambda c: -snapshot.cycles[c].starts_at.timestamp()
        )
        closed_at = d.to_millis(now)
        for inner in [*ordered, target.id]:
            ops.append(
                put(snapshot, replace(snapshot.cycles[inner], closed=True, closed_at=closed_at))
            )
        done = CycleClosed(
            cycle=replace(target, closed=True, closed_at=closed_at),
            key_result_scores=kr_scores,
            objective_scores=objective_scores,
            closed_cycle_ids=(*ordered, target.id),
        )
        return Draft("cycleClose", ops, done, "Cycle", target.id)

    return (await writer.commit(org_id, build, actor=actor, at=now)).result
