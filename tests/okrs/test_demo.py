"""The demo: the seed's example, alive on any day, with every status a dashboard shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from service.domain.model import ProgressStatus
from service.okrs.common import evaluate_scope
from service.okrs.demo import DEMO_SLUG, seed_demo
from tests.okrs.conftest import Backend


@pytest.mark.parametrize("today", [date(2027, 2, 15), date(2027, 11, 28), date(2027, 7, 1)])
async def test_the_demo_shows_every_status_on_any_day(backend: Backend, today: date) -> None:
    seeded = await seed_demo(store=backend.store, today=today)
    assert seeded.organization is not None
    org = seeded.organization
    scope = await backend.store.load_year(org.id, today.year)
    now = datetime.combine(today, time(12), tzinfo=UTC)
    evaluation = evaluate_scope(scope, org, now)
    statuses = {
        scope.key_results[k].title: p.status for k, p in evaluation.key_result_progress.items()
    }
    current = [
        k
        for k in scope.key_results.values()
        if scope.cycles[k.cycle_id].starts_at <= now < scope.cycles[k.cycle_id].ends_at
    ]
    by_title = {k.title: evaluation.key_result_progress[k.id] for k in current}
    mql = by_title["Obtain 1,000 MQLs (marketing qualified leads)"]
    deals = by_title["Increase closed sales by 25%"]
    assert mql.status is ProgressStatus.OFF_TRACK
    assert deals.status is ProgressStatus.AT_RISK
    assert len(deals.blocked_by) == 1
    assert scope.key_results[deals.blocked_by[0]].title.startswith("Obtain 1,000 MQLs")
    assert by_title["Publish 24 in-depth blog posts"].status is ProgressStatus.ON_TRACK
    assert by_title["Cut the cost per lead from $50 to $35"].status is ProgressStatus.AT_RISK
    assert by_title["Launch the new pricing page"].status is ProgressStatus.PENDING
    assert ProgressStatus.ACHIEVED in statuses.values()
    closed = [c for c in scope.cycles.values() if c.closed]
    assert all(c.ends_at <= now for c in closed)
    unaligned = await backend.store.find_initiatives(org.id, unaligned=True)
    assert [i.title for i in unaligned.items] == ["A ping-pong table for the office"]


async def test_seeding_twice_writes_nothing_the_second_time(backend: Backend) -> None:
    await seed_demo(store=backend.store, today=date(2027, 5, 10))
    before = await backend.snapshot()
    again = await seed_demo(store=backend.store, today=date(2027, 5, 10))
    assert again.organization is None
    assert await backend.snapshot() == before
    assert await backend.store.get_organization_by_slug(DEMO_SLUG) is not None
