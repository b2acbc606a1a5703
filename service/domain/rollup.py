"""Rollups and statuses over the objective tree (DOMAIN.md §3.2, §3.3): a pure evaluation.

`evaluate` takes the key results, objectives and cycles of a scope plus each key result's reading
at `now`, and returns every key result's and objective's progress; cycle and department progress
are weighted means over that evaluation.

An evaluation of a large organization holds hundreds of thousands of nodes, and the garbage
collector's work grows with every object it keeps: a node costs one `Progress` (its explanation a
recipe, see `service.domain.evaluated`), an objective adds one tuple of plain values, which the
collector soon stops tracking, and each key result is read once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from service.domain.evaluated import Progress
from service.domain.explain import Explanation, ExplanationInput
from service.domain.model import Cycle, KeyResult, Objective, Policy, ProgressStatus
from service.domain.progress import (
    Reading,
    attainment,
    blocking_upstream,
    capped,
    expected_progress,
    pace,
    policy_items,
)
from service.domain.recipes import (
    WEIGHTED_MEAN,
    KeyResultRecipe,
    ObjectiveRecipe,
    rollup_explanation,
)

if TYPE_CHECKING:
    from service.domain.incremental import Structure

# Weakest first (DOMAIN.md §3.3): an objective takes the weakest status among its children.
STATUS_ORDER = (
    ProgressStatus.OFF_TRACK,
    ProgressStatus.AT_RISK,
    ProgressStatus.PENDING,
    ProgressStatus.ON_TRACK,
    ProgressStatus.ACHIEVED,
)
# `weakest` by rank: NOT_STARTED ranks after every other status, so it is the weakest only when
# all children are NOT_STARTED, and the rank past it stands for "nothing under it" (PENDING).
_BY_RANK = (*STATUS_ORDER, ProgressStatus.NOT_STARTED, ProgressStatus.PENDING)
_RANK = {status: rank for rank, status in enumerate(_BY_RANK[:-1])}
_NOTHING_UNDER = len(_BY_RANK) - 1


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
    return _BY_RANK[min((_RANK[s] for s in statuses), default=_NOTHING_UNDER)]


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
        return rollup_explanation(what, policy, inputs, value, status)

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
    # The scope's shape as `reevaluate` reads it, which no reading changes: made on its first use
    # and shared by the evaluations it returns (`service.domain.incremental`).
    structure: Structure | None = field(default=None, init=False, repr=False, compare=False)
    # Rollups of cycles and departments asked of it so far: pure functions of the evaluation,
    # asked again by every request that shares it (a department's walks every key result).
    _rollups: dict[tuple[object, ...], Progress] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

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
        return self._rolled_up(
            ("cycle", cycle_id),
            cycle_id,
            lambda: [self._item(o, self.objective_progress) for o in self.top_level(cycle_id)],
        )

    def department(self, department_id: str, cycle_ids: Collection[str], cycle_id: str) -> Progress:
        """A department's progress: the weighted mean over the key results it owns in cycles."""
        return self._rolled_up(
            ("department", department_id, cycle_id, frozenset(cycle_ids)),
            cycle_id,
            lambda: [
                self._item(k, self.key_result_progress)
                for k in self.key_results.values()
                if k.department_id == department_id and k.cycle_id in cycle_ids
            ],
        )

    def _rolled_up(
        self, key: tuple[object, ...], cycle_id: str, items: Callable[[], list[Weighted]]
    ) -> Progress:
        """The rollup named `key` (its kind first) of `items`, paced by `cycle_id`: made on its
        first use and kept."""
        found = self._rollups.get(key)
        if found is None:
            found = self._rollups[key] = combine(
                items(),
                expected=self.expected(cycle_id),
                what=str(key[0]),
                policy=policy_items(self.policy),
            )
        return found

    @staticmethod
    def _item(node: KeyResult | Objective, progress: Mapping[str, Progress]) -> Weighted:
        result = progress[node.id]
        kind = "KeyResult" if isinstance(node, KeyResult) else "Objective"
        return Weighted(node.id, node.title, result.value, node.weight, result.status, kind)


def evaluate_key_result(
    key_result: KeyResult, reading: Reading, cycle: Cycle, *, now: datetime, policy: Policy
) -> Progress:
    """Steps 1-4: a key result's progress and pace status, before dependencies."""
    expected = expected_progress(cycle.starts_at, cycle.ends_at, now)
    return _paced(key_result, reading, expected, cycle.starts_at, now, KeyResultRecipe(policy, {}))


def _paced(
    kr: KeyResult,
    reading: Reading,
    expected: float,
    starts_at: datetime,
    now: datetime,
    recipe: KeyResultRecipe,
) -> Progress:
    reached = attainment(kr.kind, kr.start_value, kr.target_value, reading.value)
    value = capped(kr.kind, reached)
    status = pace(
        progress_value=value,
        checked_in=reading.checked_in,
        expected=expected,
        now=now,
        starts_at=starts_at,
        policy=recipe.policy,
    )
    return Progress.later(recipe, kr, value, reached, expected, status, current=reading.value)


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
    tallies = _evaluate_key_results(result, readings)
    _evaluate_objectives(result, tallies)
    return result


# An objective's tally while its children are evaluated: the running Σ wᵢ·pᵢ and Σ wᵢ, the rank
# of its weakest status so far, then the id and progress value of each child, flat. A key result
# is tallied as it is evaluated, so that each key result is read once.
_Tally = list[Any]


