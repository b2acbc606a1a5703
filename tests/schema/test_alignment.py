"""keyResultAlign and keyResultUnalign through the API, signed in, on mongomock and nx-27017, in
both read modes: the links, the rollups and explanations over them, every path to the mission,
the audit trail, and every refusal with its code and nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from mongomock_motor import AsyncMongoMockClient
from pymongo import AsyncMongoClient
from strawberry.types import ExecutionResult

from schema.context import signed_in_context
from schema.ids import to_global_id
from service.auth import Principal, Role
from service.store.mongo import MongoStore
from tests.faults.conftest import nx_uri
from tests.schema.conftest import Backend, Client, World, build_world, forged, refused
from tests.schema.operations import (
    CYCLE_CREATE,
    KEY_RESULT_ALIGN,
    KEY_RESULT_UNALIGN,
    OBJECTIVE_CREATE,
    OBJECTIVE_DELETE,
)

__all__ = ["nx_uri"]  # the session's nx-27017, a fixture of this module too


@dataclass
class Signed(Client):
    """A client whose every request is signed in with `role` for the organization `acme`."""

    role: Role = Role.EDITOR

    async def raw(self, query: str, /, **variables: Any) -> ExecutionResult:
        principal = Principal(
            subject=f"{self.role.name.lower()}-1", organization="acme", role=self.role
        )
        shared = self.mode == "shared"
        context = await signed_in_context(
            self.store,
            principal,
            reads=self.reads if shared else None,
            writer=self.writer if shared else None,
            clock=lambda: self.now,
        )
        return await self.schema.execute(query, variable_values=variables, context_value=context)


@pytest.fixture(params=["mongomock", "nx"])
def backend_uri(request: pytest.FixtureRequest) -> str | None:
    """The backend's URI (None in process); sync, so the session's nx-27017 starts outside any
    test's event loop."""
    return request.getfixturevalue("nx_uri") if request.param == "nx" else None


@pytest.fixture
async def backend(backend_uri: str | None) -> AsyncIterator[Backend]:
    """The schema suite's backend, on mongomock and on nx-27017."""
    name = f"align_{uuid4().hex[:12]}"
    if backend_uri is None:
        database: Any = AsyncMongoMockClient(tz_aware=True)[name]
        store = MongoStore(database)
        await store.ensure_indexes()
        yield Backend(store=store, database=database)
        return
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(backend_uri, tz_aware=True)
    try:
        store = MongoStore(client[name])
        await store.ensure_indexes()
        yield Backend(store=store, database=client[name])
        await client.drop_database(name)
    finally:
        await client.close()


@pytest.fixture
async def world(backend: Backend) -> World:
    return await build_world(Client(backend.store))


@pytest.fixture
def editor(backend: Backend) -> Signed:
    return Signed(backend.store)


async def objective_in(
    editor: Signed, world: World, title: str, *, cycle: str = "", parent: str | None = None
) -> str:
    made = await editor.mutate(
        OBJECTIVE_CREATE,
        input={
            "cycleId": cycle or world.quarters[0],
            "title": title,
            "parentId": parent if parent is not None else world.global_objective,
            "departmentId": world.sales,
        },
    )
    return str(made["objective"]["id"])


OBJECTIVE = """
query($id: ID!) { node(id: $id) { ... on Objective {
  keyResults { id }
  keyResultLinks { keyResult { id } objective { id } weight home }
  progress { value status explanation { formula inputs { nodeId weight value } } }
} } }"""

KEY_RESULT = """
query($id: ID!) { node(id: $id) { ... on KeyResult {
  objective { id }
  objectives { id }
  links { objective { id } weight home }
  pathToMission { level node { id } }
  pathsToMission { level title node { id } }
} } }"""


