"""One key result's new reading folded into an evaluation, without evaluating the scope again.

A check-in changes one key result's value, and on a large organization evaluating the whole year
again after it cost more than the rest of the check-in (issue 6). `reevaluate` gives exactly what
`evaluate` would, bit for bit and word for word, but computes only what the reading can move: the
key result itself, every key result downstream of it (step 5 of DOMAIN.md §3.3 reads the final
status of each upstream key result, so lateness flows down whole chains), and the objectives
above those, up to the roots, while their progress still moves. Every other node keeps its
numbers from the evaluation before (copied, column by column).

The steps are `rollup`'s own (`pace_at`, `hold_back`, `name_blockers`, `roll_up`), imported
rather than copied so that the two cannot drift apart; who adds up into whom, in which order, and
who depends on whom is the plan's `Shape`, which no reading changes and every evaluation made
from it shares.
"""

from __future__ import annotations

import heapq

from service.domain.model import KeyResult
from service.domain.plan import NONE, Plan
from service.domain.progress import Reading
from service.domain.rollup import (
    Evaluation,
    evaluate_columns,
    hold_back,
    name_blockers,
    pace_at,
    roll_up,
)
from service.domain.weighted import AT_RISK_RANK, ON_TRACK_RANK


# What makes a key result's place in the shape, or the words its parent's explanation and its
# dependents' use: a change to any of them is evaluated again in full.
def _placed(kr: KeyResult) -> tuple[object, ...]:
    return (kr.objective_id, kr.cycle_id, kr.weight, kr.depends_on, kr.aligned, kr.title)


def reevaluate(before: Evaluation, key_result: KeyResult, reading: Reading) -> Evaluation:
    """`evaluate` over `before`'s scope, policy and instant with `key_result` in place of the key
    result of its id and `reading` as its reading (the others keep theirs): exactly equal, every
    float to the bit and every explanation to the word.

    Only the key result, those downstream of it and the objectives above them are computed
    again. A change to where the key result sits (its objective, cycle, weight, dependencies or
    links)
    or to its title is not a reading's: it is evaluated again in full, from the readings
    `before` holds. `before` is left as it was, and stays usable; a key result it does not hold
    raises `KeyError`.
    """
    plan = before.plan
    at = plan.shape.key_result_index[key_result.id]
    if _placed(plan.key_result_list[at]) != _placed(key_result):
        return _evaluated_again(before, key_result, reading)
    result = before.copy(plan.with_key_result(key_result))
    shape = plan.shape
    ranks = result.ranks
    blocked = result.blocked
    # Step 5 reads final statuses, so the reading can move the key result and everything
    # downstream of it, however far: each is let go, and held back again as step 5 finds.
    downstream = shape.downstream(at)
    for i in downstream:
        if blocked.pop(i, None) is not None:
            ranks[i] = ON_TRACK_RANK
    result.current[at] = reading.value
    result.checked_in[at] = reading.checked_in
    pace_at(result, at)
    # Nothing upstream of them moved: a late one outside holds back those ON_TRACK inside.
    inside = set(downstream)
    index = shape.key_result_index
    late = [i for i in downstream if ranks[i] <= AT_RISK_RANK]
    held: list[int] = []
    for i in downstream:
        if ranks[i] == ON_TRACK_RANK and any(
            u in index and index[u] not in inside and ranks[index[u]] <= AT_RISK_RANK
            for u in shape.depends_on.get(i, ())
        ):
            ranks[i] = AT_RISK_RANK
            blocked[i] = ()  # ON_TRACK by pace; named below with the others
            held.append(i)
            late.append(i)
    held += hold_back(result, late)
    name_blockers(result, held)
    moved = [
        i
        for i in downstream
        if result.values[i] != before.values[i] or result.ranks[i] != before.ranks[i]
    ]
    _roll_up_again(before, result, moved)
    return result


def _roll_up_again(before: Evaluation, result: Evaluation, moved: list[int]) -> None:
    """Roll up again the objectives above the `moved` key results (through every objective each
    serves), children before their parent, each parent only while a child's number or status
    moved."""
    shape = result.plan.shape
    parent_of = shape.objective_parent
    # Objectives by their depth below a root. An objective `evaluate` did not reach (outside the
    # scope, or in a loop of parents) has no progress, and no reading moves it.
    depth: dict[int, int] = {}
    starts = [objective for i in moved for objective in shape.served_by(i)]
    for start in dict.fromkeys(starts):
        if not shape.reached[start] or start in depth:
            continue
        chain = [start]
        while (above := parent_of[chain[-1]]) != NONE and above not in depth:
            chain.append(above)
        base = depth[above] if above != NONE else -1
        for level, objective in enumerate(reversed(chain), start=base + 1):
            depth[objective] = level
    due = [(-depth[o], o) for o in starts if o in depth]
    heapq.heapify(due)
    seen: set[int] = set()
    while due:
        _, objective = heapq.heappop(due)
        if objective in seen:
            continue
        seen.add(objective)
        roll_up(result, objective)
        parent = parent_of[objective]
        if parent != NONE and (
            result.objective_values[objective] != before.objective_values[objective]
            or result.objective_ranks[objective] != before.objective_ranks[objective]
        ):
            heapq.heappush(due, (-depth[parent], parent))


def _evaluated_again(before: Evaluation, key_result: KeyResult, reading: Reading) -> Evaluation:
    """`reevaluate` the long way: a new plan evaluated in full, each other key result read as
    `before` read it. The key result keeps its position: replacing it keeps the scope's order."""
    key_results = dict(before.key_results)
    key_results[key_result.id] = key_result
    plan = before.plan
    at = plan.shape.key_result_index[key_result.id]
    current = before.current[:]
    current[at] = reading.value
    checked_in = before.checked_in[:]
    checked_in[at] = reading.checked_in
    return evaluate_columns(
        Plan.of(key_results, plan.objectives, plan.cycles),
        policy=before.policy,
        now=before.now,
        current=current,
        checked_in=checked_in,
    )


__all__ = ["reevaluate"]
