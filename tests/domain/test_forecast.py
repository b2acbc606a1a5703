"""Least-squares forecast to the cycle end (DOMAIN.md §3.3)."""

from __future__ import annotations

import pytest

from service.domain.forecast import Forecast, NoForecast, forecast
from service.domain.model import KeyResultKind
from service.domain.progress import Point
from tests.domain.builders import at, points

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
