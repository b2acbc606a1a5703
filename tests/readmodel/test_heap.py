"""Before a large year is planned, what is alive leaves the garbage collector's sight (so its
full collections stop walking the organization), and garbage is collected first, not frozen;
work off the event loop gets the interpreter back to the loop every millisecond."""

from __future__ import annotations

import gc
import sys
import weakref
from datetime import timedelta

import pytest

from service.readmodel import heap, years
from service.readmodel.heap import settle_long_lived
from service.readmodel.offloop import SWITCH_INTERVAL, off_loop
from tests.bench.test_rollup import NOW
from tests.readmodel.test_years import year_of


class Node:
    """A container the collector tracks, to make reference cycles with."""

    def __init__(self) -> None:
        self.other: Node | None = None


def test_what_is_alive_is_frozen_and_garbage_is_collected_first() -> None:
    alive = Node()
    garbage = Node()
    garbage.other = Node()
    garbage.other.other = garbage  # a cycle only the collector frees
    gone = weakref.ref(garbage)
    del garbage

    settle_long_lived()

    assert gone() is None
    assert gc.get_freeze_count() > 0
    assert not any(o is alive for o in gc.get_objects())
    assert alive.other is None  # still alive, only out of the collector's walks
    made_after = Node()
    assert any(o is made_after for o in gc.get_objects())


async def test_a_large_year_settles_the_heap_once_before_it_is_planned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(years, "OFF_LOOP_FROM", 1)
    year = year_of(200)
    planned_when_settled: list[bool] = []
    real = heap.settle_long_lived

    def recorded() -> None:
        planned_when_settled.append(year.plan is not None)
        real()

    monkeypatch.setattr(years, "settle_long_lived", recorded)

    await year.evaluated_soon(NOW)
    await year.evaluated_soon(NOW + timedelta(seconds=1))

    assert planned_when_settled == [False]
    assert not any(o is year.scope.key_results for o in gc.get_objects())


async def test_a_small_year_leaves_the_heap_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    monkeypatch.setattr(years, "settle_long_lived", lambda: calls.append(None))

    await year_of(200).evaluated_soon(NOW)

    assert calls == []


async def test_work_off_the_loop_shortens_the_switch_interval_never_lengthens_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sys.setswitchinterval(0.005)
    assert await off_loop(lambda check: 1) == 1
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)

    sys.setswitchinterval(0.005)
    monkeypatch.setattr(years, "OFF_LOOP_FROM", 1)
    await year_of(50).evaluated_soon(NOW)
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)

    sys.setswitchinterval(SWITCH_INTERVAL / 2)
    await off_loop(lambda check: None)
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL / 2)


def test_cycles_frozen_then_dropped_are_freed_once_the_frozen_heap_has_grown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heap, "_frozen_after_whole", [0])
    gc.unfreeze()
    settle_long_lived()  # nothing frozen before: a whole-heap collection, the baseline
    baseline = gc.get_freeze_count()
    cycle = Node()
    cycle.other = Node()
    cycle.other.other = cycle
    gone = weakref.ref(cycle)
    settle_long_lived()  # frozen while alive
    del cycle
    settle_long_lived()  # not grown enough: the frozen cycle stays out of sight
    assert gone() is not None
    grown = [Node() for _ in range(int(baseline * heap.GROWTH) + 1)]
    settle_long_lived()  # grown past GROWTH times the baseline: the whole heap once more
    assert gone() is None
    assert gc.get_freeze_count() >= len(grown)
