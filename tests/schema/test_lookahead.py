"""Lists load what their items will ask for before the items ask (schema.lookahead): the
answers are those each item gives alone, and an item then answers without waiting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from schema import standings
from schema.loaders import Loaders
from schema.lookahead import below
from tests.schema.conftest import Client, World, org_of

ITEM = """title department { name } progress { value status expected }
  keyResults { title currentValue progress { value status blockedBy { id } } }"""

PAGE = f"""
query Page($q1: ID!) {{
  node(id: $q1) {{
    ... on Cycle {{
      objectives {{
        nodes {{ id {ITEM} }}
        edges {{ node {{ id ...Item }} }}
        again: nodes {{ id other: department {{ id }} }}
      }}
    }}
  }}
}}
fragment Item on Objective {{ {ITEM} }}
"""

ALONE = f"query Alone($id: ID!) {{ node(id: $id) {{ ... on Objective {{ {ITEM} }} }} }}"


async def test_a_pages_items_answer_as_each_does_alone(gql: Client, world: World) -> None:
    page = (await gql(PAGE, q1=world.quarters[0]))["node"]["objectives"]
    assert page["nodes"], "the world has objectives in Q1"
    for item, edge, again in zip(page["nodes"], page["edges"], page["again"], strict=True):
        alone = (await gql(ALONE, id=item["id"]))["node"]
        assert {k: v for k, v in item.items() if k != "id"} == alone
        assert {k: v for k, v in edge["node"].items() if k != "id"} == alone
        assert (again["other"] is None) == (alone["department"] is None)


async def test_a_pages_items_answer_without_waiting(
    gql: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    waited: list[str] = []
    answer = Loaders.answer
    from_evaluation = standings.from_evaluation

    def counted(loaders: Loaders, org_id: str, then: Any) -> Any:
        found = answer(loaders, org_id, then)
        if asyncio.iscoroutine(found):
            waited.append("snapshot")
        return found

    def evaluated(*args: Any) -> Any:
        found = from_evaluation(*args)
        if asyncio.iscoroutine(found):
            waited.append("evaluation")
        return found

    monkeypatch.setattr(Loaders, "answer", counted)
    monkeypatch.setattr(standings, "from_evaluation", evaluated)
    page = (await gql(PAGE, q1=world.quarters[0]))["node"]["objectives"]
    assert any(item["keyResults"] for item in page["nodes"])
    assert waited == []
    # Without the page (one objective alone), its progress waits for its year's evaluation.
    await gql(ALONE, id=page["nodes"][0]["id"])
    assert "evaluation" in waited


def field(name: str, *children: Any, **arguments: Any) -> SelectedField:
    return SelectedField(
        name=name, directives={}, arguments=arguments, selections=list(children), alias=None
    )


def test_below_reads_through_fragments_and_collects_every_selection_of_a_name() -> None:
    nodes = field(
        "nodes",
        field("title"),
        InlineFragment(type_condition="Objective", selections=[field("progress")], directives={}),
        FragmentSpread(
            name="More",
            type_condition="Objective",
            directives={},
            selections=[field("progress", asOf="2027-01-01"), field("keyResults")],
        ),
    )
    found = below([nodes, field("totalCount")], "nodes")
    assert sorted(found) == ["keyResults", "progress", "title"]
    assert [p.arguments for p in found["progress"]] == [{}, {"asOf": "2027-01-01"}]
    assert below([nodes], "edges", "node") == {}


async def test_an_answer_is_at_once_when_the_snapshot_is_held_and_waits_otherwise(
    gql: Client, world: World
) -> None:
    loaders = gql.context().loaders
    org = org_of(world.org)
    later = loaders.answer(org, lambda held: held.organization.name)
    assert asyncio.iscoroutine(later)
    assert await later == "Acme Inc."
    assert loaders.answer(org, lambda held: held.organization.name) == "Acme Inc."
