"""Rollups and statuses over the objective tree (DOMAIN.md §3.2, §3.3): a pure evaluation.

`evaluate` takes the key results, objectives and cycles of a scope plus each key result's reading
at `now`, and returns every key result's and objective's progress; cycle and department progress
are weighted means over that evaluation.

An evaluation walks a `Plan` of the scope (`service.domain.plan`): the key results' numbers in
flat columns, made once per scope and kept by the service with its cached year. It keeps its own
numbers in columns too, by position, and makes a node's `Progress` only when asked: an evaluation
of a large organization is a few arrays to the garbage collector, not hundreds of thousands of
objects, and the collector's work grows with every object the process keeps.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping
from datetime import datetime

from service.domain.evaluated import Progress
from service.domain.evaluation import Evaluation
from service.domain.model import Cycle, KeyResult, KeyResultKind, Objective, Policy, ProgressStatus
from service.domain.plan import NONE, Plan
from service.domain.progress import (
    Reading,
    attainment,
    blocking_upstream,
    capped,
    expected_progress,
    pace,
    policy_items,
)
from service.domain.recipes import WEIGHTED_MEAN, KeyResultRecipe
from service.domain.weighted import (
    AT_RISK_RANK,
    BY_RANK,
    NOTHING_UNDER,
    PENDING_RANK,
    RANK,
    STATUS_ORDER,
    Weighted,
    combine,
    weakest,
    weighted_mean,
)


def evaluate_key_result(
    key_result: KeyResult, reading: Reading, cycle: Cycle, *, now: datetime, policy: Policy
) -> Progress:
    """Steps 1-4: a key result's progress and pace status, before dependencies."""
    expected = expected_progress(cycle.starts_at, cycle.ends_at, now)
    reached, value, status = paced(
        key_result.kind,
        key_result.start_value,
        key_result.target_value,
        reading.value,
        reading.checked_in,
        expected,
        cycle.starts_at,
        now,
        policy,
    )
    recipe = KeyResultRecipe(policy, {})
    return Progress.later(
        recipe, key_result, value, reached, expected, status, current=reading.value
    )


def paced(
    kind: KeyResultKind,
    start: float,
    target: float,
    current: float,
    checked_in: bool | int,
    expected: float,
    starts_at: datetime,
    now: datetime,
    policy: Policy,
) -> tuple[float, float, ProgressStatus]:
    """Steps 1-4 for one key result: its attainment, its progress and its pace status."""
    reached = attainment(kind, start, target, current)
    value = capped(kind, reached)
    status = pace(
        progress_value=value,
        checked_in=bool(checked_in),
        expected=expected,
        now=now,
        starts_at=starts_at,
        policy=policy,
    )
    return reached, value, status


def evaluate(
    *,
    key_results: Mapping[str, KeyResult] | Iterable[KeyResult],
    objectives: Mapping[str, Objective] | Iterable[Objective],
    cycles: Mapping[str, Cycle],
    readings: Mapping[str, Reading],
    policy: Policy,
    now: datetime,
) -> Evaluation:
    """Evaluate a scope: every key result (with dependencies), then objectives bottom-up.

    `key_results` must include the upstream key results of those that depend on others (and
    `cycles` their cycles), or the dependency step cannot see them. Objectives whose parent is not
    among `objectives` are roots of the evaluation. Key results and objectives may be given by id
    (a mapping) or as they come.
    """
    plan = Plan.of(key_results, objectives, cycles)
    return evaluate_plan(plan, policy=policy, now=now, readings=readings)


def evaluate_plan(
    plan: Plan, *, policy: Policy, now: datetime, readings: Mapping[str, Reading] | None = None
) -> Evaluation:
    """Evaluate a planned scope from `readings`, or from each key result's stored reading (its
    current value, checked in when it has a check-in) when there are none."""
    if readings is None:
        return evaluate_columns(
            plan, policy=policy, now=now, current=plan.current, checked_in=plan.checked_in
        )
    given = [readings[kid] for kid in plan.key_results]
    current = array("d", [r.value for r in given])
    checked_in = bytearray([r.checked_in for r in given])
    return evaluate_columns(plan, policy=policy, now=now, current=current, checked_in=checked_in)


def evaluate_columns(
    plan: Plan, *, policy: Policy, now: datetime, current: array[float], checked_in: bytearray
) -> Evaluation:
    """Evaluate a planned scope from each key result's reading given by position: its value
    (`current`) and whether it was checked in."""
    result = Evaluation(plan, now=now, policy=policy, current=current, checked_in=checked_in)
    _evaluate_key_results(result)
    for at in plan.shape.order:
        roll_up(result, at)
    return result


