"""Every rule of DOMAIN.md §2 rejects what breaks it, with its code, and stores nothing."""

from __future__ import annotations

import asyncio
import math
from functools import partial

import pytest

from service.domain.errors import DomainError, ErrorCode
from service.domain.model import KeyResultKind
from service.okrs import cycles, key_results, objectives, organizations
from service.okrs.common import new_id
from service.okrs.organizations import PolicyChange
from tests.okrs.conftest import NOW, Backend, World


async def test_target_equal_to_start_is_not_measurable(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.NOT_MEASURABLE,
        lambda: key_results.create_key_result(
            writer=backend.writer,
            org_id=world.org.id,
            objective_id=world.q1.id,
            title="Flat",
            start_value=5,
            target_value=5,
            now=NOW,
        ),
    )


async def test_an_increase_that_goes_down_is_not_measurable(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.NOT_MEASURABLE,
        lambda: key_results.create_key_result(
            writer=backend.writer,
            org_id=world.org.id,
            objective_id=world.q1.id,
            title="Wrong way",
            kind=KeyResultKind.INCREASE,
            start_value=10,
            target_value=5,
            now=NOW,
        ),
    )


async def test_without_a_kind_the_direction_picks_decrease(backend: Backend, world: World) -> None:
    made = await key_results.create_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        objective_id=world.q1.id,
        title="Cost per lead",
        start_value=50,
        target_value=35,
        now=NOW,
    )
    assert made.key_result is not None
    assert made.key_result.kind is KeyResultKind.DECREASE


@pytest.mark.parametrize("weight", [0.0, -1.0, math.nan, math.inf])
async def test_a_weight_must_be_finite_and_positive(
    backend: Backend, world: World, weight: float
) -> None:
    await backend.rejects(
        ErrorCode.INVALID_VALUE,
        lambda: key_results.create_key_result(
            writer=backend.writer,
            org_id=world.org.id,
            objective_id=world.q1.id,
            title="Weighted",
            start_value=0,
            target_value=1,
            weight=weight,
            now=NOW,
        ),
    )


@pytest.mark.parametrize("title", ["", "   ", "x" * 501])
async def test_titles_are_neither_empty_nor_over_500_characters(
    backend: Backend, world: World, title: str
) -> None:
    await backend.rejects(
        ErrorCode.INVALID_TEXT,
        lambda: objectives.create_objective(
            writer=backend.writer,
            org_id=world.org.id,
            cycle_id=world.quarters[0].id,
            title=title,
            now=NOW,
        ),
    )


async def test_a_sixth_team_objective_in_a_quarter_is_refused(
    backend: Backend, world: World
) -> None:
    for n in range(5):
        await objectives.create_objective(
            writer=backend.writer,
            org_id=world.org.id,
            cycle_id=world.quarters[0].id,
            title=f"Team objective {n}",
            department_id=world.marketing.id,
            now=NOW,
        )
    await backend.rejects(
        ErrorCode.TOO_MANY_OBJECTIVES,
        lambda: objectives.create_objective(
            writer=backend.writer,
            org_id=world.org.id,
            cycle_id=world.quarters[0].id,
            title="One too many",
            department_id=world.marketing.id,
            now=NOW,
        ),
    )
    # Another team, or another quarter, still has room.
    await objectives.create_objective(
        writer=backend.writer,
        org_id=world.org.id,
        cycle_id=world.quarters[1].id,
        title="Next quarter",
        department_id=world.marketing.id,
        now=NOW,
    )


async def create_team_objective(
    backend: Backend, world: World, cycle_id: str, title: str
) -> objectives.ObjectiveChanged:
    return await objectives.create_objective(
        writer=backend.writer,
        org_id=world.org.id,
        cycle_id=cycle_id,
        title=title,
        department_id=world.marketing.id,
        now=NOW,
    )


