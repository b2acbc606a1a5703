"""The tenant store: every Store method is classified, and another organization is invisible."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest
from mongomock_motor import AsyncMongoMockClient

from service.domain.errors import NotFound
from service.domain.model import Department, Organization
from service.readmodel.snapshot import doc_of
from service.store import tenant
from service.store.interface import Store
from service.store.mongo import MongoStore
from service.store.reads import DEPARTMENTS, ORGS
from service.store.records import Change, Put

T0 = datetime(2027, 1, 1, tzinfo=UTC)


def test_every_method_of_the_store_protocol_is_classified() -> None:
    methods = {n for n, _ in inspect.getmembers(Store) if not n.startswith("_")}
    classified = (
        set(tenant.ORG_READS)
        | tenant.ORG_WRITES
        | tenant.UNSCOPED
        | tenant.ORGANIZATION_METHODS
        | tenant.BACKGROUND
    )
    assert methods == classified


def first_change(org: Organization, *more: Put) -> Change:
    return Change(
        org_id=org.id,
        sequence=1,
        at=T0,
        kind="organizationCreate",
        ops=(Put(ORGS, doc_of(ORGS, org)), *more),
    )


async def test_another_organization_looks_like_nothing_and_cannot_be_written() -> None:
    inner = MongoStore(AsyncMongoMockClient()["tenant"])
    await inner.ensure_indexes()
    mine = Organization(id="o1", name="Mine", slug="mine")
    theirs = Organization(id="o2", name="Theirs", slug="theirs")
    for org in (mine, theirs):
        team = Department(id=f"d-{org.id}", org_id=org.id, name="Sales")
        made = first_change(org, Put(DEPARTMENTS, doc_of(DEPARTMENTS, team)))
        await inner.append_change(made)
        await inner.apply(made)
    seen = tenant.scoped(inner, org_id="o1", slug="mine")
    assert await seen.get_organizations(["o1", "o2"]) == [mine]
    assert await seen.get_organization_by_slug("theirs") is None
    assert (await seen.list_organizations(after=None, limit=10)).items == [mine]
    assert await seen.load_organization("o2") is None
    assert await seen.changes_after("o2", 0, limit=5) == []
    assert await seen.last_change("o2") is None
    assert await seen.change_by_dedup("seq:o2:000000000001") is None
    loaded = await seen.load_organization("o1")
    assert loaded is not None
    assert len(loaded.departments) == 1
    intruding = Change(
        org_id="o2",
        sequence=2,
        at=T0,
        kind="departmentCreate",
        ops=(Put(DEPARTMENTS, doc_of(DEPARTMENTS, Department(id="x", org_id="o2", name="Ops"))),),
    )
    with pytest.raises(NotFound):
        await seen.append_change(intruding)
    with pytest.raises(NotFound):
        await seen.apply(intruding)
    with pytest.raises(NotFound):
        await seen.prune_changes("o2", keep_last=0, older_than=T0)
    with pytest.raises(NotFound):
        await seen.append_change(first_change(Organization(id="o3", name="New", slug="new")))
    stored = await inner.load_organization("o2")
    assert stored is not None
    assert stored.departments == [Department(id="d-o2", org_id="o2", name="Sales")]


async def test_a_token_for_a_new_slug_may_create_that_organization_once() -> None:
    inner = MongoStore(AsyncMongoMockClient()["tenant"])
    await inner.ensure_indexes()
    seen = tenant.scoped(inner, org_id=None, slug="fresh")
    assert (await seen.list_organizations(after=None, limit=10)).items == []
    made = Organization(id="o9", name="Fresh", slug="fresh")
    await seen.append_change(first_change(made))
    await seen.apply(first_change(made))
    assert await seen.get_organizations(["o9"]) == [made]
    with pytest.raises(NotFound):
        await seen.append_change(first_change(Organization(id="o10", name="Again", slug="fresh")))