async def test_an_aligned_key_result_counts_in_its_new_objective_with_the_links_weight(
    editor: Signed, world: World
) -> None:
    close = await objective_in(editor, world, "Close more deals")
    done = await editor.mutate(
        KEY_RESULT_ALIGN, input={"keyResultId": world.mql, "objectiveId": close, "weight": 3}
    )
    assert done["keyResult"]["links"] == [
        {
            "objective": {"id": world.funnel},
            "weight": 1.0,
            "home": True,
            "keyResult": {"id": world.mql},
        },
        {"objective": {"id": close}, "weight": 3.0, "home": False, "keyResult": {"id": world.mql}},
    ]
    assert done["keyResult"]["objectives"] == [{"id": world.funnel}, {"id": close}]
    assert done["objective"]["keyResults"] == [{"id": world.mql}]
    assert done["objective"]["keyResultLinks"] == [
        {"keyResult": {"id": world.mql}, "weight": 3.0, "home": False}
    ]
    served = (await editor(OBJECTIVE, id=close))["node"]
    # 400 of 1,000 MQLs: 0.4, the only input, with the link's weight 3.
    assert served["progress"]["value"] == pytest.approx(0.4)
    assert served["progress"]["explanation"]["inputs"] == [
        {"nodeId": world.mql, "weight": 3.0, "value": pytest.approx(0.4)}
    ]
    # The global objective: the funnel (0.4·1 + 0·2)/3 = 0.1333 and the new one 0.4, weight 1
    # each: (0.1333 + 0.4)/2 = 0.2667.
    root = (await editor(OBJECTIVE, id=world.global_objective))["node"]
    assert root["progress"]["value"] == pytest.approx((0.4 / 3 + 0.4) / 2)
    # The funnel keeps counting it with its own weight.
    funnel = (await editor(OBJECTIVE, id=world.funnel))["node"]
    assert {"nodeId": world.mql, "weight": 1.0, "value": pytest.approx(0.4)} in funnel["progress"][
        "explanation"
    ]["inputs"]
    assert [link["home"] for link in funnel["keyResultLinks"]] == [True, True]


async def test_every_path_to_the_mission_goes_through_every_objective_served(
    editor: Signed, world: World
) -> None:
    close = await objective_in(editor, world, "Close more deals")
    await editor.mutate(
        KEY_RESULT_ALIGN, input={"keyResultId": world.mql, "objectiveId": close, "weight": 1}
    )
    found = (await editor(KEY_RESULT, id=world.mql))["node"]
    home, aligned = found["pathsToMission"]
    assert [s["node"] for s in found["pathToMission"]] == [s["node"] for s in home]
    assert [s["level"] for s in aligned] == [
        "KEY_RESULT",
        "OBJECTIVE",
        "GLOBAL_OBJECTIVE",
        "MISSION",
    ]
    assert [s["node"] and s["node"]["id"] for s in aligned] == [
        world.mql,
        close,
        world.global_objective,
        None,
    ]
    assert [s["node"] and s["node"]["id"] for s in home][1] == world.funnel


async def test_unaligning_and_deleting_the_objective_let_go_of_links(
    editor: Signed, world: World
) -> None:
    close = await objective_in(editor, world, "Close more deals")
    other = await objective_in(editor, world, "Keep customers")
    for served in (close, other):
        await editor.mutate(
            KEY_RESULT_ALIGN, input={"keyResultId": world.mql, "objectiveId": served, "weight": 2}
        )
    done = await editor.mutate(
        KEY_RESULT_UNALIGN, input={"keyResultId": world.mql, "objectiveId": close}
    )
    assert done["keyResult"]["objectives"] == [{"id": world.funnel}, {"id": other}]
    assert done["objective"]["keyResults"] == []
    assert (await editor(OBJECTIVE, id=close))["node"]["progress"]["value"] is None
    await editor.mutate(OBJECTIVE_DELETE, id=other)
    found = (await editor(KEY_RESULT, id=world.mql))["node"]
    assert found["objectives"] == [{"id": world.funnel}]
    assert len(found["pathsToMission"]) == 1