async def test_the_objective_limit_counts_the_months_inside_the_quarter(
    backend: Backend, world: World
) -> None:
    # Five in 2027-Q1 leave no room in January, February or March: months add no five each.
    writer, org = backend.writer, world.org.id
    january = await cycles.create_month(writer=writer, org_id=org, year=2027, month=1, now=NOW)
    march = await cycles.create_month(writer=writer, org_id=org, year=2027, month=3, now=NOW)
    for n in range(3):
        await create_team_objective(backend, world, world.quarters[0].id, f"Quarter {n}")
    await create_team_objective(backend, world, january.id, "January")
    await create_team_objective(backend, world, march.id, "March")
    for cycle_id in (world.quarters[0].id, january.id, march.id):
        refused = await backend.rejects(
            ErrorCode.TOO_MANY_OBJECTIVES,
            partial(create_team_objective, backend, world, cycle_id, "Sixth"),
        )
        assert "5 objectives in the quarter and its months" in refused.message
    # A month of the next quarter counts with that quarter only.
    april = await cycles.create_month(writer=writer, org_id=org, year=2027, month=4, now=NOW)
    await create_team_objective(backend, world, april.id, "April")


async def test_moving_an_objective_to_a_team_counts_the_months_too(
    backend: Backend, world: World
) -> None:
    february = await cycles.create_month(
        writer=backend.writer, org_id=world.org.id, year=2027, month=2, now=NOW
    )
    for n in range(5):
        await create_team_objective(backend, world, world.quarters[0].id, f"Quarter {n}")
    free = await objectives.create_objective(
        writer=backend.writer,
        org_id=world.org.id,
        cycle_id=february.id,
        title="Nobody's yet",
        now=NOW,
    )
    assert free.objective is not None
    objective_id = free.objective.id
    await backend.rejects(
        ErrorCode.TOO_MANY_OBJECTIVES,
        lambda: objectives.update_objective(
            writer=backend.writer,
            org_id=world.org.id,
            objective_id=objective_id,
            department_id=world.marketing.id,
            now=NOW,
        ),
    )


async def test_concurrent_creates_in_a_quarter_and_its_month_keep_the_limit(
    backend: Backend, world: World
) -> None:
    may = await cycles.create_month(
        writer=backend.writer, org_id=world.org.id, year=2027, month=5, now=NOW
    )
    for n in range(4):
        await create_team_objective(backend, world, world.quarters[1].id, f"Quarter {n}")
    outcomes = await asyncio.gather(
        create_team_objective(backend, world, world.quarters[1].id, "Fifth in the quarter"),
        create_team_objective(backend, world, may.id, "Fifth in May"),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert [e.code for e in refused] == [ErrorCode.TOO_MANY_OBJECTIVES]
    held = await backend.snapshot_of(world.org.id)
    kept = [
        o
        for o in held.objectives.values()
        if o.cycle_id in (world.quarters[1].id, may.id) and o.department_id == world.marketing.id
    ]
    assert len(kept) == 5


async def test_the_objective_limit_is_a_policy_setting(backend: Backend, world: World) -> None:
    await organizations.update_organization(
        writer=backend.writer,
        org_id=world.org.id,
        policy=PolicyChange(max_objectives_per_team=1, min_objectives_per_team=1),
        now=NOW,
    )
    await objectives.create_objective(
        writer=backend.writer,
        org_id=world.org.id,
        cycle_id=world.quarters[0].id,
        title="Only one",
        department_id=world.sales.id,
        now=NOW,
    )
    await backend.rejects(
        ErrorCode.TOO_MANY_OBJECTIVES,
        lambda: objectives.create_objective(
            writer=backend.writer,
            org_id=world.org.id,
            cycle_id=world.quarters[0].id,
            title="Second",
            department_id=world.sales.id,
            now=NOW,
        ),
    )


async def test_a_second_global_objective_in_a_year_is_refused(
    backend: Backend, world: World
) -> None:
    await backend.rejects(
        ErrorCode.DUPLICATE_GLOBAL_OBJECTIVE,
        lambda: objectives.create_objective(
            writer=backend.writer,
            org_id=world.org.id,
            cycle_id=world.year.id,
            title="Another",
            now=NOW,
        ),
    )


async def test_a_parent_from_another_year_is_a_cycle_mismatch(
    backend: Backend, world: World
) -> None:
    next_year = await cycles.create_year(
        writer=backend.writer, org_id=world.org.id, year=2028, now=NOW
    )
    await backend.rejects(
        ErrorCode.CYCLE_MISMATCH,
        lambda: objectives.create_objective(
            writer=backend.writer,
            org_id=world.org.id,
            cycle_id=next_year[1].id,
            title="Orphan",
            parent_id=world.global_objective.id,
            now=NOW,
        ),
    )


async def test_a_dependency_loop_is_refused(backend: Backend, world: World) -> None:
    error = await backend.rejects(
        ErrorCode.DEPENDENCY_CYCLE,
        lambda: key_results.add_dependency(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            depends_on_id=world.deals.id,
            now=NOW,
        ),
    )
    assert world.mql.id in error.message


async def test_a_key_result_cannot_depend_on_itself(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.DEPENDENCY_CYCLE,
        lambda: key_results.add_dependency(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            depends_on_id=world.mql.id,
            now=NOW,
        ),
    )


async def test_a_longer_dependency_loop_is_refused(backend: Backend, world: World) -> None:
    third = await key_results.create_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        objective_id=world.q1.id,
        title="Renewals",
        start_value=0,
        target_value=10,
        now=NOW,
    )
    assert third.key_result is not None
    await key_results.add_dependency(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=third.key_result.id,
        depends_on_id=world.deals.id,
        now=NOW,
    )
    await backend.rejects(
        ErrorCode.DEPENDENCY_CYCLE,
        lambda: key_results.add_dependency(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            depends_on_id=third.key_result.id if third.key_result else "",
            now=NOW,
        ),
    )


