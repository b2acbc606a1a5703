"""Organizations, departments and cycles: unique keys, order, pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from service.domain.errors import Conflict, ErrorCode
from service.domain.model import CycleKind, Policy
from service.store.interface import Store
from tests.store import factory
from tests.store.conftest import World


async def test_an_organization_round_trips_with_its_policy(store: Store) -> None:
    org = factory.organization(
        mission="Help", vision="Everyone", policy=Policy(on_track_ratio=0.8, roi_threshold=0.5)
    )
    await store.insert_organization(org)
    assert await store.get_organizations([org.id, "unknown"]) == [org]
    assert await store.get_organization_by_slug(org.slug) == org
    assert await store.get_organization_by_slug("nobody") is None


async def test_a_taken_slug_is_a_conflict(store: Store) -> None:
    first = factory.organization()
    await store.insert_organization(first)
    with pytest.raises(Conflict) as caught:
        await store.insert_organization(factory.organization(slug=first.slug))
    assert caught.value.code is ErrorCode.DUPLICATE
    assert first.slug in caught.value.message


async def test_updating_an_organization_never_changes_its_slug(store: Store) -> None:
    org = factory.organization()
    await store.insert_organization(org)
    changed = replace(
        org, name="Acme Inc", mission="m", vision="v", policy=Policy(max_objectives_per_team=4)
    )
    await store.update_organization(replace(changed, slug="other"))
    assert await store.get_organizations([org.id]) == [changed]


async def test_organizations_page_by_id(store: Store) -> None:
    orgs = sorted((factory.organization() for _ in range(5)), key=lambda o: o.id)
    for org in orgs:
        await store.insert_organization(org)
    first = await store.list_organizations(after=None, limit=2)
    assert (first.items, first.total, first.has_next) == (orgs[:2], 5, True)
    second = await store.list_organizations(after=orgs[1].id, limit=2)
    assert (second.items, second.total, second.has_next) == (orgs[2:4], 5, True)
    last = await store.list_organizations(after=orgs[3].id, limit=2)
    assert (last.items, last.total, last.has_next) == (orgs[4:], 5, False)
    visible = await store.list_organizations(
        after=orgs[0].id, limit=10, ids=[o.id for o in orgs[:3]]
    )
    assert (visible.items, visible.total, visible.has_next) == (orgs[1:3], 3, False)
    whole = await store.list_organizations(after=None, limit=10)
    assert (whole.items, whole.total, whole.has_next) == (orgs, 5, False)


async def test_department_names_are_unique_per_organization(store: Store) -> None:
    org, other = factory.organization(), factory.organization()
    sales = factory.department(org.id, "Sales")
    marketing = factory.department(org.id, "Marketing")
    await store.insert_department(sales)
    await store.insert_department(marketing)
    await store.insert_department(factory.department(other.id, "Sales"))
    with pytest.raises(Conflict, match="Sales"):
        await store.insert_department(factory.department(org.id, "Sales"))
    assert await store.list_departments(org.id) == [marketing, sales]
    assert await store.get_departments(org.id, [sales.id, "unknown"]) == [sales]


async def test_cycles_list_by_start_then_longest_first(store: Store) -> None:
    org_id = factory.new_id()
    year, *quarters = factory.year_cycles(org_id)
    may = factory.month_cycle(quarters[1], 5)
    await store.insert_cycles([*reversed(quarters), year])
    await store.insert_cycles([may])
    await store.insert_cycles(factory.year_cycles(org_id, 2028))
    listed = await store.list_cycles(org_id, year=2027)
    assert listed == [year, quarters[0], quarters[1], may, quarters[2], quarters[3]]
    assert len(await store.list_cycles(org_id)) == 11
    assert await store.get_cycles(org_id, [may.id, year.id]) in ([may, year], [year, may])


async def test_a_duplicate_cycle_keeps_none_of_its_batch(store: Store) -> None:
    org_id = factory.new_id()
    year, *quarters = factory.year_cycles(org_id)
    await store.insert_cycles([year, quarters[1]])
    again = factory.year_cycles(org_id)
    # The clash is in the middle: the cycles before it were written, and must go again.
    batch = [again[3], again[4], again[2], again[1]]
    with pytest.raises(Conflict) as caught:
        await store.insert_cycles(batch)
    assert caught.value.code is ErrorCode.DUPLICATE
    assert await store.list_cycles(org_id) == [year, quarters[1]]
    with pytest.raises(Conflict):
        await store.insert_cycles([again[0]])  # a second YEAR, though quarter and month are null
    assert await store.list_cycles(org_id) == [year, quarters[1]]


async def test_closing_a_cycle_happens_once(store: Store, world: World) -> None:
    closed_at = datetime(2027, 4, 2, 9, 30, tzinfo=UTC)
    q1 = world.quarters[0]
    assert await store.close_cycle(world.org.id, q1.id, closed_at) is True
    assert await store.close_cycle(world.org.id, q1.id, closed_at) is False
    assert await store.close_cycle(factory.new_id(), world.quarters[1].id, closed_at) is False
    (stored,) = await store.get_cycles(world.org.id, [q1.id])
    assert stored == replace(q1, closed=True, closed_at=closed_at)
    assert stored.closed_at is not None
    assert stored.closed_at.tzinfo is UTC
    assert stored.kind is CycleKind.QUARTER
