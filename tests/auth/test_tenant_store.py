"""The tenant store: every Store method is classified, and another organization is invisible."""

from __future__ import annotations

import inspect

import pytest
from mongomock_motor import AsyncMongoMockClient

from service.domain.errors import NotFound
from service.domain.model import Department, Organization
from service.store import tenant
from service.store.interface import Store
from service.store.mongo import MongoStore


def test_every_method_of_the_store_protocol_is_classified() -> None:
    methods = {n for n, _ in inspect.getmembers(Store) if not n.startswith("_")}
    classified = (
        set(tenant.ORG_READS)
        | tenant.ORG_WRITES
        | tenant.ENTITY_WRITES
        | tenant.ENTITY_BATCH_WRITES
        | tenant.UNSCOPED
        | tenant.ORGANIZATION_METHODS
    )
    assert methods == classified


async def test_another_organization_looks_like_nothing_and_cannot_be_written() -> None:
    inner = MongoStore(AsyncMongoMockClient()["tenant"])
    await inner.ensure_indexes()
    mine = Organization(id="o1", name="Mine", slug="mine")
    theirs = Organization(id="o2", name="Theirs", slug="theirs")
    for org in (mine, theirs):
        await inner.insert_organization(org)
        await inner.insert_department(Department(id=f"d-{org.id}", org_id=org.id, name="Sales"))
    seen = tenant.scoped(inner, org_id="o1", slug="mine")
    assert await seen.get_organizations(["o1", "o2"]) == [mine]
    assert await seen.get_organization_by_slug("theirs") is None
    assert (await seen.list_organizations(after=None, limit=10)).items == [mine]
    assert await seen.list_departments("o2") == []
    assert await seen.get_departments("o2", ["d-o2"]) == []
    assert (await seen.find_objectives("o2")).total == 0
    assert len(await seen.list_departments("o1")) == 1
    with pytest.raises(NotFound):
        await seen.insert_department(Department(id="x", org_id="o2", name="Ops"))
    with pytest.raises(NotFound):
        await seen.close_cycle("o2", "c", closed_at=None)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await seen.update_organization(theirs)
    with pytest.raises(NotFound):
        await seen.insert_organization(Organization(id="o3", name="New", slug="new"))
    assert await inner.list_departments("o2") == [Department(id="d-o2", org_id="o2", name="Sales")]


async def test_a_token_for_a_new_slug_may_create_that_organization_once() -> None:
    inner = MongoStore(AsyncMongoMockClient()["tenant"])
    await inner.ensure_indexes()
    seen = tenant.scoped(inner, org_id=None, slug="fresh")
    assert (await seen.list_organizations(after=None, limit=10)).items == []
    made = Organization(id="o9", name="Fresh", slug="fresh")
    await seen.insert_organization(made)
    assert await seen.get_organizations(["o9"]) == [made]
    with pytest.raises(NotFound):
        await seen.insert_organization(Organization(id="o10", name="Again", slug="fresh"))
