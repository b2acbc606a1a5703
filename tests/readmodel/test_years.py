"""A large year is evaluated off the event loop: the same numbers as on it, one computation
for the requests of one instant, kept even when the request that started it is cancelled, and
the loop goes on serving meanwhile."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest

from service.domain.model import Policy
from service.domain.plan import Plan
from service.domain.rollup import Evaluation, evaluate_plan
from service.readmodel import years
from service.readmodel.years import Year, YearScope
from tests.bench.test_rollup import NOW, scope


def year_of(size: int) -> Year:
    made = scope(size)
    return Year(
        2027,
        YearScope(
            cycles=made.cycles,
            objectives={o.id: o for o in made.objectives},
            key_results={k.id: k for k in made.key_results},
        ),
        Policy(),
    )


@pytest.fixture
def off_loop(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """Every year counts as large; the instants of the evaluations computed are recorded."""
    evaluated: list[datetime] = []
    real = evaluate_plan

    def counted(plan: Plan, *, policy: Policy, now: datetime) -> Evaluation:
        evaluated.append(now)
        return real(plan, policy=policy, now=now)

    monkeypatch.setattr(years, "OFF_LOOP_FROM", 1)
    monkeypatch.setattr(years, "evaluate_plan", counted)
    return evaluated


async def test_off_the_loop_a_year_has_the_numbers_it_has_on_it(off_loop: list[datetime]) -> None:
    soon = await year_of(400).evaluated_soon(NOW)
    now = year_of(400).evaluated(NOW)
    assert soon.key_result_progress == now.key_result_progress
    assert soon.objective_progress == now.objective_progress


async def test_requests_of_one_instant_share_one_computation_and_keep_it(
    off_loop: list[datetime],
) -> None:
    year = year_of(400)
    found = await asyncio.gather(*(year.evaluated_soon(NOW) for _ in range(3)))
    assert off_loop == [NOW]
    assert found[0] is found[1] is found[2]
    assert year.evaluations[NOW] is found[0]
    assert await year.evaluated_soon(NOW) is found[0]
    assert off_loop == [NOW]


async def test_a_computation_outlives_the_request_that_started_it(off_loop: list[datetime]) -> None:
    year = year_of(400)
    started = asyncio.ensure_future(year.evaluated_soon(NOW))
    await asyncio.sleep(0)
    started.cancel()
    with pytest.raises(asyncio.CancelledError):
        await started
    # Asked again, the year answers from the first computation: still running, or kept.
    assert await year.evaluated_soon(NOW) is year.evaluations[NOW]
    assert off_loop == [NOW]


async def test_a_small_year_is_evaluated_on_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asyncio, "to_thread", None)  # any use would fail
    year = year_of(400)
    assert await year.evaluated_soon(NOW) is year.evaluations[NOW]


@pytest.mark.slow
async def test_the_loop_keeps_serving_while_100k_key_results_are_evaluated() -> None:
    year = year_of(100_000)
    gaps: list[float] = []

    async def serving() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.ensure_future(serving())
    began = time.monotonic()
    await year.evaluated_soon(NOW)
    took = time.monotonic() - began
    ticking.cancel()
    assert len(gaps) >= 5, (took, gaps)
    assert max(gaps) < min(0.2, took / 2), (took, max(gaps))
