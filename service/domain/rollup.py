"""Rollups and statuses over the objective tree (DOMAIN.md §3.2, §3.3): a pure evaluation.

`evaluate` takes the key results, objectives and cycles of a scope plus each key result's reading
at `now`, and returns every key result's and objective's progress; cycle and department progress
are weighted means over that evaluation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from service.domain.explain import Explanation, ExplanationInput, fmt
from service.domain.model import Cycle, KeyResult, Objective, Policy, ProgressStatus
from service.domain.progress import (
    Reading,
    attainment,
    blocking_upstream,
    expected_progress,
    key_result_explanation,
    pace,
    pace_status,
    policy_items,
    progress,
)

WEIGHTED_MEAN = "sum(w_i * p_i) / sum(w_i)"

# Weakest first (DOMAIN.md §3.3): an objective takes the weakest status among its children.
STATUS_ORDER = (
    ProgressStatus.OFF_TRACK,
    ProgressStatus.AT_RISK,
    ProgressStatus.PENDING,
    ProgressStatus.ON_TRACK,
    ProgressStatus.ACHIEVED,
)


@dataclass(frozen=True, slots=True)
class Progress:
    """A computed progress: value, attainment, expected pace, status and its explanation."""

    value: float | None
    attainment: float | None
    expected: float
    status: ProgressStatus
    explanation: Explanation
    blocked_by: tuple[str, ...] = ()
    current: float | None = None


@dataclass(frozen=True, slots=True)
class Weighted:
    """One input of a rollup: a node's progress and weight (None progress is left out)."""

    node_id: str
    label: str
    value: float | None
    weight: float
    status: ProgressStatus
    node_kind: str = "Objective"


def weighted_mean(items: Iterable[tuple[float | None, float]]) -> float | None:
    """Σ wᵢ·pᵢ / Σ wᵢ over the items that have a value; None when none has."""
    total = 0.0
    weights = 0.0
    for value, weight in items:
        if value is not None:
            total += weight * value
            weights += weight
    if weights == 0:
        return None
    return total / weights


def weakest(statuses: Collection[ProgressStatus]) -> ProgressStatus:
    """The status of a parent from its children's (DOMAIN.md §3.3)."""
    started = [s for s in statuses if s is not ProgressStatus.NOT_STARTED]
    if not statuses:
        return ProgressStatus.PENDING
    if not started:
        return ProgressStatus.NOT_STARTED
    return min(started, key=STATUS_ORDER.index)


def combine(
    items: Sequence[Weighted],
    *,
    expected: float,
    what: str,
    policy: tuple[tuple[str, float], ...] = (),
) -> Progress:
    """The weighted rollup of `items`, with the explanation naming each input and the policy
    thresholds its children's statuses were judged by."""
    value = weighted_mean((i.value, i.weight) for i in items)
    status = weakest([i.status for i in items])

    def write() -> Explanation:
        counted = [i for i in items if i.value is not None]
        if value is None:
            formula = f"{what}: nothing to measure (null)"
        else:
            terms = " + ".join(f"{fmt(i.weight)}*{fmt(i.value)}" for i in counted)
            weights = " + ".join(fmt(i.weight) for i in counted)
            formula = f"{what}: {WEIGHTED_MEAN} = ({terms}) / ({weights}) = {fmt(value)}"
        reason = "nothing under it" if not items else f"weakest of its children: {status.value}"
        inputs = tuple(
            ExplanationInput(
                label=i.label,
                value=i.value,
                weight=i.weight,
                node_id=i.node_id,
                node_kind=i.node_kind,
            )
            for i in items
        )
        return Explanation(formula=formula, inputs=inputs, policy=policy, status_reason=reason)

    return Progress(
        value=value,
        attainment=None,
        expected=expected,
        status=status,
        explanation=Explanation.later(write),
    )


@dataclass(slots=True)
class Evaluation:
    """Every key result's and objective's progress in one scope at one instant."""

    now: datetime
    policy: Policy
    cycles: Mapping[str, Cycle]
    objectives: Mapping[str, Objective]
    key_results: Mapping[str, KeyResult]
    key_result_progress: dict[str, Progress] = field(default_factory=dict)
    objective_progress: dict[str, Progress] = field(default_factory=dict)

    def expected(self, cycle_id: str) -> float:
        """The expected progress of a cycle at `now`."""
        cycle = self.cycles[cycle_id]
        return expected_progress(cycle.starts_at, cycle.ends_at, self.now)

    def top_level(self, cycle_id: str) -> list[Objective]:
        """A cycle's objectives whose parent is absent or lives in another cycle.

        A parent outside the evaluation counts as absent, as it does for `evaluate`'s roots.
        """
        return [
            o
            for o in self.objectives.values()
            if o.cycle_id == cycle_id
            and (
                o.parent_id is None
                or o.parent_id not in self.objectives
                or self.objectives[o.parent_id].cycle_id != cycle_id
            )
        ]

    def cycle(self, cycle_id: str) -> Progress:
        """A cycle's progress: the weighted mean over its top-level objectives."""
        items = [self._objective_item(o) for o in self.top_level(cycle_id)]
        return combine(
            items, expected=self.expected(cycle_id), what="cycle", policy=policy_items(self.policy)
        )

    def department(self, department_id: str, cycle_ids: Collection[str], cycle_id: str) -> Progress:
        """A department's progress: the weighted mean over the key results it owns in cycles."""
        items = [
            self._key_result_item(k)
            for k in self.key_results.values()
            if k.department_id == department_id and k.cycle_id in cycle_ids
        ]
        return combine(
            items,
            expected=self.expected(cycle_id),
            what="department",
            policy=policy_items(self.policy),
        )

    def _objective_item(self, objective: Objective) -> Weighted:
        result = self.objective_progress[objective.id]
        return Weighted(
            objective.id, objective.title, result.value, objective.weight, result.status
        )

    def _key_result_item(self, key_result: KeyResult) -> Weighted:
        result = self.key_result_progress[key_result.id]
        return Weighted(
            key_result.id,
            key_result.title,
            result.value,
            key_result.weight,
            result.status,
            node_kind="KeyResult",
        )


