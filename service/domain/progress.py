"""Key result math (DOMAIN.md §3.1, §3.3, §3.4, §6): pure functions of plain values and `now`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from service.domain.explain import Explanation, ExplanationInput, fmt, fmt_instant
from service.domain.model import KeyResultKind, Policy, ProgressStatus


@dataclass(frozen=True, slots=True)
class Point:
    """A value observed at an instant; `key` breaks ties between equal instants."""

    at: datetime
    value: float
    key: str = ""


@dataclass(frozen=True, slots=True)
class Reading:
    """A key result's value at an instant: the newest check-in by time, or the start value."""

    value: float
    checked_in: bool


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    """`value` limited to [low, high]."""
    return max(low, min(high, value))


def newest(points: Iterable[Point], *, as_of: datetime | None = None) -> Point | None:
    """The point with the latest time (ties broken by key) at or before `as_of`.

    The result depends only on the set of points, never on the order they arrive in.
    """
    eligible = [p for p in points if as_of is None or p.at <= as_of]
    if not eligible:
        return None
    return max(eligible, key=lambda p: (p.at, p.key))


def reading(start_value: float, points: Iterable[Point], *, as_of: datetime) -> Reading:
    """The value as it stood at `as_of` (DOMAIN.md §6): later check-ins are not yet made."""
    latest = newest(points, as_of=as_of)
    if latest is None:
        return Reading(value=start_value, checked_in=False)
    return Reading(value=latest.value, checked_in=True)


def attainment(kind: KeyResultKind, start: float, target: float, current: float) -> float:
    """How far the value went, uncapped (above 1 is over-achievement) (DOMAIN.md §3.1)."""
    if kind is KeyResultKind.INCREASE:
        return (current - start) / (target - start)
    if kind is KeyResultKind.DECREASE:
        return (start - current) / (start - target)
    if kind is KeyResultKind.AT_LEAST:
        if current >= target:
            return 1.0
        return current / target if target > 0 else 0.0
    if kind is KeyResultKind.AT_MOST:
        if current <= target:
            return 1.0
        return target / current if current > 0 else 0.0
    return 1.0 if current >= 1 else 0.0


def progress(kind: KeyResultKind, start: float, target: float, current: float) -> float:
    """Progress in [0, 1]: attainment capped, guardrails and milestones all-or-nothing."""
    return capped(kind, attainment(kind, start, target, current))


def capped(kind: KeyResultKind, attainment_value: float) -> float:
    """The progress that an attainment of `kind` gives (for callers that need both)."""
    if kind in (KeyResultKind.AT_LEAST, KeyResultKind.AT_MOST):
        return 1.0 if attainment_value >= 1 else 0.0
    return clamp(attainment_value)


_FORMULAS = {
    KeyResultKind.INCREASE: "clamp((current - start) / (target - start), 0, 1)",
    KeyResultKind.DECREASE: "clamp((start - current) / (start - target), 0, 1)",
    KeyResultKind.AT_LEAST: "1 if current >= target else 0 (guardrail)",
    KeyResultKind.AT_MOST: "1 if current <= target else 0 (guardrail)",
    KeyResultKind.MILESTONE: "1 if current >= 1 (done) else 0",
}


def progress_formula(kind: KeyResultKind) -> str:
    """The formula of `progress` for one kind, as text."""
    return _FORMULAS[kind]


def expected_progress(starts_at: datetime, ends_at: datetime, now: datetime) -> float:
    """The share of the cycle [starts_at, ends_at) elapsed at `now`, in [0, 1] (DOMAIN.md §3.3)."""
    return clamp((now - starts_at) / (ends_at - starts_at))


def policy_items(policy: Policy) -> tuple[tuple[str, float], ...]:
    """The pace thresholds a status used, as named values for an explanation."""
    return (("onTrackRatio", policy.on_track_ratio), ("atRiskRatio", policy.at_risk_ratio))


def silent_since(starts_at: datetime, created_at: datetime | None) -> datetime:
    """Since when a key result without a check-in has been silent: its cycle's start, or its
    creation when that is later (None: as old as its cycle)."""
    return starts_at if created_at is None or created_at < starts_at else created_at


def grace_period(policy: Policy) -> timedelta:
    """How long silence is excused as PENDING: the policy's `stale_after_days`."""
    return timedelta(days=policy.stale_after_days)


def pace(
    *,
    progress_value: float,
    checked_in: bool,
    expected: float,
    now: datetime,
    starts_at: datetime,
    created_at: datetime | None,
    policy: Policy,
) -> ProgressStatus:
    """Steps 1-4 of DOMAIN.md §3.3, first match wins: the status alone, without words.

    Without a check-in a key result is PENDING only inside its grace period; past it, it is
    paced at the value it has, its start value ("silence is never green")."""
    p = progress_value
    if p >= 1:
        return ProgressStatus.ACHIEVED
    if now < starts_at:
        return ProgressStatus.NOT_STARTED
    if not checked_in and now - silent_since(starts_at, created_at) < grace_period(policy):
        return ProgressStatus.PENDING
    if p >= policy.on_track_ratio * expected:
        return ProgressStatus.ON_TRACK
    if p >= policy.at_risk_ratio * expected:
        return ProgressStatus.AT_RISK
    return ProgressStatus.OFF_TRACK


