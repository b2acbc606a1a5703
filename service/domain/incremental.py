"""One key result's new reading folded into an evaluation, without evaluating the scope again.

A check-in changes one key result's value, and on a large organization evaluating the whole year
again after it cost more than the rest of the check-in (issue 6). `reevaluate` gives exactly what
`evaluate` would, bit for bit and word for word, but computes only what the reading can move: the
key result itself, the key results that depend on it (step 5 of DOMAIN.md §3.3 reads its pace
status), and the objectives above those, up to the roots, while their progress still moves.
Every other node keeps the very `Progress` of the evaluation before.

An objective's rollup adds its children in the order `evaluate` does, with the same arithmetic:
its key results in the evaluation's order, then its child objectives in theirs. The steps are
`rollup`'s own (`_paced`, `_add`, `_rolled_up`), imported rather than copied so that the two
cannot drift apart. What that order is, and which key results depend on which, no reading
changes; it is worked out once per scope (`Structure`) and shared by every evaluation
`reevaluate` returns from it.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from service.domain.evaluated import Progress
from service.domain.model import KeyResult, ProgressStatus
from service.domain.progress import Reading, blocking_upstream, policy_items
from service.domain.recipes import KeyResultRecipe, ObjectiveRecipe
from service.domain.rollup import (
    _NOTHING_UNDER,
    Evaluation,
    _add,
    _paced,
    _rolled_up,
    evaluate,
)

# Children of an objective, (id, weight) each, in the order it adds them up.
_Weighted = tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class Structure:
    """The shape of an evaluated scope, which no reading changes: who adds up into whom, in
    which order, and who depends on whom. The recipes name key results by the titles and weights
    of the scope it was made from; `reevaluate` keeps those (or evaluates again)."""

    key_results_of: dict[str, _Weighted]  # objective -> its key results
    objectives_of: dict[str, _Weighted]  # objective -> its child objectives
    parent_of: dict[str, str]  # objective -> its parent, when the parent is in the scope
    dependents_of: dict[str, tuple[str, ...]]  # key result -> the key results that depend on it
    key_result_recipe: KeyResultRecipe
    objective_recipe: ObjectiveRecipe

    @classmethod
    def of(cls, evaluation: Evaluation) -> Structure:
        """The structure of `evaluation`'s scope, in the orders `evaluate` used."""
        key_results_of: dict[str, list[tuple[str, float]]] = {}
        dependents_of: dict[str, list[str]] = {}
        for kr in evaluation.key_results.values():
            key_results_of.setdefault(kr.objective_id, []).append((kr.id, kr.weight))
            for upstream in dict.fromkeys(kr.depends_on):
                dependents_of.setdefault(upstream, []).append(kr.id)
        objectives = evaluation.objectives
        objectives_of: dict[str, list[tuple[str, float]]] = {}
        parent_of: dict[str, str] = {}
        for o in objectives.values():
            if o.parent_id is not None and o.parent_id in objectives:
                objectives_of.setdefault(o.parent_id, []).append((o.id, o.weight))
                parent_of[o.id] = o.parent_id
        return cls(
            key_results_of={o: tuple(krs) for o, krs in key_results_of.items()},
            objectives_of={o: tuple(children) for o, children in objectives_of.items()},
            parent_of=parent_of,
            dependents_of={u: tuple(d) for u, d in dependents_of.items()},
            key_result_recipe=KeyResultRecipe(evaluation.policy, evaluation.key_results),
            objective_recipe=ObjectiveRecipe(
                policy_items(evaluation.policy), evaluation.key_results, objectives
            ),
        )


# What makes a key result's place in the structure, or the words its parent's explanation and
# its dependents' use: a change to any of them is evaluated again in full.
def _placed(kr: KeyResult) -> tuple[object, ...]:
    return (kr.objective_id, kr.cycle_id, kr.weight, kr.depends_on, kr.title)


