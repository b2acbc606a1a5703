"""Check-in history, time travel (`asOf`) and series, through the schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.okrs import check_ins
from tests.okrs.conftest import NOW, Backend, World
from tests.tracking.conftest import Run, gid

KR_PROGRESS = """query($id: ID!, $asOf: DateTime) { node(id: $id) { ... on KeyResult {
  currentValue progress(asOf: $asOf) { value status expected } } } }"""


async def record(backend: Backend, world: World, value: float, at: datetime) -> None:
    await check_ins.record_check_in(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        value=value,
        recorded_at=at,
        now=NOW,
    )


async def test_check_ins_come_newest_first_by_recorded_at_in_pages(
    backend: Backend, world: World, gql: Run
) -> None:
    start = datetime(2027, 1, 5, tzinfo=UTC)
    for day, value in [(3, 30.0), (1, 10.0), (4, 40.0), (2, 20.0)]:  # sent out of order
        await record(backend, world, value, start + timedelta(days=day))
    query = """query($id: ID!, $after: String) { node(id: $id) { ... on KeyResult {
      checkIns(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor }
        nodes { value recordedAt } } } } }"""
    kr = gid("KeyResult", world.org.id, world.mql.id)
    first = (await gql(query, id=kr))["node"]["checkIns"]
    assert [c["value"] for c in first["nodes"]] == [40.0, 30.0, 20.0]
    assert first["totalCount"] == 4
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await gql(query, id=kr, after=first["pageInfo"]["endCursor"]))["node"]["checkIns"]
    assert [c["value"] for c in rest["nodes"]] == [10.0]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_as_of_gives_the_numbers_as_they_stood_then(
    backend: Backend, world: World, gql: Run
) -> None:
    await record(backend, world, 100.0, datetime(2027, 1, 20, tzinfo=UTC))
    await record(backend, world, 300.0, datetime(2027, 2, 10, tzinfo=UTC))
    kr = gid("KeyResult", world.org.id, world.mql.id)
    before = (await gql(KR_PROGRESS, id=kr, asOf="2027-01-10T00:00:00Z"))["node"]["progress"]
    assert before == {"value": 0.0, "status": "PENDING", "expected": 9 / 90}
    middle = (await gql(KR_PROGRESS, id=kr, asOf="2027-02-01T00:00:00Z"))["node"]["progress"]
    # 100 of 1,000 MQLs on Feb 1 (day 31 of 90): 0.1 < 0.5 x 31/90: OFF_TRACK.
    assert middle == {"value": 0.1, "status": "OFF_TRACK", "expected": 31 / 90}
    live = (await gql(KR_PROGRESS, id=kr))["node"]
    assert live["currentValue"] == 300.0
    assert live["progress"]["value"] == 0.3


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.tuples(st.integers(min_value=0, max_value=45 * 24), st.floats(0, 2000)), max_size=5
    )
)
async def test_as_of_now_equals_the_live_numbers(
    backend: Backend, world: World, gql: Run, values: list[tuple[int, float]]
) -> None:
    for hours, value in values:
        await record(
            backend, world, value, datetime(2027, 1, 1, tzinfo=UTC) + timedelta(hours=hours)
        )
    query = """query($org: ID!, $asOf: DateTime) { organization(id: $org) {
      progress(year: 2027, asOf: $asOf) { value attainment expected status } } }"""
    org = gid("Organization", world.org.id, world.org.id)
    live = await gql(query, org=org)
    then = await gql(query, org=org, asOf=NOW.isoformat())
    assert then == live


async def test_a_series_has_one_point_per_step_equal_to_progress_as_of_that_instant(
    backend: Backend, world: World, gql: Run
) -> None:
    await record(backend, world, 100.0, datetime(2027, 1, 20, tzinfo=UTC))
    await record(backend, world, 300.0, datetime(2027, 2, 10, tzinfo=UTC))
    kr = gid("KeyResult", world.org.id, world.mql.id)
    series = """query($id: ID!) { node(id: $id) { ... on KeyResult { progressSeries(
      from: "2027-01-01T00:00:00Z", to: "2027-02-12T00:00:00Z", interval: WEEK) {
        at value expected status } } } }"""
    points = (await gql(series, id=kr))["node"]["progressSeries"]
    assert len(points) == 7  # Jan 1, 8, 15, 22, 29, Feb 5, 12
    for point in points:
        alone = (await gql(KR_PROGRESS, id=kr, asOf=point["at"]))["node"]["progress"]
        assert {k: point[k] for k in ("value", "expected", "status")} == alone
    assert [p["value"] for p in points] == [0, 0, 0, 0.1, 0.1, 0.1, 0.3]


async def test_a_dependent_key_results_series_is_held_back_as_the_whole_year_would_be(
    backend: Backend, world: World, gql: Run
) -> None:
    """A key result's chart evaluates it and its upstream alone: each point must still equal
    its progress in the whole year at that instant, lateness of the upstream included."""
    await record(backend, world, 50.0, datetime(2027, 1, 20, tzinfo=UTC))  # MQLs lag behind
    for day, value in [(15, 42.0), (30, 46.0), (40, 49.0)]:  # deals on pace
        await check_ins.record_check_in(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.deals.id,
            value=value,
            recorded_at=datetime(2027, 1, 1, tzinfo=UTC) + timedelta(days=day),
            now=NOW,
        )
    deals = gid("KeyResult", world.org.id, world.deals.id)
    series = """query($id: ID!) { node(id: $id) { ... on KeyResult { progressSeries(
      from: "2027-01-01T00:00:00Z", to: "2027-02-14T00:00:00Z", interval: WEEK) {
        at value expected status } } } }"""
    points = (await gql(series, id=deals))["node"]["progressSeries"]
    statuses = set()
    for point in points:
        whole = (await gql(KR_PROGRESS, id=deals, asOf=point["at"]))["node"]["progress"]
        assert {k: point[k] for k in ("value", "expected", "status")} == whole
        statuses.add(point["status"])
    assert "AT_RISK" in statuses, statuses  # held back by the MQLs at some point


async def test_series_for_every_kind_of_scope(world: World, gql: Run) -> None:
    org, q1 = world.org.id, world.quarters[0].id
    window = 'from: "2027-01-01T00:00:00Z", to: "2027-03-01T00:00:00Z", interval: MONTH'
    data = await gql(
        f"""query($org: ID!, $q: ID!, $o: ID!, $d: ID!) {{
          organization(id: $org) {{ progressSeries(year: 2027, {window}) {{ at }} }}
          cycle: node(id: $q) {{ ... on Cycle {{ progressSeries({window}) {{ at }} }} }}
          objective: node(id: $o) {{ ... on Objective {{ progressSeries({window}) {{ at }} }} }}
          team: node(id: $d) {{ ... on Department {{
            progressSeries(cycleId: $q, {window}) {{ at status }} }} }}
        }}""",
        org=gid("Organization", org, org),
        q=gid("Cycle", org, q1),
        o=gid("Objective", org, world.q1.id),
        d=gid("Department", org, world.marketing.id),
    )
    for scope in (data["organization"], data["cycle"], data["objective"], data["team"]):
        assert len(scope["progressSeries"]) == 3
    assert data["team"]["progressSeries"][0]["status"] == "PENDING"


async def test_a_check_in_dated_ahead_is_live_exactly_when_as_of_counts_it(
    backend: Backend, world: World, gql: Run
) -> None:
    await record(backend, world, 100.0, datetime(2027, 2, 10, tzinfo=UTC))
    ahead = NOW + timedelta(minutes=4)
    await check_ins.record_check_in(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        value=900.0,
        recorded_at=ahead,
        now=NOW,
    )
    kr = gid("KeyResult", world.org.id, world.mql.id)
    for instant, value in [(NOW, 100.0), (ahead - timedelta(seconds=1), 100.0), (ahead, 900.0)]:
        live = (await gql(KR_PROGRESS, id=kr, now=instant))["node"]
        then = (await gql(KR_PROGRESS, id=kr, now=instant, asOf=instant.isoformat()))["node"]
        assert live["currentValue"] == value
        assert live["progress"] == then["progress"]
        assert live["progress"]["value"] == value / 1000