def pace_status(
    *,
    progress_value: float,
    checked_in: bool,
    expected: float,
    now: datetime,
    starts_at: datetime,
    created_at: datetime | None,
    policy: Policy,
) -> tuple[ProgressStatus, str]:
    """Steps 1-4 of DOMAIN.md §3.3, first match wins; returns the status and why."""
    status = pace(
        progress_value=progress_value,
        checked_in=checked_in,
        expected=expected,
        now=now,
        starts_at=starts_at,
        created_at=created_at,
        policy=policy,
    )
    return status, pace_reason(
        status,
        progress_value=progress_value,
        expected=expected,
        policy=policy,
        silent_since=None if checked_in else silent_since(starts_at, created_at),
    )


def pace_reason(
    status: ProgressStatus,
    *,
    progress_value: float,
    expected: float,
    policy: Policy,
    silent_since: datetime | None,
) -> str:
    """Why `pace` gave `status` (steps 1-4 of DOMAIN.md §3.3), in words; `silent_since` is
    when the silence of a key result without a check-in began (None: it has one)."""
    p, e = progress_value, expected
    if status is ProgressStatus.ACHIEVED:
        return f"progress {fmt(p)} >= 1"
    if status is ProgressStatus.NOT_STARTED:
        return "the cycle has not started"
    if status is ProgressStatus.PENDING:
        assert silent_since is not None  # only a key result without a check-in is PENDING
        until = silent_since + grace_period(policy)
        return (
            f"no check-in yet, pending until {fmt_instant(until)}: {policy.stale_after_days} days"
            f" after {fmt_instant(silent_since)} (silence is never green)"
        )
    if status is ProgressStatus.ON_TRACK:
        reason = f"progress {fmt(p)} >= {fmt(policy.on_track_ratio)} x expected {fmt(e)}"
    elif status is ProgressStatus.AT_RISK:
        reason = (
            f"{fmt(policy.at_risk_ratio)} x expected {fmt(e)} <= progress {fmt(p)}"
            f" < {fmt(policy.on_track_ratio)} x expected {fmt(e)}"
        )
    else:
        reason = f"progress {fmt(p)} < {fmt(policy.at_risk_ratio)} x expected {fmt(e)}"
    if silent_since is None:
        return reason
    return f"no check-in since {fmt_instant(silent_since)}, paced at the start value: {reason}"


_LAGGING = (ProgressStatus.AT_RISK, ProgressStatus.OFF_TRACK)


def blocking_upstream(
    status: ProgressStatus,
    depends_on: Sequence[str],
    upstream_status: Mapping[str, ProgressStatus],
) -> tuple[str, ...]:
    """Step 5 of DOMAIN.md §3.3: the upstream key results that hold an ON_TRACK one back.

    `upstream_status` holds the final status (after step 5) of each upstream key result, so
    that lateness flows down a chain; one that is missing (deleted, or outside what was loaded)
    holds nothing back.
    """
    if status is not ProgressStatus.ON_TRACK:
        return ()
    return tuple(u for u in depends_on if upstream_status.get(u) in _LAGGING)


_CENTS = Decimal("0.01")


def score(progress_value: float) -> float:
    """The frozen score at close (DOMAIN.md §3.4): progress rounded to 2 decimals half-up on
    the number's shortest decimal form, as a person rounds it by hand: 0.695 is 0.70 and 0.125
    is 0.13. `round` works on the binary value instead, which lies just below 0.695, and would
    drop a score to a lower band (0.69, PARTIAL)."""
    return float(Decimal(repr(progress_value)).quantize(_CENTS, rounding=ROUND_HALF_UP))


def score_band(score_value: float) -> str:
    """Google-style reading of a score: STRONG (>= 0.7), PARTIAL (>= 0.4) or LITTLE."""
    if score_value >= 0.7:
        return "STRONG"
    if score_value >= 0.4:
        return "PARTIAL"
    return "LITTLE"


def key_result_inputs(
    start: float, target: float, current: float
) -> tuple[ExplanationInput, ExplanationInput, ExplanationInput]:
    """The three values every key result formula reads."""
    return (
        ExplanationInput(label="start", value=start),
        ExplanationInput(label="target", value=target),
        ExplanationInput(label="current", value=current),
    )


def key_result_explanation(
    *,
    kind: KeyResultKind,
    start: float,
    target: float,
    current: float,
    status_reason: str,
    policy: Policy,
) -> Explanation:
    """The explanation of a key result's progress and status; the formula is written out and
    then again with the values put in, as a person would check it."""
    named = {"start": start, "target": target, "current": current}
    filled = re.sub(
        r"\b(start|target|current)\b", lambda m: fmt(named[m[1]]), progress_formula(kind)
    )
    result = fmt(progress(kind, start, target, current))
    return Explanation(
        formula=f"{kind.value}: {progress_formula(kind)} = {filled} = {result}",
        inputs=key_result_inputs(start, target, current),
        policy=policy_items(policy),
        status_reason=status_reason,
    )
