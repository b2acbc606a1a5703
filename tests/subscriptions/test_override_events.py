"""progressChanged for a progress set by hand: setting or clearing an override reaches the
objective and every scope above it, with no check-in as its cause."""

from __future__ import annotations

from service.events import EventStream
from tests.okrs.conftest import Backend, World
from tests.okrs.conftest import backend as backend  # the fixture, shared
from tests.subscriptions.test_progress_changed import bus as bus  # the fixture, shared
from tests.subscriptions.test_progress_changed import gid, mutate, watching
from tests.tracking.conftest import world as world  # the fixture, shared

SET = """mutation($id: ID!) { objectiveProgressOverride(input: {objectiveId: $id, value: 0.8,
  reason: "Signed the pilot"}) { objective { id } userErrors { code } } }"""
CLEAR = """mutation($id: ID!) { objectiveProgressOverrideClear(objectiveId: $id) {
  objective { id } userErrors { code } } }"""


async def test_setting_and_clearing_reach_the_objective_and_every_scope_above(
    backend: Backend, world: World, bus: EventStream
) -> None:
    org = world.org.id
    scopes = {
        "objective": gid("Objective", org, world.q1.id),
        "global": gid("Objective", org, world.global_objective.id),
        "quarter": gid("Cycle", org, world.quarters[0].id),
        "year": gid("Cycle", org, world.year.id),
        "org": gid("Organization", org, org),
    }
    async with (
        watching(backend, bus, scopes["objective"]) as objective,
        watching(backend, bus, scopes["global"]) as top,
        watching(backend, bus, scopes["quarter"]) as quarter,
        watching(backend, bus, scopes["year"]) as year,
        watching(backend, bus, scopes["org"]) as whole,
    ):
        watchers = {
            "objective": objective,
            "global": top,
            "quarter": quarter,
            "year": year,
            "org": whole,
        }
        done = await mutate(backend, bus, SET, id=scopes["objective"])
        assert done["objectiveProgressOverride"]["userErrors"] == []
        set_events = {name: await anext(w) for name, w in watchers.items()}
        set_change = await backend.store.last_change(org)
        done = await mutate(backend, bus, CLEAR, id=scopes["objective"])
        assert done["objectiveProgressOverrideClear"]["userErrors"] == []
        clear_events = {name: await anext(w) for name, w in watchers.items()}
        clear_change = await backend.store.last_change(org)
    assert set_change is not None
    assert clear_change is not None
    for name in scopes:
        for result, change in ((set_events[name], set_change), (clear_events[name], clear_change)):
            assert result.errors is None, result.errors
            event = result.data["progressChanged"]
            assert event["sequence"] == change.sequence
            assert event["node"]["id"] == scopes[name]
            assert event["cause"] is None
    moved = set_events["objective"].data["progressChanged"]
    assert moved["current"]["value"] == 0.8
    back = clear_events["objective"].data["progressChanged"]
    assert back["previous"]["value"] == 0.8
    assert back["current"] == moved["previous"]
