"""Least-squares forecast to the cycle end (DOMAIN.md §3.3)."""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service.domain.forecast import Forecast, NoForecast, forecast
from service.domain.model import KeyResultKind
from service.domain.progress import Point
from service.domain.rules import MAX_MAGNITUDE, MIN_SPAN
from tests.domain.builders import at, points
from tests.strategies import instants

END = at(4, 1)


def mql_forecast(history: list[Point]) -> Forecast | NoForecast:
    return forecast(history, kind=KeyResultKind.INCREASE, start=0, target=1000, ends_at=END)


@pytest.mark.parametrize("count", [0, 1])
def test_fewer_than_two_check_ins_give_no_forecast_and_say_why(count: int) -> None:
    history = points((at(1, 11), 100))[:count]
    assert mql_forecast(history) == NoForecast(reason=f"needs at least 2 check-ins, has {count}")


def test_check_ins_all_at_one_instant_give_no_trend() -> None:
    result = mql_forecast(points((at(2, 1), 100), (at(2, 1), 300)))
    assert result == NoForecast(reason="all check-ins share one instant: no trend")


def test_slow_mql_trend_projects_below_target_and_trends_off_track() -> None:
    # 100 MQLs on Jan 11, 200 on Feb 10: 100 per 30 days, 80 more days to Apr 1.
    result = mql_forecast(points((at(1, 11), 100), (at(2, 10), 200)))
    assert isinstance(result, Forecast)
    assert result.projected_value == pytest.approx(200 + 100 * 50 / 30)
    assert result.projected_progress == pytest.approx(result.projected_value / 1000)
    assert result.trending_off_track is True
    assert result.based_on == 2


def test_fast_trend_projects_past_target_and_is_not_off_track() -> None:
    result = mql_forecast(points((at(1, 1), 0), (at(2, 15), 600), (at(1, 31), 400)))
    assert isinstance(result, Forecast)
    assert result.projected_value == pytest.approx(1200)
    assert result.projected_progress == 1.0
    assert result.trending_off_track is False
    assert result.based_on == 3


def test_decrease_forecast_reads_progress_downwards() -> None:
    history = points((at(1, 1), 50), (at(2, 15), 40))
    result = forecast(history, kind=KeyResultKind.DECREASE, start=50, target=35, ends_at=END)
    assert isinstance(result, Forecast)
    assert result.projected_value == pytest.approx(30)
    assert result.trending_off_track is False


def test_values_past_the_bounds_give_no_forecast_rather_than_infinity() -> None:
    huge = points((at(1, 10), -1.7e308), (at(2, 10), 1.7e308))
    assert mql_forecast(huge) == NoForecast(reason="the check-ins' values are too large to project")


bounded = st.floats(min_value=-MAX_MAGNITUDE, max_value=MAX_MAGNITUDE)


@settings(max_examples=200, deadline=None)
@given(
    history=st.lists(st.tuples(instants, bounded), min_size=2, max_size=6),
    start=bounded,
    span=st.floats(min_value=MIN_SPAN, max_value=MAX_MAGNITUDE),
    kind=st.sampled_from([KeyResultKind.INCREASE, KeyResultKind.DECREASE]),
)
def test_a_forecast_of_values_within_the_bounds_is_finite(
    history: list[tuple[datetime, float]], start: float, span: float, kind: KeyResultKind
) -> None:
    target = start + span if kind is KeyResultKind.INCREASE else start - span
    assume(abs(target) <= MAX_MAGNITUDE and abs(target - start) >= MIN_SPAN)
    made = forecast(points(*history), kind=kind, start=start, target=target, ends_at=END)
    if isinstance(made, Forecast):
        assert math.isfinite(made.projected_value)
        assert math.isfinite(made.projected_progress)
