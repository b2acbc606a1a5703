"""Generated organizations of any size, deterministic for a seed: for tests and benchmarks.

The shape is the method's: one year with its global objective; per quarter, each department has
`objectives` objectives serving the global objective, each with `key_results` key results the
department owns, each with `check_ins` check-ins spread over the quarter up to `today`. Written
straight through the store in bulk (the rules hold by construction), so large sets load fast.
"""

from __future__ import annotations

import asyncio
import random
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
from service.okrs.common import new_id
from service.store.interface import Store


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
    *, store: Store, shape: Shape, today: date, seed: int = 0, slug: str | None = None
) -> Generated:
    """Write one organization of `shape` for the year of `today`."""
    rng = random.Random(seed)
    org = Organization(id=new_id(), name=f"Generated {seed}", slug=slug or f"generated-{seed}")
    await store.insert_organization(org)
    departments = [
        Department(id=new_id(), org_id=org.id, name=f"Team {i + 1:02d}")
        for i in range(shape.departments)
    ]
    for d in departments:
        await store.insert_department(d)
    year, *quarters = await cycle_cases.create_year(store=store, org_id=org.id, year=today.year)
    root = Objective(
        id=new_id(), org_id=org.id, cycle_id=year.id, year=year.year, title="Grow the business"
    )
    await store.insert_objective(root)
    now = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
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
                await store.insert_objective(objective)
                krs = [_key_result(rng, objective, d, k) for k in range(shape.key_results)]
                await store.insert_key_results(krs)
                history = [
                    c for kr in krs for c in _history(rng, kr, quarter, now, shape.check_ins)
                ]
                await _append(store, history)
                written += [k.id for k in krs]
    return Generated(org, departments, year, quarters, written)


def _key_result(rng: random.Random, objective: Objective, team: Department, k: int) -> KeyResult:
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


async def _append(store: Store, check_ins: list[CheckIn], batch: int = 200) -> None:
    """Append concurrently in batches: the store keeps each key result's newest value right
    whatever the order (its contract), and large sets load in a fraction of the time."""
    for start in range(0, len(check_ins), batch):
        await asyncio.gather(*(store.append_check_in(c) for c in check_ins[start : start + batch]))