def _evaluate_key_results(result: Evaluation, readings: Mapping[str, Reading]) -> dict[str, _Tally]:
    """Steps 1-5 for every key result; returns the tally of each objective's key results."""
    cycles = result.cycles
    now = result.now
    recipe = KeyResultRecipe(result.policy, result.key_results)
    expected_in: dict[str, float] = {}
    paced_all: list[Progress] = []
    tallies: dict[str, _Tally] = {}
    # Key results of one objective, and of one cycle, tend to come together: the cycle and the
    # tally of the previous key result are looked up again only when they change.
    timed = tallied = None
    starts_at = now
    expected = 0.0
    tally: _Tally = []
    may_be_held: list[KeyResult] = []
    for kid, kr in result.key_results.items():
        reading = readings[kid]
        if kr.cycle_id != timed:
            timed = kr.cycle_id
            starts_at = cycles[timed].starts_at
            expected = _expected(result, expected_in, timed)
        paced = _paced(kr, reading, expected, starts_at, now, recipe)
        paced_all.append(paced)
        if kr.objective_id != tallied:
            tallied = kr.objective_id
            tally = tallies.get(tallied) or tallies.setdefault(tallied, [0.0, 0.0, _NOTHING_UNDER])
        _add(tally, kid, kr.weight, paced)
        if kr.depends_on and paced.status is ProgressStatus.ON_TRACK:
            may_be_held.append(kr)
    # Built at once rather than grown one key result at a time (cheaper when it is large).
    done = result.key_result_progress = dict(zip(result.key_results, paced_all, strict=True))

    # Step 5 reads the pace status of the upstream key results: all are paced before any is held.
    upstream = {u: done[u].status for kr in may_be_held for u in kr.depends_on if u in done}
    held = [
        (kr, blocking_upstream(ProgressStatus.ON_TRACK, kr.depends_on, upstream))
        for kr in may_be_held
    ]
    for kr, blockers in held:
        if blockers:
            paced = done[kr.id]
            done[kr.id] = Progress.later(
                recipe,
                kr,
                paced.value,
                paced.attainment,
                paced.expected,
                ProgressStatus.AT_RISK,
                blocked_by=blockers,
                current=paced.current,
            )
            # ON_TRACK was tallied; AT_RISK is weaker, so the weakest is now at most AT_RISK.
            tally = tallies[kr.objective_id]
            tally[2] = min(tally[2], _RANK[ProgressStatus.AT_RISK])
    return tallies


def _expected(result: Evaluation, known: dict[str, float], cycle_id: str) -> float:
    """`result.expected(cycle_id)`, computed once per cycle."""
    expected = known.get(cycle_id)
    if expected is None:
        expected = known[cycle_id] = result.expected(cycle_id)
    return expected


def _add(tally: _Tally, node_id: str, weight: float, child: Progress) -> None:
    """`weighted_mean` and `weakest`, one child at a time, in the same order of operations."""
    value = child.value
    if value is not None:
        tally[0] += weight * value
        tally[1] += weight
    rank = _RANK[child.status]
    if rank < tally[2]:
        tally[2] = rank
    tally += (node_id, value)


def _evaluate_objectives(result: Evaluation, tallies: dict[str, _Tally]) -> None:
    objs = result.objectives
    roots: list[Objective] = []
    children_of: dict[str, list[Objective]] = {}
    for o in objs.values():
        if o.parent_id is not None and o.parent_id in objs:
            siblings = children_of.get(o.parent_id)
            if siblings is None:
                children_of[o.parent_id] = [o]
            else:
                siblings.append(o)
        else:
            roots.append(o)

    done = result.objective_progress
    recipe = ObjectiveRecipe(policy_items(result.policy), result.key_results, objs)
    expected_in: dict[str, float] = {}
    for objective in _children_first(roots, children_of):
        tally = tallies.get(objective.id) or [0.0, 0.0, _NOTHING_UNDER]
        key_results = (len(tally) - 3) // 2
        for child in children_of.get(objective.id, ()):
            _add(tally, child.id, child.weight, done[child.id])
        expected = _expected(result, expected_in, objective.cycle_id)
        done[objective.id] = _rolled_up(recipe, tally, key_results, expected)


def _rolled_up(
    recipe: ObjectiveRecipe, tally: _Tally, key_results: int, expected: float
) -> Progress:
    """An objective's progress from its finished tally: `_add` over its `key_results` key results,
    then its child objectives. The tally becomes what the explanation is written from."""
    total, weights, rank = tally[:3]
    tally[:3] = [key_results]  # `Children`
    return Progress.later(
        recipe,
        tuple(tally),
        None if weights == 0 else total / weights,
        None,
        expected,
        _BY_RANK[rank],
    )


def _children_first(
    roots: list[Objective], children_of: Mapping[str, list[Objective]]
) -> list[Objective]:
    """The objectives under `roots`, children before their parent, in the order a depth-first
    walk from each root (in order) finishes them: the reverse of a walk that goes from each node
    to its children last to first."""
    stack = list(roots)
    walked: list[Objective] = []
    while stack:
        objective = stack.pop()
        walked.append(objective)
        stack += children_of.get(objective.id, ())
    walked.reverse()
    return walked


__all__ = [
    "STATUS_ORDER",
    "WEIGHTED_MEAN",
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