def reevaluate(before: Evaluation, key_result: KeyResult, reading: Reading) -> Evaluation:
    """`evaluate` over `before`'s scope, policy and instant with `key_result` in place of the key
    result of its id and `reading` as its reading (the others keep theirs): exactly equal, every
    float to the bit and every explanation to the word.

    Only the key result, those that depend on it and the objectives above them are computed
    again. A change to where the key result sits (its objective, cycle, weight or dependencies)
    or to its title is not a reading's: it is evaluated again in full, from the readings
    `before` shows. `before` is left as it was, and stays usable; a key result it does not hold
    raises `KeyError`.
    """
    kid = key_result.id
    if _placed(before.key_results[kid]) != _placed(key_result):
        return _evaluated_again(before, key_result, reading)
    structure = before.structure
    if structure is None:
        structure = before.structure = Structure.of(before)

    key_results = dict(before.key_results)
    key_results[kid] = key_result
    progress = dict(before.key_result_progress)
    paced = _paced(
        key_result,
        reading,
        progress[kid].expected,  # the cycle is the same, and so is the instant
        before.cycles[key_result.cycle_id].starts_at,
        before.now,
        structure.key_result_recipe,
    )

    def pace_of(upstream: str) -> ProgressStatus:
        """A key result's pace status (steps 1-4): only the changed one's may have moved."""
        return paced.status if upstream == kid else _pace(progress[upstream])

    def step_5(kr: KeyResult, pace: ProgressStatus, result: Progress) -> Progress:
        """`result`, held back by its upstream key results as they are paced now, or let go."""
        if pace is not ProgressStatus.ON_TRACK or not kr.depends_on:
            return result
        upstream = {u: pace_of(u) for u in kr.depends_on if u in progress}
        blockers = blocking_upstream(pace, kr.depends_on, upstream)
        if blockers == result.blocked_by:
            return result
        return _held(structure.key_result_recipe, kr, result, blockers)

    progress[kid] = step_5(key_result, paced.status, paced)
    moved = [key_result] if _moved(progress[kid], before.key_result_progress[kid]) else []
    for dependent in structure.dependents_of.get(kid, ()):
        old = progress[dependent]
        # Its reading did not change, and so neither did its pace (the key result itself was
        # held back, or not, above).
        if dependent != kid and (new := step_5(key_results[dependent], _pace(old), old)) is not old:
            progress[dependent] = new
            if _moved(new, old):
                moved.append(key_results[dependent])

    result = Evaluation(
        now=before.now,
        policy=before.policy,
        cycles=before.cycles,
        objectives=before.objectives,
        key_results=key_results,
        key_result_progress=progress,
        objective_progress=_rolled_up_again(before, structure, progress, moved),
    )
    result.structure = structure
    return result


def _moved(new: Progress, old: Progress) -> bool:
    """Whether what a parent reads of a child, its number and status, moved."""
    return new.value != old.value or new.status is not old.status


def _pace(result: Progress) -> ProgressStatus:
    """The pace status (steps 1-4) of an evaluated key result: a held-back one was ON_TRACK."""
    return ProgressStatus.ON_TRACK if result.blocked_by else result.status


def _held(
    recipe: KeyResultRecipe, kr: KeyResult, paced: Progress, blockers: tuple[str, ...]
) -> Progress:
    """An ON_TRACK key result held back by `blockers`, or let go when there are none."""
    return Progress.later(
        recipe,
        kr,
        paced.value,
        paced.attainment,
        paced.expected,
        ProgressStatus.AT_RISK if blockers else ProgressStatus.ON_TRACK,
        blocked_by=blockers,
        current=paced.current,
    )


def _rolled_up_again(
    before: Evaluation,
    structure: Structure,
    key_result_progress: dict[str, Progress],
    moved: list[KeyResult],
) -> dict[str, Progress]:
    """`before`'s objective progress with the objectives above the `moved` key results rolled up
    again, children before their parent, each parent only while a child's number or status moved.
    """
    done = dict(before.objective_progress)
    parent_of = structure.parent_of
    # Objectives by their depth below a root. An objective `evaluate` did not reach (outside the
    # scope, or in a loop of parents) has no progress, and no reading moves it.
    depth: dict[str, int] = {}
    for start in dict.fromkeys(kr.objective_id for kr in moved):
        if start not in done or start in depth:
            continue
        chain = [start]
        while (above := parent_of.get(chain[-1])) is not None and above not in depth:
            chain.append(above)
        base = depth[above] if above is not None else -1
        for level, oid in enumerate(reversed(chain), start=base + 1):
            depth[oid] = level
    due = [(-depth[kr.objective_id], kr.objective_id) for kr in moved if kr.objective_id in done]
    heapq.heapify(due)
    recipe = structure.objective_recipe
    seen: set[str] = set()
    while due:
        _, oid = heapq.heappop(due)
        if oid in seen:
            continue
        seen.add(oid)
        tally = [0.0, 0.0, _NOTHING_UNDER]
        own = structure.key_results_of.get(oid, ())
        for child_id, weight in own:
            _add(tally, child_id, weight, key_result_progress[child_id])
        for child_id, weight in structure.objectives_of.get(oid, ()):
            _add(tally, child_id, weight, done[child_id])
        old = done[oid]
        new = done[oid] = _rolled_up(recipe, tally, len(own), old.expected)
        parent = parent_of.get(oid)
        if parent is not None and _moved(new, old):
            heapq.heappush(due, (-depth[parent], parent))
    return done


def _evaluated_again(before: Evaluation, key_result: KeyResult, reading: Reading) -> Evaluation:
    """`reevaluate` the long way: `evaluate` in full, each other key result read back from its
    progress. Its current value is its reading's value, and only a key result without a
    check-in is PENDING; where the status says nothing of a check-in, neither does `evaluate`."""
    readings: dict[str, Reading] = {}
    for kid, result in before.key_result_progress.items():
        assert result.current is not None  # every key result's progress has its current value
        readings[kid] = Reading(result.current, result.status is not ProgressStatus.PENDING)
    readings[key_result.id] = reading
    key_results = dict(before.key_results)
    key_results[key_result.id] = key_result
    return evaluate(
        key_results=key_results.values(),
        objectives=before.objectives.values(),
        cycles=before.cycles,
        readings=readings,
        policy=before.policy,
        now=before.now,
    )


__all__ = ["Structure", "reevaluate"]