async def test_moving_an_objective_under_its_own_child_is_refused(
    backend: Backend, world: World
) -> None:
    await backend.rejects(
        ErrorCode.INVALID_PARENT,
        lambda: objectives.update_objective(
            writer=backend.writer,
            org_id=world.org.id,
            objective_id=world.global_objective.id,
            parent_id=world.q1.id,
            now=NOW,
        ),
    )


async def test_deleting_an_objective_with_children_is_refused(
    backend: Backend, world: World
) -> None:
    await backend.rejects(
        ErrorCode.HAS_CHILDREN,
        lambda: objectives.delete_objective(
            writer=backend.writer,
            org_id=world.org.id,
            objective_id=world.global_objective.id,
            now=NOW,
        ),
    )


async def test_a_taken_slug_is_a_duplicate(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.DUPLICATE,
        lambda: organizations.create_organization(
            writer=backend.writer, name="Other", slug="acme", now=NOW
        ),
    )


@pytest.mark.parametrize("slug", ["Acme", "a b", "-acme", "acme--x", "x" * 65, ""])
async def test_a_malformed_slug_is_refused(backend: Backend, slug: str) -> None:
    await backend.rejects(
        ErrorCode.INVALID_TEXT,
        lambda: organizations.create_organization(
            writer=backend.writer, name="Org", slug=slug, now=NOW
        ),
    )


async def test_a_second_department_of_the_same_name_is_a_duplicate(
    backend: Backend, world: World
) -> None:
    await backend.rejects(
        ErrorCode.DUPLICATE,
        lambda: organizations.create_department(
            writer=backend.writer, org_id=world.org.id, name="Marketing", now=NOW
        ),
    )


async def test_creating_a_year_twice_is_a_duplicate(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.DUPLICATE,
        lambda: cycles.create_year(writer=backend.writer, org_id=world.org.id, year=2027, now=NOW),
    )


@pytest.mark.parametrize(
    "change",
    [
        PolicyChange(on_track_ratio=0),
        PolicyChange(on_track_ratio=1.5),
        PolicyChange(at_risk_ratio=0.9),
        PolicyChange(max_objectives_per_team=0),
        PolicyChange(min_objectives_per_team=9),
        PolicyChange(roi_threshold=math.nan),
    ],
)
async def test_an_inconsistent_policy_is_refused(
    backend: Backend, world: World, change: PolicyChange
) -> None:
    await backend.rejects(
        ErrorCode.INVALID_VALUE,
        lambda: organizations.update_organization(
            writer=backend.writer, org_id=world.org.id, policy=change, now=NOW
        ),
    )


def test_ids_made_in_the_same_millisecond_still_sort_by_creation() -> None:
    made = [new_id() for _ in range(5000)]  # many per millisecond
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in made)
