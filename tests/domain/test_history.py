"""History answers like `reading` does, at any instant, whatever order check-ins arrive in."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given

from service.domain.history import History
from service.domain.progress import Point, reading
from tests.domain.builders import at, points
from tests.strategies import PROPERTY, check_ins, instants


@PROPERTY
@given(check_ins(), instants)
def test_a_history_reads_what_a_scan_of_the_check_ins_reads(
    arrived: list[Point], as_of: datetime
) -> None:
    history = History({"kr": arrived})
    assert history.reading("kr", 5.0, as_of) == reading(5.0, arrived, as_of=as_of)


@PROPERTY
@given(check_ins(), instants)
def test_the_order_of_arrival_does_not_matter(arrived: list[Point], as_of: datetime) -> None:
    forward = History.of(("kr", p) for p in arrived)
    backward = History.of(("kr", p) for p in reversed(arrived))
    assert forward.reading("kr", 0.0, as_of) == backward.reading("kr", 0.0, as_of)


def test_before_the_first_check_in_the_start_value_stands() -> None:
    history = History({"kr": points((at(2, 1), 10.0))})
    found = history.reading("kr", 3.0, at(1, 31))
    assert (found.value, found.checked_in) == (3.0, False)


def test_a_key_result_without_check_ins_reads_its_start_value() -> None:
    found = History({}).reading("kr", 7.0, at(3, 1))
    assert (found.value, found.checked_in) == (7.0, False)


def test_points_between_two_instants_come_oldest_first() -> None:
    history = History({"kr": points((at(3, 1), 3.0), (at(1, 1), 1.0), (at(2, 1), 2.0))})
    inside = history.points("kr", since=at(1, 15), until=at(3, 1))
    assert [p.value for p in inside] == [2.0, 3.0]
    assert history.points("other", since=at(1, 1), until=at(3, 1)) == []