def _evaluate_key_results(result: Evaluation) -> None:
    """Steps 1-5 for every key result."""
    plan = result.plan
    shape = plan.shape
    now = result.now
    policy = result.policy
    values = result.values
    attainments = result.attainments
    ranks = result.ranks
    # Key results of one cycle tend to come together: the cycle's numbers are looked up again
    # only when it changes.
    timed = NONE
    starts_at = now
    expected = 0.0
    for at, (kind, start, target, current, checked_in, cycle) in enumerate(
        zip(
            plan.kinds,
            plan.starts,
            plan.targets,
            result.current,
            result.checked_in,
            shape.key_result_cycle,
            strict=True,
        )
    ):
        if cycle != timed:
            timed = cycle
            starts_at = shape.cycles[cycle].starts_at
            expected = result.expected_at(cycle)
        reached, value, status = paced(
            kind, start, target, current, checked_in, expected, starts_at, now, policy
        )
        values.append(value)
        attainments.append(reached)
        ranks[at] = RANK[status]
    # Step 5 reads the pace status of the upstream key results: all are paced before any is held.
    held = [(at, blockers) for at in shape.depends_on if (blockers := holding_back(result, at))]
    for at, blockers in held:
        result.blocked[at] = blockers
        ranks[at] = AT_RISK_RANK


def pace_at(result: Evaluation, at: int) -> None:
    """Steps 1-4 again for the key result at `at`, from the plan's numbers and the reading
    `result` holds for it (its cycle and instant are `result`'s)."""
    plan = result.plan
    cycle = plan.shape.key_result_cycle[at]
    reached, value, status = paced(
        plan.kinds[at],
        plan.starts[at],
        plan.targets[at],
        result.current[at],
        result.checked_in[at],
        result.expected_at(cycle),
        plan.shape.cycles[cycle].starts_at,
        result.now,
        result.policy,
    )
    result.values[at] = value
    result.attainments[at] = reached
    result.ranks[at] = RANK[status]


def pace_of(result: Evaluation, at: int) -> ProgressStatus:
    """The pace status (steps 1-4) of an evaluated key result: a held-back one was ON_TRACK."""
    return ProgressStatus.ON_TRACK if at in result.blocked else BY_RANK[result.ranks[at]]


def holding_back(result: Evaluation, at: int) -> tuple[str, ...]:
    """Step 5: the upstream key results, as paced in `result`, that hold back the key result
    at `at` if it is ON_TRACK by pace."""
    depends_on = result.plan.shape.depends_on.get(at, ())
    if not depends_on or pace_of(result, at) is not ProgressStatus.ON_TRACK:
        return ()
    index = result.plan.shape.key_result_index
    upstream = {u: pace_of(result, index[u]) for u in depends_on if u in index}
    return blocking_upstream(ProgressStatus.ON_TRACK, depends_on, upstream)


def roll_up(result: Evaluation, at: int) -> None:
    """The objective at `at` from its children, as evaluated in `result`: `weighted_mean` and
    `weakest` over its key results in the scope's order, then its child objectives."""
    shape = result.plan.shape
    total = 0.0
    weights = 0.0
    rank = NOTHING_UNDER
    values = result.values
    ranks = result.ranks
    key_result_weight = shape.key_result_weight
    for i in shape.key_results_of.get(at, ()):
        weight = key_result_weight[i]
        total += weight * values[i]
        weights += weight
        if ranks[i] < rank:
            rank = ranks[i]
    objective_values = result.objective_values
    objective_ranks = result.objective_ranks
    objective_weight = shape.objective_weight
    for c in shape.objectives_of.get(at, ()):
        value = objective_values[c]
        if value is not None:
            weight = objective_weight[c]
            total += weight * value
            weights += weight
        if objective_ranks[c] < rank:
            rank = objective_ranks[c]
    objective_values[at] = None if weights == 0 else total / weights
    # Nothing under it reads PENDING, and ranks as PENDING under its own parent.
    objective_ranks[at] = PENDING_RANK if rank == NOTHING_UNDER else rank


__all__ = [
    "STATUS_ORDER",
    "WEIGHTED_MEAN",
    "Evaluation",
    "Progress",
    "Weighted",
    "combine",
    "evaluate",
    "evaluate_columns",
    "evaluate_key_result",
    "evaluate_plan",
    "holding_back",
    "pace_at",
    "pace_of",
    "paced",
    "policy_items",
    "roll_up",
    "weakest",
    "weighted_mean",
]
