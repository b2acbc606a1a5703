"""How an evaluation's numbers explain themselves, written when first read (`Progress.later`).

One recipe serves every key result of an evaluation and one every objective; each progress keeps
only what is its own: a key result its `KeyResult`, an objective a tuple of plain values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from service.domain.evaluated import Progress
from service.domain.explain import Explanation, ExplanationInput, fmt
from service.domain.model import KeyResult, Objective, Policy, ProgressStatus
from service.domain.progress import key_result_explanation, pace_reason

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
    """The explanation of any key result of an evaluation, from its progress: a held-back key
    result was ON_TRACK by pace (only those are held back)."""

    policy: Policy
    key_results: Mapping[str, KeyResult]  # to name the upstream key results holding one back

    def __call__(self, result: Progress, kr: KeyResult) -> Explanation:
        blockers = result.blocked_by
        status = ProgressStatus.ON_TRACK if blockers else result.status
        # A key result's progress always has a value and a current value.
        assert result.value is not None
        assert result.current is not None
        reason = pace_reason(
            status, progress_value=result.value, expected=result.expected, policy=self.policy
        )
        if blockers:
            names = ", ".join(self.key_results[b].title for b in blockers)
            reason = f"{reason}, but held back by upstream: {names}"
        return key_result_explanation(
            kind=kr.kind,
            start=kr.start_value,
            target=kr.target_value,
            current=result.current,
            status_reason=reason,
            policy=self.policy,
        )


# What an objective's explanation is written from: the number of its key results, then the id and
# progress value of each child, key results first. Plain values only: the garbage collector stops
# tracking such a tuple at its first look, and it keeps no child's `Progress` alive.
Children = tuple[int | str | float | None, ...]


@dataclass(frozen=True, slots=True)
class ObjectiveRecipe:
    """The explanation of any objective of an evaluation, from its progress and children."""

    policy: tuple[tuple[str, float], ...]
    key_results: Mapping[str, KeyResult]
    objectives: Mapping[str, Objective]

    def __call__(self, result: Progress, children: Children) -> Explanation:
        key_results = cast(int, children[0])
        inputs: list[ExplanationInput] = []
        for at in range(1, len(children), 2):
            node_id = cast(str, children[at])
            value = cast(float | None, children[at + 1])
            if at <= 2 * key_results:
                node: KeyResult | Objective = self.key_results[node_id]
                kind = "KeyResult"
            else:
                node = self.objectives[node_id]
                kind = "Objective"
            inputs.append(ExplanationInput(node.title, value, node.weight, node_id, kind))
        return rollup_explanation(
            "objective", self.policy, tuple(inputs), result.value, result.status
        )
