"""Generated organizations of any size, deterministic for a seed: for tests and benchmarks.

The shape is the method's: one year with its global objective; per quarter, each department has
`objectives` objectives serving the global objective, each with `key_results` key results the
department owns (created when the quarter starts), each with `check_ins` check-ins spread over
the quarter up to `today`. Written
through the change log in bulk, one change per objective with everything under it (the rules
hold by construction), so large sets load fast.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from service.domain.model import (
    CheckIn,
    Cycle,
    Department,
    KeyResult,
    KeyResultKind,
    Objective,
    Organization,
)
from service.okrs import cycles as cycle_cases
from service.okrs.check_ins import with_check_in
from service.okrs.commit import Draft, Writer
from service.okrs.common import created, new_id
from service.readmodel import Snapshot
from service.store import documents
from service.store.reads import CHECK_INS
from service.store.records import Op, Put


@dataclass(frozen=True, slots=True)
class Shape:
    """How big a generated organization is."""

    departments: int = 2
    objectives: int = 5
    key_results: int = 4
    check_ins: int = 3
    quarters: tuple[int, ...] = (1, 2, 3, 4)


DEMO_SHAPE = Shape(departments=2, objectives=3, key_results=2, check_ins=5)
LARGE_SHAPE = Shape(departments=12, objectives=5, key_results=4, check_ins=30)


@dataclass(frozen=True, slots=True)
class Generated:
    """What was written: the organization, its departments and its year's cycles."""

    organization: Organization
    departments: list[Department]
    year: Cycle
    quarters: list[Cycle]
    key_result_ids: list[str]


async def generate(
    *, writer: Writer, shape: Shape, today: date, seed: int = 0, slug: str | None = None
) -> Generated:
    """Write one organization of `shape` for the year of `today`."""
    rng = random.Random(seed)
    now = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    org = Organization(id=new_id(), name=f"Generated {seed}", slug=slug or f"generated-{seed}")
    departments = [
        Department(id=new_id(), org_id=org.id, name=f"Team {i + 1:02d}")
        for i in range(shape.departments)
    ]
    await _write(writer, org, "datasetGenerate", [org, *departments], now, creating=org)
    year, *quarters = await cycle_cases.create_year(
        writer=writer, org_id=org.id, year=today.year, now=now, actor=ACTOR
    )
    root = Objective(
        id=new_id(), org_id=org.id, cycle_id=year.id, year=year.year, title="Grow the business"
    )
    await _write(writer, org, "datasetGenerate", [root], now)
    written: list[str] = []
    for quarter in quarters:
        if quarter.quarter not in shape.quarters:
            continue
        for d in departments:
            for o in range(shape.objectives):
                objective = Objective(
                    id=new_id(),
                    org_id=org.id,
                    cycle_id=quarter.id,
                    year=quarter.year,
                    title=f"{d.name} objective {o + 1} of {quarter.label}",
                    parent_id=root.id,
                    department_id=d.id,
                )
                krs = [
                    _key_result(rng, objective, d, k, quarter.starts_at)
                    for k in range(shape.key_results)
                ]
                entities: list[object] = [objective]
                check_in_docs: list[CheckIn] = []
                for kr in krs:
                    history = _history(rng, kr, quarter, now, shape.check_ins)
                    check_in_docs += history
                    entities.append(_newest(kr, history, now))
                await _write(writer, org, "datasetGenerate", entities, now, check_in_docs)
                written += [k.id for k in krs]
    return Generated(org, departments, year, quarters, written)


ACTOR = "dataset"
"""Who a generated organization's changes are by, in the audit trail."""


async def _write(
    writer: Writer,
    org: Organization,
    kind: str,
    entities: list[object],
    now: datetime,
    check_ins: Sequence[CheckIn] = (),
    *,
    creating: Organization | None = None,
) -> None:
    """One change that creates `entities` (and `check_ins`, each with its key result)."""
    ops: list[Op] = [created(e) for e in entities]
    ops += [Put(CHECK_INS, documents.check_in_doc(c)) for c in check_ins]

    async def build(snapshot: Snapshot) -> Draft[None]:
        return Draft(kind, ops, None, "Organization", org.id)

    await writer.commit(org.id, build, actor=ACTOR, at=now, creating=creating)


def _newest(kr: KeyResult, history: list[CheckIn], now: datetime) -> KeyResult:
    """The key result with the newest of its check-ins as its value."""
    for check_in in sorted(history, key=lambda c: (c.recorded_at, c.id)):
        kr = with_check_in(kr, check_in, now)
    return kr


def _key_result(
    rng: random.Random, objective: Objective, team: Department, k: int, created_at: datetime
) -> KeyResult:
    start = float(rng.randrange(0, 100))
    target = start + float(rng.randrange(10, 1000))
    return KeyResult(
        id=new_id(),
        org_id=objective.org_id,
        objective_id=objective.id,
        cycle_id=objective.cycle_id,
        year=objective.year,
        title=f"{objective.title}: result {k + 1}",
        kind=KeyResultKind.INCREASE,
        start_value=start,
        target_value=target,
        current_value=start,
        department_id=team.id,
        weight=float(rng.choice((1, 1, 2))),
        created_at=created_at,
    )


def _history(
    rng: random.Random, kr: KeyResult, quarter: Cycle, now: datetime, count: int
) -> list[CheckIn]:
    """`count` check-ins at even steps from the quarter's start to now (none before it starts)."""
    until = min(now, quarter.ends_at - timedelta(seconds=1))
    if count == 0 or until <= quarter.starts_at:
        return []
    step = (until - quarter.starts_at) / count
    pace = rng.uniform(0.2, 1.2)
    made: list[CheckIn] = []
    for i in range(1, count + 1):
        at = quarter.starts_at + step * i
        share = pace * (at - quarter.starts_at) / (quarter.ends_at - quarter.starts_at)
        value = round(kr.start_value + share * (kr.target_value - kr.start_value), 4)
        made.append(
            CheckIn(
                id=new_id(),
                org_id=kr.org_id,
                key_result_id=kr.id,
                value=value,
                recorded_at=at.replace(microsecond=0),
            )
        )
    return made
