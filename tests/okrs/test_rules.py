"""Every rule of DOMAIN.md §2 rejects what breaks it, with its code, and stores nothing."""

from __future__ import annotations

import math

import pytest

from service.domain.errors import ErrorCode
from service.domain.model import KeyResultKind
from service.okrs import cycles, key_results, objectives, organizations
from service.okrs.common import new_id
from service.okrs.organizations import PolicyChange
from tests.okrs.conftest import NOW, Backend, World


async def test_target_equal_to_start_is_not_measurable(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.NOT_MEASURABLE,
        lambda: key_results.create_key_result(
            store=backend.store,
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
            store=backend.store,
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
        store=backend.store,
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
            store=backend.store,
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
            store=backend.store,
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
            store=backend.store,
            org_id=world.org.id,
            cycle_id=world.quarters[0].id,
            title=f"Team objective {n}",
            department_id=world.marketing.id,
            now=NOW,
        )
    await backend.rejects(
        ErrorCode.TOO_MANY_OBJECTIVES,
        lambda: objectives.create_objective(
            store=backend.store,
            org_id=world.org.id,
            cycle_id=world.quarters[0].id,
            title="One too many",
            department_id=world.marketing.id,
            now=NOW,
        ),
    )
    # Another team, or another quarter, still has room.
    await objectives.create_objective(
        store=backend.store,
        org_id=world.org.id,
        cycle_id=world.quarters[1].id,
        title="Next quarter",
        department_id=world.marketing.id,
        now=NOW,
    )


async def test_the_objective_limit_is_a_policy_setting(backend: Backend, world: World) -> None:
    await organizations.update_organization(
        store=backend.store,
        org_id=world.org.id,
        policy=PolicyChange(max_objectives_per_team=1, min_objectives_per_team=1),
    )
    await objectives.create_objective(
        store=backend.store,
        org_id=world.org.id,
        cycle_id=world.quarters[0].id,
        title="Only one",
        department_id=world.sales.id,
        now=NOW,
    )
    await backend.rejects(
        ErrorCode.TOO_MANY_OBJECTIVES,
        lambda: objectives.create_objective(
            store=backend.store,
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
            store=backend.store,
            org_id=world.org.id,
            cycle_id=world.year.id,
            title="Another",
            now=NOW,
        ),
    )


async def test_a_parent_from_another_year_is_a_cycle_mismatch(
    backend: Backend, world: World
) -> None:
    next_year = await cycles.create_year(store=backend.store, org_id=world.org.id, year=2028)
    await backend.rejects(
        ErrorCode.CYCLE_MISMATCH,
        lambda: objectives.create_objective(
            store=backend.store,
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
            store=backend.store,
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
            store=backend.store,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            depends_on_id=world.mql.id,
            now=NOW,
        ),
    )


async def test_a_longer_dependency_loop_is_refused(backend: Backend, world: World) -> None:
    third = await key_results.create_key_result(
        store=backend.store,
        org_id=world.org.id,
        objective_id=world.q1.id,
        title="Renewals",
        start_value=0,
        target_value=10,
        now=NOW,
    )
    assert third.key_result is not None
    await key_results.add_dependency(
        store=backend.store,
        org_id=world.org.id,
        key_result_id=third.key_result.id,
        depends_on_id=world.deals.id,
        now=NOW,
    )
    await backend.rejects(
        ErrorCode.DEPENDENCY_CYCLE,
        lambda: key_results.add_dependency(
            store=backend.store,
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
            store=backend.store,
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
            store=backend.store,
            org_id=world.org.id,
            objective_id=world.global_objective.id,
            now=NOW,
        ),
    )


async def test_a_taken_slug_is_a_duplicate(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.DUPLICATE,
        lambda: organizations.create_organization(store=backend.store, name="Other", slug="acme"),
    )


@pytest.mark.parametrize("slug", ["Acme", "a b", "-acme", "acme--x", "x" * 65, ""])
async def test_a_malformed_slug_is_refused(backend: Backend, slug: str) -> None:
    await backend.rejects(
        ErrorCode.INVALID_TEXT,
        lambda: organizations.create_organization(store=backend.store, name="Org", slug=slug),
    )


async def test_a_second_department_of_the_same_name_is_a_duplicate(
    backend: Backend, world: World
) -> None:
    await backend.rejects(
        ErrorCode.DUPLICATE,
        lambda: organizations.create_department(
            store=backend.store, org_id=world.org.id, name="Marketing"
        ),
    )


async def test_creating_a_year_twice_is_a_duplicate(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.DUPLICATE,
        lambda: cycles.create_year(store=backend.store, org_id=world.org.id, year=2027),
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
            store=backend.store, org_id=world.org.id, policy=change
        ),
    )


def test_ids_made_in_the_same_millisecond_still_sort_by_creation() -> None:
    made = [new_id() for _ in range(5000)]  # many per millisecond
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in made)