async def test_every_refusal_has_its_code_and_writes_nothing(
    backend: Backend, editor: Signed, world: World
) -> None:
    close = await objective_in(editor, world, "Close more deals")
    await editor.mutate(
        KEY_RESULT_ALIGN, input={"keyResultId": world.mql, "objectiveId": close, "weight": 2}
    )
    admin = Signed(backend.store, role=Role.ADMIN)
    later = await admin.mutate(CYCLE_CREATE, input={"organizationId": world.org, "year": 2028})
    next_year = await editor.mutate(
        OBJECTIVE_CREATE, input={"cycleId": later["cycle"]["id"], "title": "Next year"}
    )
    next_id = next_year["objective"]["id"]

    async def align(objective_id: str, weight: float, kr: str = world.mql) -> dict[str, Any]:
        return await refused(
            backend,
            editor,
            KEY_RESULT_ALIGN,
            {"input": {"keyResultId": kr, "objectiveId": objective_id, "weight": weight}},
        )

    async def unalign(objective_id: str) -> dict[str, Any]:
        return await refused(
            backend,
            editor,
            KEY_RESULT_UNALIGN,
            {"input": {"keyResultId": world.mql, "objectiveId": objective_id}},
        )

    home = await align(world.funnel, 1)
    assert (home["code"], home["field"]) == ("DUPLICATE", ["input", "objectiveId"])
    assert (await align(close, 5))["code"] == "DUPLICATE"
    assert (await align(next_id, 1))["code"] == "CYCLE_MISMATCH"
    for weight in (0, -2, -1e300):
        bad = await align(world.global_objective, weight)
        assert (bad["code"], bad["field"]) == ("INVALID_VALUE", ["input", "weight"])
    assert (await align(world.mql, 1))["code"] == "INVALID_ID"
    # Another organization's objective, and one that does not exist, look alike.
    assert (await align(to_global_id("Objective", "elsewhere", "0" * 32), 1))["code"] == "NOT_FOUND"
    assert (await align(forged("Objective", world.org), 1))["code"] == "NOT_FOUND"
    assert (await unalign(world.global_objective))["code"] == "NOT_FOUND"
    own = await unalign(world.funnel)
    assert (own["code"], own["field"]) == ("INVALID_VALUE", ["input", "objectiveId"])


async def test_viewers_may_not_align_and_the_trail_shows_who_did(
    backend: Backend, editor: Signed, world: World
) -> None:
    close = await objective_in(editor, world, "Close more deals")
    viewer = Signed(backend.store, role=Role.VIEWER)
    result = await viewer.raw(
        KEY_RESULT_ALIGN, input={"keyResultId": world.mql, "objectiveId": close, "weight": 1}
    )
    assert result.errors is not None
    assert [e.extensions for e in result.errors] == [{"code": "FORBIDDEN"}]
    await editor.mutate(
        KEY_RESULT_ALIGN, input={"keyResultId": world.mql, "objectiveId": close, "weight": 1.5}
    )
    trail = await editor(
        """query($org: ID!) { organization(id: $org) { changes(first: 1) {
          nodes { kind actor after node { id } } } } }""",
        org=world.org,
    )
    (newest,) = trail["organization"]["changes"]["nodes"]
    assert (newest["kind"], newest["actor"], newest["node"]) == (
        "keyResultAlign",
        "editor-1",
        {"id": world.mql},
    )
    assert newest["after"]["aligned"] == [{"objectiveId": close, "weight": 1.5}]


DASHBOARD = (Path(__file__).parents[2] / "schema" / "operations" / "Dashboard.graphql").read_text()


async def test_the_dashboard_lists_a_shared_key_result_under_every_objective_it_serves(
    editor: Signed, world: World
) -> None:
    close = await objective_in(editor, world, "Close more deals")
    await editor.mutate(
        KEY_RESULT_ALIGN, input={"keyResultId": world.mql, "objectiveId": close, "weight": 2}
    )
    found = await editor(DASHBOARD, organizationId=world.org, cycleId=world.quarters[0])
    nodes = {o["id"]: o for o in found["cycle"]["objectives"]["nodes"]}
    assert [k["id"] for k in nodes[world.funnel]["keyResults"]] == [world.mql, world.deals]
    assert [k["id"] for k in nodes[close]["keyResults"]] == [world.mql]
    assert nodes[close]["progress"]["value"] == pytest.approx(0.4)
    # The key result's own department, whichever objective lists it.
    assert nodes[close]["keyResults"][0]["department"]["id"] == world.marketing
