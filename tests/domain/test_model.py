"""The entities' derived values: cycle labels and days, initiative ROI and alignment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from service.domain.model import Initiative, KeyResult, KeyResultKind, Upcoming
from tests.domain.builders import month_cycle, quarter_cycle, year_cycle


def initiative(cost: float, expected_value: float, *key_result_ids: str) -> Initiative:
    return Initiative(
        id="i",
        org_id="org",
        title="Webinar series",
        cost=cost,
        expected_value=expected_value,
        key_result_ids=key_result_ids,
    )


def test_roi_is_gain_over_cost() -> None:
    assert initiative(1000, 2500).roi == pytest.approx(1.5)
    assert initiative(1000, 400).roi == pytest.approx(-0.6)


def test_free_initiative_has_no_roi() -> None:
    assert initiative(0, 2500).roi is None


def test_initiative_is_aligned_when_it_serves_a_key_result() -> None:
    assert initiative(10, 20, "mql").aligned is True
    assert initiative(10, 20).aligned is False


def test_year_cycle_label_and_days() -> None:
    cycle = year_cycle()
    assert cycle.label == "2027"
    assert (cycle.starts_on, cycle.ends_on) == (date(2027, 1, 1), date(2027, 12, 31))


def test_quarter_cycle_label_and_days() -> None:
    cycle = quarter_cycle("q1", 1)
    assert cycle.label == "2027-Q1"
    assert (cycle.starts_on, cycle.ends_on) == (date(2027, 1, 1), date(2027, 3, 31))
    q4 = quarter_cycle("q4", 4)
    assert q4.label == "2027-Q4"
    assert q4.ends_on == date(2027, 12, 31)


def test_month_cycle_label_is_zero_padded_and_ends_on_its_last_day() -> None:
    cycle = month_cycle("m2", 2)
    assert cycle.label == "2027-02"
    assert (cycle.starts_on, cycle.ends_on) == (date(2027, 2, 1), date(2027, 2, 28))
    assert month_cycle("m2028", 2, year=2028).ends_on == date(2028, 2, 29)


def test_a_key_result_counts_its_upcoming_check_ins_once_their_time_has_come() -> None:
    t0 = datetime(2027, 2, 15, 12, tzinfo=UTC)
    minute = timedelta(minutes=1)
    kr = KeyResult(
        id="kr",
        org_id="org",
        objective_id="o",
        cycle_id="q1",
        year=2027,
        title="MQLs",
        kind=KeyResultKind.INCREASE,
        start_value=0,
        target_value=1000,
        current_value=100,
        last_check_in_at=t0,
        last_check_in_id="c0",
        upcoming=(
            Upcoming(t0 + minute, 200, 0.5, "c1"),
            Upcoming(t0 + 3 * minute, 300, None, "c2"),
        ),
    )
    assert kr.at(t0) is kr
    one = kr.at(t0 + minute)
    assert (one.current_value, one.confidence, one.last_check_in_id) == (200, 0.5, "c1")
    assert [u.check_in_id for u in one.upcoming] == ["c2"]
    both = kr.at(t0 + 5 * minute)
    assert (both.current_value, both.last_check_in_at, both.upcoming) == (300, t0 + 3 * minute, ())
    # One dated before the current value (a back-fill made ahead of a later check-in) leaves it.
    newer = replace(kr, last_check_in_at=t0 + 2 * minute, upcoming=kr.upcoming[:1])
    settled = newer.at(t0 + 5 * minute)
    assert (settled.current_value, settled.upcoming) == (100, ())