def evaluate_key_result(
    key_result: KeyResult, reading: Reading, cycle: Cycle, *, now: datetime, policy: Policy
) -> Progress:
    """Steps 1-4: a key result's progress and pace status, before dependencies."""
    kr = key_result
    value = progress(kr.kind, kr.start_value, kr.target_value, reading.value)
    expected = expected_progress(cycle.starts_at, cycle.ends_at, now)
    status = pace(
        progress_value=value,
        checked_in=reading.checked_in,
        expected=expected,
        now=now,
        starts_at=cycle.starts_at,
        policy=policy,
    )

    return Progress(
        value=value,
        attainment=attainment(kr.kind, kr.start_value, kr.target_value, reading.value),
        expected=expected,
        status=status,
        current=reading.value,
        explanation=Explanation.later(
            _KeyResultWriting(kr, reading, value, expected, now, cycle.starts_at, policy)
        ),
    )


@dataclass(frozen=True, slots=True)
class _KeyResultWriting:
    """What a key result's explanation is written from, kept until it is read: one small
    object per key result (not a closure and its cells) because evaluations are large."""

    key_result: KeyResult
    reading: Reading
    value: float
    expected: float
    now: datetime
    starts_at: datetime
    policy: Policy

    def __call__(self) -> Explanation:
        kr = self.key_result
        _, reason = pace_status(
            progress_value=self.value,
            checked_in=self.reading.checked_in,
            expected=self.expected,
            now=self.now,
            starts_at=self.starts_at,
            policy=self.policy,
        )
        return key_result_explanation(
            kind=kr.kind,
            start=kr.start_value,
            target=kr.target_value,
            current=self.reading.value,
            status_reason=reason,
            policy=self.policy,
        )


def _held_back(result: Progress, blockers: tuple[str, ...], titles: Mapping[str, str]) -> Progress:
    def write() -> Explanation:
        names = ", ".join(titles[b] for b in blockers)
        explanation = result.explanation
        return Explanation(
            formula=explanation.formula,
            inputs=explanation.inputs,
            policy=explanation.policy,
            status_reason=f"{explanation.status_reason}, but held back by upstream: {names}",
        )

    return Progress(
        value=result.value,
        attainment=result.attainment,
        expected=result.expected,
        status=ProgressStatus.AT_RISK,
        current=result.current,
        blocked_by=blockers,
        explanation=Explanation.later(write),
    )


def evaluate(
    *,
    key_results: Iterable[KeyResult],
    objectives: Iterable[Objective],
    cycles: Mapping[str, Cycle],
    readings: Mapping[str, Reading],
    policy: Policy,
    now: datetime,
) -> Evaluation:
    """Evaluate a scope: every key result (with dependencies), then objectives bottom-up.

    `key_results` must include the upstream key results of those that depend on others (and
    `cycles` their cycles), or the dependency step cannot see them. Objectives whose parent is not
    among `objectives` are roots of the evaluation.
    """
    krs = {k.id: k for k in key_results}
    objs = {o.id: o for o in objectives}
    result = Evaluation(now=now, policy=policy, cycles=cycles, objectives=objs, key_results=krs)
    paced = {
        k.id: evaluate_key_result(k, readings[k.id], cycles[k.cycle_id], now=now, policy=policy)
        for k in krs.values()
    }
    pace = {kid: p.status for kid, p in paced.items()}
    titles = {k.id: k.title for k in krs.values()}
    for kid, paced_result in paced.items():
        blockers = blocking_upstream(paced_result.status, krs[kid].depends_on, pace)
        result.key_result_progress[kid] = (
            _held_back(paced_result, blockers, titles) if blockers else paced_result
        )

    key_results_of: dict[str, list[KeyResult]] = defaultdict(list)
    for k in krs.values():
        key_results_of[k.objective_id].append(k)
    children_of: dict[str, list[Objective]] = defaultdict(list)
    for o in objs.values():
        if o.parent_id is not None and o.parent_id in objs:
            children_of[o.parent_id].append(o)

    def visit(objective: Objective) -> Progress:
        for child in children_of[objective.id]:
            visit(child)
        items = [result._key_result_item(k) for k in key_results_of[objective.id]]
        items += [result._objective_item(c) for c in children_of[objective.id]]
        done = combine(
            items,
            expected=result.expected(objective.cycle_id),
            what="objective",
            policy=policy_items(policy),
        )
        result.objective_progress[objective.id] = done
        return done

    for objective in objs.values():
        if objective.parent_id is None or objective.parent_id not in objs:
            visit(objective)
    return result


__all__ = [
    "STATUS_ORDER",
    "Evaluation",
    "Progress",
    "Weighted",
    "combine",
    "evaluate",
    "evaluate_key_result",
    "policy_items",
    "weakest",
    "weighted_mean",
]
