"""The demo: the seed's example, alive on any day, with every status a dashboard shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from service.domain.model import ProgressStatus
from service.okrs import check_ins
from service.okrs.demo import DEMO_SLUG, seed_demo
from tests.okrs.conftest import Backend


@pytest.mark.parametrize(
    "today", [date(2027, 2, 15), date(2027, 11, 28), date(2027, 7, 1), date(2027, 10, 10)]
)
async def test_the_demo_shows_every_status_on_any_day(backend: Backend, today: date) -> None:
    seeded = await seed_demo(writer=backend.writer, today=today)
    assert seeded.organization is not None
    org = seeded.organization
    held = await backend.snapshot_of(org.id)
    now = datetime.combine(today, time(12), tzinfo=UTC)
    scope = held.year(today.year).scope
    evaluation = held.year(today.year).evaluated(now)
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
    # Created when its quarter started and never checked in: PENDING for two weeks, then late.
    quarter = next(c for c in scope.cycles.values() if c.id == current[0].cycle_id)
    pricing = by_title["Launch the new pricing page"]
    if now - quarter.starts_at < timedelta(days=14):
        assert pricing.status is ProgressStatus.PENDING
    else:
        assert pricing.status is ProgressStatus.OFF_TRACK
        assert pricing.explanation.status_reason.startswith(
            f"no check-in since {quarter.starts_on.isoformat()}, paced at the start value"
        )
    made = {k.created_at for k in current}
    assert made == {quarter.starts_at}
    assert ProgressStatus.ACHIEVED in statuses.values()
    closed = [c for c in scope.cycles.values() if c.closed]
    assert all(c.ends_at <= now for c in closed)
    unaligned = [i.title for i in held.initiative_list() if not i.aligned]
    assert unaligned == ["A ping-pong table for the office"]


async def test_seeding_twice_writes_nothing_the_second_time(backend: Backend) -> None:
    await seed_demo(writer=backend.writer, today=date(2027, 5, 10))
    before = await backend.snapshot()
    again = await seed_demo(writer=backend.writer, today=date(2027, 5, 10))
    assert again.organization is None
    assert await backend.snapshot() == before
    assert await backend.store.get_organization_by_slug(DEMO_SLUG) is not None


async def test_a_silent_key_result_no_longer_hides_its_department_behind_pending(
    backend: Backend,
) -> None:
    # 58 days into Q4 the pricing page has never been checked in: it is OFF_TRACK, and so is
    # Sales, before and after a check-in elsewhere. Counted as merely PENDING, which ranks above
    # AT_RISK, it left Sales looking better than its silence warrants.
    today = date(2027, 11, 28)
    seeded = await seed_demo(writer=backend.writer, today=today)
    assert seeded.organization is not None
    org = seeded.organization
    now = datetime.combine(today, time(13), tzinfo=UTC)

    async def sales() -> ProgressStatus:
        held = await backend.snapshot_of(org.id)
        evaluation = held.year(today.year).evaluated(now)
        q4 = next(c for c in held.cycles.values() if c.quarter == 4)
        team = next(d for d in held.department_list() if d.name == "Sales")
        return evaluation.department(team.id, {q4.id}, q4.id).status

    assert await sales() is ProgressStatus.OFF_TRACK
    held = await backend.snapshot_of(org.id)
    posts = next(k for k in held.key_results.values() if k.title.startswith("Publish 24"))
    await check_ins.record_check_in(
        writer=backend.writer, org_id=org.id, key_result_id=posts.id, value=20, now=now
    )
    assert await sales() is ProgressStatus.OFF_TRACK
