"""Small builders of domain entities for the store contract suite: fresh ids every call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from service.domain.model import (
    ActionStep,
    CheckIn,
    Cycle,
    CycleKind,
    Department,
    Initiative,
    KeyResult,
    KeyResultKind,
    Objective,
    Organization,
)

T0 = datetime(2027, 1, 1, tzinfo=UTC)


def new_id() -> str:
    return uuid4().hex


def organization(**fields: Any) -> Organization:
    made = new_id()
    values: dict[str, Any] = {"id": made, "name": "Acme", "slug": f"acme-{made[:12]}"}
    return Organization(**(values | fields))


def department(org_id: str, name: str = "Marketing") -> Department:
    return Department(id=new_id(), org_id=org_id, name=name)


def year_cycles(org_id: str, year: int = 2027) -> list[Cycle]:
    """The YEAR cycle and its four quarters."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    whole = Cycle(
        id=new_id(),
        org_id=org_id,
        kind=CycleKind.YEAR,
        year=year,
        starts_at=start,
        ends_at=datetime(year + 1, 1, 1, tzinfo=UTC),
    )
    quarters = [
        Cycle(
            id=new_id(),
            org_id=org_id,
            kind=CycleKind.QUARTER,
            year=year,
            quarter=q,
            starts_at=datetime(year, 3 * q - 2, 1, tzinfo=UTC),
            ends_at=(
                datetime(year, 3 * q + 1, 1, tzinfo=UTC)
                if q < 4
                else datetime(year + 1, 1, 1, tzinfo=UTC)
            ),
            parent_id=whole.id,
        )
        for q in range(1, 5)
    ]
    return [whole, *quarters]


def month_cycle(quarter: Cycle, month: int) -> Cycle:
    return Cycle(
        id=new_id(),
        org_id=quarter.org_id,
        kind=CycleKind.MONTH,
        year=quarter.year,
        month=month,
        starts_at=datetime(quarter.year, month, 1, tzinfo=UTC),
        ends_at=datetime(quarter.year, month + 1, 1, tzinfo=UTC),
        parent_id=quarter.id,
    )


def objective(cycle: Cycle, **fields: Any) -> Objective:
    values: dict[str, Any] = {
        "id": new_id(),
        "org_id": cycle.org_id,
        "cycle_id": cycle.id,
        "year": cycle.year,
        "title": "Increase the sales close rate by 20%",
    }
    return Objective(**(values | fields))


def key_result(parent: Objective, **fields: Any) -> KeyResult:
    values: dict[str, Any] = {
        "id": new_id(),
        "org_id": parent.org_id,
        "objective_id": parent.id,
        "cycle_id": parent.cycle_id,
        "year": parent.year,
        "title": "Obtain 1,000 MQLs",
        "kind": KeyResultKind.INCREASE,
        "start_value": 0.0,
        "target_value": 1000.0,
        "current_value": 0.0,
    }
    return KeyResult(**(values | fields))


def check_in(kr: KeyResult, value: float, at: datetime | int, **fields: Any) -> CheckIn:
    """A check-in of `kr`; an int `at` is that many hours after T0."""
    when = T0 + timedelta(hours=at) if isinstance(at, int) else at
    values: dict[str, Any] = {
        "id": new_id(),
        "org_id": kr.org_id,
        "key_result_id": kr.id,
        "value": value,
        "recorded_at": when,
    }
    return CheckIn(**(values | fields))


def action_step(parent: Objective, position: int, **fields: Any) -> ActionStep:
    values: dict[str, Any] = {
        "id": new_id(),
        "org_id": parent.org_id,
        "objective_id": parent.id,
        "title": f"step {position}",
        "position": position,
    }
    return ActionStep(**(values | fields))


def initiative(org_id: str, *key_result_ids: str, **fields: Any) -> Initiative:
    values: dict[str, Any] = {
        "id": new_id(),
        "org_id": org_id,
        "title": "Webinar series",
        "cost": 1000.0,
        "expected_value": 3000.0,
        "key_result_ids": tuple(key_result_ids),
    }
    return Initiative(**(values | fields))
