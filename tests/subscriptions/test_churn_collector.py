"""Full collections run as subscriptions come and go (service/heap.py): each time a quarter as
many as there are (at least a burst) have begun or ended, so that the collector's walk over new
subscribers falls while they connect, not in the middle of a later event's delivery."""

from __future__ import annotations

from service.heap import ChurnCollector


def test_a_collection_runs_each_time_a_quarter_of_the_subscriptions_changed() -> None:
    runs: list[int] = []
    collector = ChurnCollector(burst=10, collect=lambda: runs.append(len(runs)))
    live = 0
    at: list[int] = []
    for _ in range(100):  # a hundred connect
        live += 1
        collector.changed(live)
        if len(runs) > len(at):
            at.append(live)
    # Every ten while a quarter is fewer than ten, then every quarter of those there are.
    assert at == [10, 20, 30, 40, 53, 70, 93]  # at 53, 13 had come: a quarter of 53
    assert collector.pending == 7
    assert collector.collections == len(runs) == 7
    for _ in range(100):  # and all leave: what they leave behind is collected on the way
        live -= 1
        collector.changed(live)
    assert collector.collections == 15
    assert collector.pending == 4


def test_a_few_changes_collect_nothing() -> None:
    runs: list[None] = []
    collector = ChurnCollector(collect=lambda: runs.append(None))
    for live in range(1, 100):
        collector.changed(live)
    assert runs == []
    assert collector.pending == 99
