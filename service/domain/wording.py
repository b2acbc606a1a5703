"""How an evaluation's numbers explain themselves, written when first read (`Standing.later`).

One recipe serves every key result of an evaluation and one every objective; each progress keeps
only what is its own: its position in the evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from service.domain.explain import Explanation, ExplanationInput, OverrideNote, fmt, fmt_instant
from service.domain.model import Policy, ProgressStatus
from service.domain.plan import Plan
from service.domain.progress import (
    key_result_explanation,
    pace_reason,
    policy_items,
    silent_since,
)
from service.domain.standing import Standing

WEIGHTED_MEAN = "sum(w_i * p_i) / sum(w_i)"


def rollup_explanation(
    what: str,
    policy: tuple[tuple[str, float], ...],
    inputs: tuple[ExplanationInput, ...],
    value: float | None,
    status: ProgressStatus,
) -> Explanation:
    """A weighted mean's explanation: the formula with each counted input put in."""
    counted = [i for i in inputs if i.value is not None]
    if value is None:
        formula = f"{what}: nothing to measure (null)"
    else:
        terms = " + ".join(f"{fmt(i.weight)}*{fmt(i.value)}" for i in counted)
        weights = " + ".join(fmt(i.weight) for i in counted)
        formula = f"{what}: {WEIGHTED_MEAN} = ({terms}) / ({weights}) = {fmt(value)}"
    reason = "nothing under it" if not inputs else f"weakest of its children: {status.value}"
    return Explanation(formula=formula, inputs=inputs, policy=policy, status_reason=reason)


@dataclass(frozen=True, slots=True)
class KeyResultRecipe:
    """The explanation of any key result of an evaluation, from its progress and its position
    in the evaluation's plan: a held-back key result was ON_TRACK by pace (only those are held
    back), and one without a check-in says since when it has been silent."""

    policy: Policy
    plan: Plan
    checked_in: bytearray  # the evaluation's readings: checked in or not, by position

    def __call__(self, result: Standing, at: int) -> Explanation:
        plan = self.plan
        kr = plan.key_result_list[at]
        blockers = result.blocked_by
        status = ProgressStatus.ON_TRACK if blockers else result.status
        # A key result's progress always has a value and a current value.
        assert result.value is not None
        assert result.current is not None
        since = None
        if not self.checked_in[at]:
            cycle = plan.shape.cycles[plan.shape.key_result_cycle[at]]
            since = silent_since(cycle.starts_at, kr.created_at)
        reason = pace_reason(
            status,
            progress_value=result.value,
            expected=result.expected,
            policy=self.policy,
            silent_since=since,
        )
        if blockers:
            names = ", ".join(plan.key_results[b].title for b in blockers)
            reason = f"{reason}, but held back by upstream: {names}"
        return key_result_explanation(
            kind=kr.kind,
            start=kr.start_value,
            target=kr.target_value,
            current=result.current,
            status_reason=reason,
            policy=self.policy,
        )


@dataclass(frozen=True, slots=True)
class ObjectiveRecipe:
    """The explanation of any objective of an evaluation, from its progress and what the
    evaluation says it added up (`inputs_of` the position the progress kept), or the override
    that holds for it (`override_of`)."""

    policy: Policy
    items: tuple[tuple[str, float], ...]
    inputs_of: Callable[[int], tuple[ExplanationInput, ...]]
    override_of: Callable[[int], OverrideNote | None]

    def __call__(self, result: Standing, at: int) -> Explanation:
        inputs = self.inputs_of(at)
        note = self.override_of(at)
        if note is None:
            return rollup_explanation("objective", self.items, inputs, result.value, result.status)
        assert result.value is not None  # an override always has a value
        return override_explanation(
            note,
            inputs=inputs,
            policy=self.policy,
            status=result.status,
            expected=result.expected,
        )


def override_explanation(
    note: OverrideNote,
    *,
    inputs: tuple[ExplanationInput, ...],
    policy: Policy,
    status: ProgressStatus,
    expected: float,
) -> Explanation:
    """An overridden objective's explanation: the override (who, when, why, until when) and
    the weighted mean it stands in for, with the status paced from the override."""
    held = note.override
    computed = rollup_explanation("computed", (), inputs, note.computed, status).formula
    who = held.set_by or "an unknown author"
    until = (
        f" until {fmt_instant(held.expires_at)}"
        if held.expires_at is not None
        else " until cleared"
    )
    reason = pace_reason(
        status, progress_value=held.value, expected=expected, policy=policy, silent_since=None
    )
    return Explanation(
        formula=f"objective: set by hand = {fmt(held.value)} (instead of {computed})",
        inputs=inputs,
        policy=policy_items(policy),
        status_reason=(
            f"{reason}; progress set by hand by {who} at {fmt_instant(held.set_at)}{until}: "
            f"{held.reason}"
        ),
        override=note,
    )
