"""Rollups and statuses over the objective tree (DOMAIN.md §3.2, §3.3): a pure evaluation.

`evaluate` takes the key results, objectives and cycles of a scope plus each key result's reading
at `now`, and returns every key result's and objective's progress; cycle and department progress
are weighted means over that evaluation.

An evaluation walks a `Plan` of the scope (`service.domain.plan`): the key results' numbers in
flat columns, made once per scope and kept by the service with its cached year. It keeps its own
numbers in columns too, by position, and makes a node's `Standing` only when asked: an evaluation
of a large organization is a few arrays to the garbage collector, not hundreds of thousands of
objects, and the collector's work grows with every object the process keeps.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping
from datetime import datetime

from service.domain.evaluation import Evaluation
from service.domain.model import Cycle, KeyResult, KeyResultKind, Objective, Policy, ProgressStatus
from service.domain.plan import NONE, Plan
from service.domain.progress import (
    Reading,
    attainment,
    blocking_upstream,
    capped,
    pace,
    policy_items,
)
from service.domain.standing import Standing
from service.domain.weighted import (
    AT_RISK_RANK,
    BY_RANK,
    NOTHING_UNDER,
    ON_TRACK_RANK,
    PENDING_RANK,
    RANK,
    STATUS_ORDER,
    Weighted,
    combine,
    weakest,
    weighted_mean,
)
from service.domain.wording import WEIGHTED_MEAN


def evaluate_key_result(
    key_result: KeyResult, reading: Reading, cycle: Cycle, *, now: datetime, policy: Policy
) -> Standing:
    """Steps 1-4: a key result's progress and pace status, before dependencies (its upstream
    key results are outside this one-key-result scope, and hold nothing back)."""
    plan = Plan.of([key_result], (), {cycle.id: cycle})
    evaluation = evaluate_plan(plan, policy=policy, now=now, readings={key_result.id: reading})
    return evaluation.key_result_at(0)


def paced(
    kind: KeyResultKind,
    start: float,
    target: float,
    current: float,
    checked_in: bool | int,
    expected: float,
    starts_at: datetime,
    created_at: datetime | None,
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
        created_at=created_at,
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
    for at, (kind, start, target, current, checked_in, created_at, cycle) in enumerate(
        zip(
            plan.kinds,
            plan.starts,
            plan.targets,
            result.current,
            result.checked_in,
            plan.created,
            shape.key_result_cycle,
            strict=True,
        )
    ):
        if cycle != timed:
            timed = cycle
            starts_at = shape.cycles[cycle].starts_at
            expected = result.expected_at(cycle)
        reached, value, status = paced(
            kind, start, target, current, checked_in, expected, starts_at, created_at, now, policy
        )
        values.append(value)
        attainments.append(reached)
        ranks[at] = RANK[status]
    # Step 5 once every key result is paced: lateness flows down from each late key result
    # that something depends on.
    late = [at for at in shape.dependents if ranks[at] <= AT_RISK_RANK]
    name_blockers(result, hold_back(result, late))


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
        plan.created[at],
        result.now,
        result.policy,
    )
    result.values[at] = value
    result.attainments[at] = reached
    result.ranks[at] = RANK[status]


def hold_back(result: Evaluation, late: Iterable[int]) -> list[int]:
    """Step 5 from the key results at `late`, whose final status is AT_RISK or OFF_TRACK: every
    key result downstream of them that is ON_TRACK by pace is held back (AT_RISK), and so holds
    back its own dependents in turn: C late holds B back, and B holds A back.

    Returns the key results it held back, which `name_blockers` names once every final status
    is known. Only lateness flows: a loop of dependencies none of which is late holds nothing
    back, and a key result that depends on itself is never held back by itself."""
    ranks = result.ranks
    blocked = result.blocked
    dependents = result.plan.shape.dependents
    held: list[int] = []
    stack = list(late)
    while stack:
        for at in dependents.get(stack.pop(), ()):
            if ranks[at] == ON_TRACK_RANK:
                ranks[at] = AT_RISK_RANK
                blocked[at] = ()  # ON_TRACK by pace; named by `name_blockers`
                held.append(at)
                stack.append(at)
    return held


def name_blockers(result: Evaluation, held: Iterable[int]) -> None:
    """Each held-back key result at `held` names what holds it back (`blocked_by`)."""
    for at in held:
        result.blocked[at] = holding_back(result, at)


def holding_back(result: Evaluation, at: int) -> tuple[str, ...]:
    """Step 5 for the held-back key result at `at` (ON_TRACK by pace): its direct upstream key
    results whose final status in `result` is AT_RISK or OFF_TRACK."""
    depends_on = result.plan.shape.depends_on[at]
    index = result.plan.shape.key_result_index
    ranks = result.ranks
    upstream = {u: BY_RANK[ranks[index[u]]] for u in depends_on if u in index}
    return blocking_upstream(ProgressStatus.ON_TRACK, depends_on, upstream)


def roll_up(result: Evaluation, at: int) -> None:
    """The objective at `at` from its children, as evaluated in `result`: `weighted_mean` and
    `weakest` over its own key results in the scope's order, then the key results aligned with
    it (each with its link's weight), then its child objectives."""
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
    for i, weight in shape.aligned_of.get(at, ()):
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
    "Standing",
    "Weighted",
    "combine",
    "evaluate",
    "evaluate_columns",
    "evaluate_key_result",
    "evaluate_plan",
    "hold_back",
    "holding_back",
    "name_blockers",
    "pace_at",
    "paced",
    "policy_items",
    "roll_up",
    "weakest",
    "weighted_mean",
]
