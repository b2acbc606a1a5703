"""progressChanged for a progress set by hand: setting or clearing an override reaches the
objective and every scope above it, with no check-in as its cause."""

from __future__ import annotations

from service.events import EventStream
from tests.okrs.conftest import Backend, World
from tests.okrs.conftest import backend as backend  # the fixture, shared
from tests.subscriptions.test_progress_changed import (
    above_the_quarter_objective,
    mutate,
    watching_each,
)
from tests.subscriptions.test_progress_changed import bus as bus  # the fixture, shared
from tests.tracking.conftest import world as world  # the fixture, shared

SET = """mutation($id: ID!) { objectiveProgressOverride(input: {objectiveId: $id, value: 0.8,
  reason: "Signed the pilot"}) { objective { id } userErrors { code } } }"""
CLEAR = """mutation($id: ID!) { objectiveProgressOverrideClear(objectiveId: $id) {
  objective { id } userErrors { code } } }"""


async def test_setting_and_clearing_reach_the_objective_and_every_scope_above(
    backend: Backend, world: World, bus: EventStream
) -> None:
    org = world.org.id
    scopes = above_the_quarter_objective(world)
    async with watching_each(backend, bus, scopes) as watchers:
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
