"""Cycles: a year with its quarters, months, closing with frozen scores, carrying over."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.domain.errors import ErrorCode
from service.domain.model import CycleKind
from service.okrs import check_ins, cycles, key_results, objectives
from tests.okrs.conftest import NOW, Backend, World

AFTER_Q1 = datetime(2027, 4, 2, tzinfo=UTC)


async def test_a_year_comes_with_its_four_quarters(backend: Backend, world: World) -> None:
    assert world.year.kind is CycleKind.YEAR
    assert [q.label for q in world.quarters] == ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
    assert all(q.parent_id == world.year.id for q in world.quarters)
    stored = (await backend.snapshot_of(world.org.id)).cycle_list(2027)
    assert next(c.id for c in stored) == world.year.id
    assert len(stored) == 5


async def test_a_month_hangs_under_its_quarter(backend: Backend, world: World) -> None:
    may = await cycles.create_month(
        writer=backend.writer, org_id=world.org.id, year=2027, month=5, now=NOW
    )
    assert may.parent_id == world.quarters[1].id
    assert may.label == "2027-05"
    await backend.rejects(
        ErrorCode.DUPLICATE,
        lambda: cycles.create_month(
            writer=backend.writer, org_id=world.org.id, year=2027, month=5, now=NOW
        ),
    )


async def test_a_month_of_a_year_not_created_is_not_found(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.NOT_FOUND,
        lambda: cycles.create_month(
            writer=backend.writer, org_id=world.org.id, year=2031, month=1, now=NOW
        ),
    )


async def record(
    backend: Backend, world: World, key_result_id: str, value: float, day: str
) -> None:
    await check_ins.record_check_in(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=key_result_id,
        value=value,
        recorded_at=datetime.fromisoformat(day).replace(tzinfo=UTC),
        now=AFTER_Q1,
    )


async def test_closing_a_quarter_freezes_scores_and_refuses_later_changes(
    backend: Backend, world: World
) -> None:
    await record(backend, world, world.mql.id, 734, "2027-03-30")
    await record(backend, world, world.deals.id, 50, "2027-03-30")
    closed = await cycles.close_cycle(
        writer=backend.writer, org_id=world.org.id, cycle_id=world.quarters[0].id, now=AFTER_Q1
    )
    assert closed.cycle.closed
    assert closed.key_result_scores == {world.mql.id: 0.73, world.deals.id: 1.0}
    assert closed.objective_scores[world.q1.id] == pytest.approx(round((0.734 + 2) / 3, 2))
    stored = [(await backend.snapshot_of(world.org.id)).key_results[world.mql.id]]
    assert stored[0].score == 0.73
    await backend.rejects(
        ErrorCode.CYCLE_CLOSED,
        lambda: record(backend, world, world.mql.id, 800, "2027-03-31"),
    )
    await backend.rejects(
        ErrorCode.CYCLE_CLOSED,
        lambda: cycles.close_cycle(
            writer=backend.writer, org_id=world.org.id, cycle_id=world.quarters[0].id, now=AFTER_Q1
        ),
    )
    # Lessons learned are still written after the close.
    lessons = await objectives.update_objective(
        writer=backend.writer,
        org_id=world.org.id,
        objective_id=world.q1.id,
        lessons_learned="Start webinars in week one.",
        now=AFTER_Q1,
    )
    assert lessons.objective is not None
    assert lessons.objective.lessons_learned == "Start webinars in week one."
    await backend.rejects(
        ErrorCode.CYCLE_CLOSED,
        lambda: objectives.update_objective(
            writer=backend.writer,
            org_id=world.org.id,
            objective_id=world.q1.id,
            title="Renamed",
            now=AFTER_Q1,
        ),
    )


async def test_a_score_is_rounded_half_up_as_people_round(backend: Backend, world: World) -> None:
    # 695 of 1,000 MQLs is a progress of 0.695, which binary floating point holds just below
    # 0.695: rounded by hand it is 0.70, a STRONG score, not 0.69.
    await record(backend, world, world.mql.id, 695, "2027-03-30")
    await record(backend, world, world.deals.id, 41.25, "2027-03-30")
    closed = await cycles.close_cycle(
        writer=backend.writer, org_id=world.org.id, cycle_id=world.quarters[0].id, now=AFTER_Q1
    )
    assert closed.key_result_scores == {world.mql.id: 0.7, world.deals.id: 0.13}
    stored = await backend.store.load_organization(world.org.id)
    assert stored is not None
    assert sorted(k.score for k in stored.key_results if k.score is not None) == [0.13, 0.7]


async def test_an_unfinished_key_result_carries_over_from_where_it_stands(
    backend: Backend, world: World
) -> None:
    await record(backend, world, world.mql.id, 734, "2027-03-30")
    await cycles.close_cycle(
        writer=backend.writer, org_id=world.org.id, cycle_id=world.quarters[0].id, now=AFTER_Q1
    )
    carried = await key_results.carry_over(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        cycle_id=world.quarters[1].id,
        now=AFTER_Q1,
    )
    assert carried.key_result is not None
    assert carried.key_result.start_value == 734
    assert carried.key_result.target_value == 1000
    assert carried.key_result.cycle_id == world.quarters[1].id
    assert carried.key_result.carried_over_from == world.mql.id
    home = [(await backend.snapshot_of(world.org.id)).objectives[carried.key_result.objective_id]]
    assert home[0].carried_over_from == world.q1.id
    assert home[0].parent_id == world.global_objective.id
    # A second carried key result of the same objective joins the same copy.
    again = await key_results.carry_over(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.deals.id,
        cycle_id=world.quarters[1].id,
        now=AFTER_Q1,
    )
    assert again.key_result is not None
    assert again.key_result.objective_id == carried.key_result.objective_id
    # Carried again (a retry), the first copy answers and nothing is written.
    before = await backend.snapshot()
    retried = await key_results.carry_over(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        cycle_id=world.quarters[1].id,
        now=AFTER_Q1,
    )
    assert retried.key_result == carried.key_result
    assert await backend.snapshot() == before


async def test_carrying_over_backwards_is_a_cycle_mismatch(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.CYCLE_MISMATCH,
        lambda: key_results.carry_over(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            cycle_id=world.year.id,
            now=AFTER_Q1,
        ),
    )


async def test_an_achieved_key_result_does_not_carry_over(backend: Backend, world: World) -> None:
    await record(backend, world, world.mql.id, 1200, "2027-03-30")
    await backend.rejects(
        ErrorCode.INVALID_VALUE,
        lambda: key_results.carry_over(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            cycle_id=world.quarters[1].id,
            now=AFTER_Q1,
        ),
    )


async def test_closing_the_year_closes_its_quarters(backend: Backend, world: World) -> None:
    end = datetime(2028, 1, 2, tzinfo=UTC)
    closed = await cycles.close_cycle(
        writer=backend.writer, org_id=world.org.id, cycle_id=world.year.id, now=end
    )
    assert set(closed.closed_cycle_ids) == {world.year.id, *(q.id for q in world.quarters)}
    assert closed.closed_cycle_ids[-1] == world.year.id
    assert all(c.closed for c in (await backend.snapshot_of(world.org.id)).cycle_list())
