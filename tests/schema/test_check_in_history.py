"""Check-in history as the read model keeps it: a key result's check-ins are read once and then
follow the log's changes, so a warm read model must answer its pages, history, forecast and
`asOf` exactly as a fresh one reading the store (each test compares the two after every
write; the suite runs it with the client in both read modes)."""

from __future__ import annotations

from typing import Any

from tests.schema.conftest import Client, World
from tests.schema.operations import CHECK_IN_CREATE, CHECK_IN_DELETE

PAGE = """
query Page($id: ID!, $first: Int, $after: String, $asOf: DateTime) {
  node(id: $id) {
    ... on KeyResult {
      currentValue
      lastCheckInAt
      progress { value status }
      then: progress(asOf: $asOf) { value status }
      forecast { projectedValue basedOn }
      noForecastReason
      progressSeries(from: "2027-01-01T00:00:00Z", to: "2027-02-15T00:00:00Z", interval: WEEK) {
        at value status
      }
      checkIns(first: $first, after: $after) {
        totalCount
        edges { cursor node { id value recordedAt } }
        pageInfo { hasNextPage hasPreviousPage endCursor }
      }
    }
  }
}
"""


async def read(gql: Client, kr: str, **variables: Any) -> dict[str, Any]:
    """The key result's page from `gql`, checked against a client that keeps nothing."""
    variables = {"first": 2, "after": None, "asOf": "2027-01-20T00:00:00Z", **variables}
    found = await gql(PAGE, id=kr, **variables)
    fresh = Client(gql.store, now=gql.now, mode="fresh")
    assert found == await fresh(PAGE, id=kr, **variables)
    return dict(found["node"])


async def every_page(gql: Client, kr: str) -> list[str]:
    """The check-ins' ids page after page (two a page)."""
    ids: list[str] = []
    after = None
    while True:
        page = (await read(gql, kr, after=after))["checkIns"]
        ids += [e["node"]["id"] for e in page["edges"]]
        assert page["totalCount"] >= len(ids)
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


async def check_in(gql: Client, kr: str, value: float, at: str) -> str:
    made = await gql.mutate(
        CHECK_IN_CREATE, input={"keyResultId": kr, "value": value, "recordedAt": at}
    )
    return str(made["checkIn"]["id"])


async def test_pages_follow_deletes_made_after_the_history_was_read(
    gql: Client, world: World
) -> None:
    made = [
        await check_in(gql, world.mql, 400 + 50 * i, f"2027-01-{10 + i:02d}T09:00:00Z")
        for i in range(1, 5)
    ]
    # The world's check-in (February) is the newest.
    newest_first = [world.check_in, *reversed(made)]
    assert await every_page(gql, world.mql) == newest_first
    first = (await read(gql, world.mql))["checkIns"]
    # One check-in of the first page and one of the second go.
    await gql.mutate(CHECK_IN_DELETE, id=made[3])
    await gql.mutate(CHECK_IN_DELETE, id=made[1])
    assert await every_page(gql, world.mql) == [world.check_in, made[2], made[0]]
    # A cursor at a check-in still there leads on past it.
    after_first = await read(gql, world.mql, after=first["edges"][0]["cursor"])
    assert [e["node"]["id"] for e in after_first["checkIns"]["edges"]] == [made[2], made[0]]
    assert after_first["checkIns"]["totalCount"] == 3
    # A cursor at a deleted check-in leads nowhere (an empty page with the total).
    gone = await read(gql, world.mql, after=first["pageInfo"]["endCursor"])
    assert gone["checkIns"]["edges"] == []
    assert gone["checkIns"]["totalCount"] == 3
    assert gone["currentValue"] == 400


async def test_check_ins_of_one_millisecond_are_ordered_by_when_they_were_recorded(
    gql: Client, world: World
) -> None:
    await read(gql, world.deals)  # the history is held before the writes
    same = "2027-01-20T10:00:00.123Z"
    made = [await check_in(gql, world.deals, value, same) for value in (3, 9, 5)]
    page = await read(gql, world.deals, first=5)
    assert [e["node"]["id"] for e in page["checkIns"]["edges"]] == list(reversed(made))
    assert page["currentValue"] == 5  # the last recorded wins
    assert page["forecast"] is None  # one instant is not a trend
    await gql.mutate(CHECK_IN_DELETE, id=made[2])
    page = await read(gql, world.deals, first=5)
    assert [e["node"]["id"] for e in page["checkIns"]["edges"]] == [made[1], made[0]]
    assert page["currentValue"] == 9


async def test_as_of_reads_the_history_as_it_stands_after_each_write(
    gql: Client, world: World
) -> None:
    before = await read(gql, world.mql, asOf="2027-01-25T00:00:00Z")
    made = await check_in(gql, world.mql, 900, "2027-01-24T00:00:00Z")
    moved = await read(gql, world.mql, asOf="2027-01-25T00:00:00Z")
    assert moved["then"] != before["then"]
    assert moved["progressSeries"] != before["progressSeries"]
    await gql.mutate(CHECK_IN_DELETE, id=made)
    back = await read(gql, world.mql, asOf="2027-01-25T00:00:00Z")
    assert back["then"] == before["then"]
    assert back["progressSeries"] == before["progressSeries"]
    assert back["checkIns"] == before["checkIns"]


TWO_CHECK_INS = """
mutation Two($first: CheckInCreateInput!, $second: CheckInCreateInput!) {
  one: checkInCreate(input: $first) {
    keyResult { checkIns(first: 5) { totalCount } forecast { basedOn } }
  }
  two: checkInCreate(input: $second) {
    keyResult { checkIns(first: 5) { totalCount } forecast { basedOn } }
  }
}
"""


async def test_a_second_mutation_of_one_request_reads_the_check_in_of_the_first(
    gql: Client, world: World
) -> None:
    data = await gql(
        TWO_CHECK_INS,
        first={"keyResultId": world.mql, "value": 500, "recordedAt": "2027-01-20T00:00:00Z"},
        second={"keyResultId": world.mql, "value": 600, "recordedAt": "2027-01-27T00:00:00Z"},
    )
    assert data["one"]["keyResult"]["checkIns"]["totalCount"] == 2
    assert data["two"]["keyResult"]["checkIns"]["totalCount"] == 3
    assert data["two"]["keyResult"]["forecast"]["basedOn"] == 3
