"""Key result math (DOMAIN.md §3.1, §3.3, §3.4, §6) on the seed's numbers and the edge cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.domain.model import KeyResultKind, Policy, ProgressStatus
from service.domain.progress import (
    Point,
    Reading,
    attainment,
    blocking_upstream,
    clamp,
    expected_progress,
    key_result_explanation,
    newest,
    pace_status,
    progress,
    progress_formula,
    reading,
    score,
    score_band,
    silent_since,
)
from tests.domain.builders import at, points

INCREASE = KeyResultKind.INCREASE
DECREASE = KeyResultKind.DECREASE
AT_LEAST = KeyResultKind.AT_LEAST
AT_MOST = KeyResultKind.AT_MOST
MILESTONE = KeyResultKind.MILESTONE

START, END = at(1, 1), at(4, 1)
MID = at(2, 15)  # exactly half of 2027-Q1: 45 of 90 days


def test_mqls_from_0_to_1000_at_200_are_a_fifth_done() -> None:
    assert attainment(INCREASE, 0, 1000, 200) == pytest.approx(0.2)
    assert progress(INCREASE, 0, 1000, 200) == pytest.approx(0.2)


def test_deals_from_40_to_50_at_45_are_half_done() -> None:
    assert progress(INCREASE, 40, 50, 45) == pytest.approx(0.5)


def test_increase_keeps_overachievement_in_attainment_but_caps_progress() -> None:
    assert attainment(INCREASE, 0, 1000, 1300) == pytest.approx(1.3)
    assert progress(INCREASE, 0, 1000, 1300) == 1.0


def test_increase_below_start_is_no_progress() -> None:
    assert attainment(INCREASE, 40, 50, 30) == pytest.approx(-1.0)
    assert progress(INCREASE, 40, 50, 30) == 0.0


def test_decrease_cost_per_lead_from_50_to_35_at_44_is_forty_percent() -> None:
    assert progress(DECREASE, 50, 35, 44) == pytest.approx(0.4)
    assert progress(DECREASE, 50, 35, 20) == 1.0
    assert progress(DECREASE, 50, 35, 60) == 0.0


@pytest.mark.parametrize(
    ("current", "want_attainment", "want_progress"),
    [(99.5, 1.0, 1.0), (99.0, 1.0, 1.0), (90.0, 90 / 99, 0.0), (-5.0, -5 / 99, 0.0)],
)
def test_at_least_guardrail_is_all_or_nothing(
    current: float, want_attainment: float, want_progress: float
) -> None:
    assert attainment(AT_LEAST, 100, 99, current) == pytest.approx(want_attainment)
    assert progress(AT_LEAST, 100, 99, current) == want_progress


@pytest.mark.parametrize("target", [0.0, -10.0])
def test_at_least_with_target_at_or_below_zero_has_zero_attainment_when_missed(
    target: float,
) -> None:
    assert attainment(AT_LEAST, 5, target, target - 1) == 0.0
    assert progress(AT_LEAST, 5, target, target) == 1.0


@pytest.mark.parametrize(
    ("current", "want_attainment", "want_progress"),
    [(1.0, 1.0, 1.0), (2.0, 1.0, 1.0), (4.0, 0.5, 0.0)],
)
def test_at_most_guardrail_is_all_or_nothing(
    current: float, want_attainment: float, want_progress: float
) -> None:
    assert attainment(AT_MOST, 1, 2, current) == pytest.approx(want_attainment)
    assert progress(AT_MOST, 1, 2, current) == want_progress


@pytest.mark.parametrize(("target", "current"), [(-5.0, 0.0), (-5.0, -2.0)])
def test_at_most_with_current_at_or_below_zero_has_zero_attainment_when_missed(
    target: float, current: float
) -> None:
    assert attainment(AT_MOST, -10, target, current) == 0.0
    assert progress(AT_MOST, -10, target, current) == 0.0


@pytest.mark.parametrize(("current", "want"), [(0.0, 0.0), (0.99, 0.0), (1.0, 1.0), (3.0, 1.0)])
def test_milestone_is_done_from_one(current: float, want: float) -> None:
    assert attainment(MILESTONE, 0, 1, current) == want
    assert progress(MILESTONE, 0, 1, current) == want


def test_clamp_limits_to_the_bounds() -> None:
    assert clamp(-0.5) == 0.0
    assert clamp(1.5) == 1.0
    assert clamp(0.25) == 0.25
    assert clamp(7, 2, 5) == 5


def test_reading_before_any_check_in_is_the_start_value() -> None:
    assert reading(40, [], as_of=MID) == Reading(value=40, checked_in=False)


def test_reading_ignores_check_ins_made_after_now() -> None:
    history = points((at(1, 10), 42), (at(3, 1), 48))
    assert reading(40, history, as_of=MID) == Reading(value=42, checked_in=True)
    assert reading(40, history, as_of=at(1, 5)) == Reading(value=40, checked_in=False)


def test_newest_check_in_by_time_wins_over_the_one_written_last() -> None:
    late_written_early_made = points((at(2, 10), 200), (at(1, 11), 100))
    assert reading(0, late_written_early_made, as_of=MID).value == 200


def test_newest_breaks_ties_between_equal_instants_by_key() -> None:
    a = Point(at=at(2, 1), value=1, key="a")
    b = Point(at=at(2, 1), value=2, key="b")
    assert newest([a, b]) == b
    assert newest([b, a]) == b


def test_newest_without_as_of_considers_every_point() -> None:
    history = points((at(1, 10), 1), (at(12, 1), 2))
    assert newest(history) == history[1]
    assert newest([]) is None


def test_expected_progress_is_the_elapsed_share_of_the_cycle() -> None:
    assert expected_progress(START, END, MID) == 0.5
    assert expected_progress(START, END, at(12, 1, 2026)) == 0.0
    assert expected_progress(START, END, at(5, 1)) == 1.0


DEFAULT_POLICY = Policy()


def pace(
    value: float,
    *,
    checked_in: bool = True,
    policy: Policy = DEFAULT_POLICY,
    created_at: datetime | None = None,
    now: datetime = MID,
) -> tuple[ProgressStatus, str]:
    """The pace status of `value` in 2027-Q1, half-way through it (expected 0.5) unless told."""
    return pace_status(
        progress_value=value,
        checked_in=checked_in,
        expected=expected_progress(START, END, now),
        now=now,
        starts_at=START,
        created_at=created_at,
        policy=policy,
    )


def test_pace_status_on_track_at_three_quarters_of_the_pace() -> None:
    status, reason = pace(0.375)
    assert status is ProgressStatus.ON_TRACK
    assert reason == "progress 0.375 >= 0.75 x expected 0.5"


def test_pace_status_at_risk_between_half_and_three_quarters_of_the_pace() -> None:
    status, reason = pace(0.25)
    assert status is ProgressStatus.AT_RISK
    assert reason == "0.5 x expected 0.5 <= progress 0.25 < 0.75 x expected 0.5"


def test_pace_status_off_track_below_half_the_pace() -> None:
    status, reason = pace(0.2)
    assert status is ProgressStatus.OFF_TRACK
    assert reason == "progress 0.2 < 0.5 x expected 0.5"


def test_pace_status_follows_the_organization_policy() -> None:
    strict = Policy(on_track_ratio=1.0, at_risk_ratio=0.9)
    assert pace(0.45, policy=strict)[0] is ProgressStatus.AT_RISK
    assert pace(0.44, policy=strict)[0] is ProgressStatus.OFF_TRACK


def test_no_check_in_inside_the_grace_period_is_pending_not_green() -> None:
    status, reason = pace(0.0, checked_in=False, now=datetime(2027, 1, 14, 23, tzinfo=UTC))
    assert status is ProgressStatus.PENDING
    assert reason == (
        "no check-in yet, pending until 2027-01-15: 14 days after 2027-01-01"
        " (silence is never green)"
    )


def test_no_check_in_past_the_grace_period_is_paced_at_the_start_value() -> None:
    # 14 days after the cycle started, silence is no longer excused.
    status, reason = pace(0.0, checked_in=False, now=at(1, 15))
    assert status is ProgressStatus.OFF_TRACK
    assert reason == (
        "no check-in since 2027-01-01, paced at the start value: progress 0 < 0.5 x expected"
        " 0.155556"
    )


def test_silence_is_judged_by_pace_like_any_value() -> None:
    # A guardrail held at its start value, or a key result that starts part of the way.
    status, reason = pace(0.4, checked_in=False)
    assert status is ProgressStatus.ON_TRACK
    assert reason == (
        "no check-in since 2027-01-01, paced at the start value:"
        " progress 0.4 >= 0.75 x expected 0.5"
    )


def test_the_grace_period_starts_when_a_key_result_is_created_inside_its_cycle() -> None:
    made = datetime(2027, 2, 10, 9, 30, tzinfo=UTC)
    status, reason = pace(0.0, checked_in=False, created_at=made)
    assert status is ProgressStatus.PENDING
    assert "pending until 2027-02-24 09:30:00 UTC: 14 days after 2027-02-10 09:30:00 UTC" in reason
    status, reason = pace(
        0.0, checked_in=False, created_at=made, now=datetime(2027, 2, 24, 10, tzinfo=UTC)
    )
    assert status is ProgressStatus.OFF_TRACK
    assert reason.startswith("no check-in since 2027-02-10 09:30:00 UTC, paced at the start value")


def test_a_key_result_created_before_its_cycle_is_silent_from_the_cycle_start() -> None:
    assert pace(0.0, checked_in=False, created_at=at(11, 1, 2026))[0] is ProgressStatus.OFF_TRACK
    assert silent_since(START, at(11, 1, 2026)) == START
    assert silent_since(START, None) == START
    assert silent_since(START, MID) == MID


def test_the_grace_period_follows_the_policy() -> None:
    short = Policy(stale_after_days=3)
    assert pace(0.0, checked_in=False, now=at(1, 3), policy=short)[0] is ProgressStatus.PENDING
    assert pace(0.0, checked_in=False, now=at(1, 4), policy=short)[0] is ProgressStatus.OFF_TRACK
    long = Policy(stale_after_days=60)
    assert pace(0.0, checked_in=False, policy=long)[0] is ProgressStatus.PENDING


def test_a_check_in_ends_the_grace_period_at_once() -> None:
    assert pace(0.0, checked_in=True, now=at(1, 3))[0] is ProgressStatus.OFF_TRACK


def test_before_the_cycle_is_not_started_even_without_check_in() -> None:
    status, reason = pace(0.0, checked_in=False, now=at(12, 20, 2026))
    assert status is ProgressStatus.NOT_STARTED
    assert reason == "the cycle has not started"


def test_achieved_wins_over_not_started_and_pending() -> None:
    for now in (at(12, 20, 2026), at(1, 2), MID):
        status, reason = pace(1.0, checked_in=False, now=now)
        assert status is ProgressStatus.ACHIEVED
        assert reason == "progress 1 >= 1"


def test_blocking_upstream_names_lagging_upstream_of_an_on_track_key_result() -> None:
    upstream = {
        "mql": ProgressStatus.OFF_TRACK,
        "ads": ProgressStatus.AT_RISK,
        "seo": ProgressStatus.ON_TRACK,
        "web": ProgressStatus.PENDING,
    }
    blockers = blocking_upstream(
        ProgressStatus.ON_TRACK, ["mql", "ads", "seo", "web", "gone"], upstream
    )
    assert blockers == ("mql", "ads")


@pytest.mark.parametrize("status", [s for s in ProgressStatus if s is not ProgressStatus.ON_TRACK])
def test_blocking_upstream_leaves_other_statuses_alone(status: ProgressStatus) -> None:
    assert blocking_upstream(status, ["mql"], {"mql": ProgressStatus.OFF_TRACK}) == ()


@pytest.mark.parametrize(
    ("value", "want"), [(0.666, 0.67), (0.664, 0.66), (1.0, 1.0), (0.0, 0.0), (0.4449, 0.44)]
)
def test_score_is_progress_rounded_to_two_decimals(value: float, want: float) -> None:
    assert score(value) == want


@pytest.mark.parametrize(
    ("value", "want"), [(0.695, 0.7), (0.125, 0.13), (0.285, 0.29), (0.145, 0.15), (1e-05, 0.0)]
)
def test_score_rounds_half_up_as_the_number_is_written(value: float, want: float) -> None:
    # Each of these lies just below its half in binary: `round` gives the cent below.
    assert round(value, 2) < want or want == 0.0
    assert score(value) == want


def test_a_score_of_0_695_is_strong_not_partial() -> None:
    assert score_band(score(0.695)) == "STRONG"


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (1.0, "STRONG"),
        (0.7, "STRONG"),
        (0.69, "PARTIAL"),
        (0.4, "PARTIAL"),
        (0.39, "LITTLE"),
        (0.0, "LITTLE"),
    ],
)
def test_score_band_reads_google_style(value: float, band: str) -> None:
    assert score_band(value) == band


@pytest.mark.parametrize("kind", list(KeyResultKind))
def test_every_kind_has_a_formula(kind: KeyResultKind) -> None:
    assert progress_formula(kind)


def test_key_result_explanation_names_formula_inputs_and_policy() -> None:
    explanation = key_result_explanation(
        kind=INCREASE,
        start=40,
        target=50,
        current=45,
        status_reason="because",
        policy=Policy(on_track_ratio=0.8, at_risk_ratio=0.4),
    )
    assert explanation.formula == (
        "INCREASE: clamp((current - start) / (target - start), 0, 1)"
        " = clamp((45 - 40) / (50 - 40), 0, 1) = 0.5"
    )
    assert [(i.label, i.value) for i in explanation.inputs] == [
        ("start", 40),
        ("target", 50),
        ("current", 45),
    ]
    assert explanation.policy == (("onTrackRatio", 0.8), ("atRiskRatio", 0.4))
    assert explanation.status_reason == "because"
