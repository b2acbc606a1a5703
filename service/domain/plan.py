"""A scope as `evaluate` walks it, worked out once: the key results' numbers in flat columns, and
who adds up into whom by position.

Evaluating reads every key result of a scope. Read from `KeyResult` objects, scattered over the
heap as the store decoded them, a hundred thousand no longer fit the processor's caches and every
read waits on memory: a bare walk over them grew 17-fold from 10,000 to 100,000 (issue 6). Read
from a few flat arrays, the same walk streams and grows tenfold. A year is evaluated again at
each new second a request asks for it, and its plan changes only on writes: the service keeps it
with the cached year (`service.store.cache`), and a check-in replaces one key result's row
(`Plan.with_key_result`), sharing the rest.

`Shape` holds what no reading and no key result's numbers move: it is shared by every plan made
from it by `with_key_result`.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TypeVar

from service.domain.model import Cycle, KeyResult, KeyResultKind, Objective

# No objective: a key result whose objective is outside the scope, an objective whose parent is.
NONE = -1

T = TypeVar("T", KeyResult, Objective)


def _by_id(items: Mapping[str, T] | Iterable[T]) -> dict[str, T]:
    """Items by id, in their order: a mapping (already by id) is copied as it is."""
    if isinstance(items, Mapping):
        return dict(items)
    return {item.id: item for item in items}


def _positions(items: Mapping[str, object]) -> dict[str, int]:
    """Each key's position among `items`."""
    return dict(zip(items, range(len(items)), strict=True))


class Shape:
    """Who adds up into whom, by position: key results in the order given, objectives too.

    Objectives are added up children first, in `order`: the order in which a depth-first walk
    from each root finishes them. An objective in a loop of parents is on no walk from a root:
    it is not `reached`, and not evaluated."""

    __slots__ = (
        "aligned_of",
        "cycle_ids",
        "cycles",
        "dependents",
        "depends_on",
        "key_result_aligned",
        "key_result_cycle",
        "key_result_index",
        "key_result_objective",
        "key_result_weight",
        "key_results_of",
        "objective_cycle",
        "objective_index",
        "objective_parent",
        "objective_weight",
        "objectives_of",
        "order",
        "reached",
    )

    def __init__(
        self,
        key_results: dict[str, KeyResult],
        objectives: dict[str, Objective],
        cycles: Mapping[str, Cycle],
    ) -> None:
        self.cycles: tuple[Cycle, ...] = tuple(cycles.values())
        self.cycle_ids: dict[str, int] = {cid: at for at, cid in enumerate(cycles)}
        self.key_result_index: dict[str, int] = _positions(key_results)
        self.objective_index: dict[str, int] = _positions(objectives)
        cycle_of = self.cycle_ids
        objective_of = self.objective_index
        kr_cycle = array("i")
        kr_objective = array("i")
        kr_weight = array("d")
        depends_on: dict[int, tuple[str, ...]] = {}
        for at, kr in enumerate(key_results.values()):
            kr_cycle.append(cycle_of[kr.cycle_id])
            kr_objective.append(objective_of.get(kr.objective_id, NONE))
            kr_weight.append(kr.weight)
            if kr.depends_on:
                depends_on[at] = kr.depends_on
        self.key_result_cycle = kr_cycle
        self.key_result_objective = kr_objective
        self.key_result_weight = kr_weight
        self.depends_on = depends_on

        parent = array("i")
        roots: list[int] = []
        children: dict[int, list[int]] = {}
        for at, o in enumerate(objectives.values()):
            above = NONE if o.parent_id is None else objective_of.get(o.parent_id, NONE)
            parent.append(above)
            if above == NONE:
                roots.append(at)
            else:
                children.setdefault(above, []).append(at)
        self.objective_parent = parent
        self.objective_weight = array("d", [o.weight for o in objectives.values()])
        self.objective_cycle = array("i", [cycle_of[o.cycle_id] for o in objectives.values()])
        # Children first: the reverse of a walk from each node to its children last to first.
        stack = roots
        walked = array("i")
        while stack:
            at = stack.pop()
            walked.append(at)
            stack += children.get(at, ())
        walked.reverse()
        self.order = walked
        self.reached = bytearray(len(objectives))
        for at in walked:
            self.reached[at] = 1
        # Each objective's key results and child objectives, in the order they add up.
        key_results_of: dict[int, list[int]] = {}
        for at, objective in enumerate(kr_objective):
            if objective != NONE:
                key_results_of.setdefault(objective, []).append(at)
        self.key_results_of = key_results_of
        # The key results each objective is served by besides its own, each with that link's
        # weight (in the scope's order, then the order they were aligned), and the objectives
        # each key result serves that way: a link to an objective outside the scope is left out.
        aligned_of: dict[int, list[tuple[int, float]]] = {}
        key_result_aligned: dict[int, tuple[int, ...]] = {}
        for at, kr in enumerate(key_results.values()):
            if kr.aligned:
                served = [
                    (objective_of[link.objective_id], link.weight)
                    for link in kr.aligned
                    if link.objective_id in objective_of
                ]
                for objective, weight in served:
                    aligned_of.setdefault(objective, []).append((at, weight))
                key_result_aligned[at] = tuple(objective for objective, _ in served)
        self.aligned_of = aligned_of
        self.key_result_aligned = key_result_aligned
        self.objectives_of = children
        # The key results that depend on each key result.
        dependents: dict[int, list[int]] = {}
        index = self.key_result_index
        for at, upstream in depends_on.items():
            for u in dict.fromkeys(upstream):
                if u in index:
                    dependents.setdefault(index[u], []).append(at)
        self.dependents = dependents

    def served_by(self, at: int) -> list[int]:
        """The objectives the key result at `at` counts in: its home (when in the scope), then
        those it is aligned with."""
        home = self.key_result_objective[at]
        aligned = self.key_result_aligned.get(at, ())
        return [*([] if home == NONE else [home]), *aligned]

    def downstream(self, at: int) -> list[int]:
        """The key result at `at` and every key result that depends on it, however far down,
        each once, `at` first."""
        found = {at: None}
        stack = [at]
        dependents = self.dependents
        while stack:
            for d in dependents.get(stack.pop(), ()):
                if d not in found:
                    found[d] = None
                    stack.append(d)
        return list(found)


class Plan:
    """A scope ready to evaluate: its `Shape`, each key result's kind, start, target and
    creation time, and its stored reading (its current value, and whether it was ever checked
    in)."""

    __slots__ = (
        "checked_in",
        "created",
        "current",
        "cycles",
        "key_result_list",
        "key_results",
        "kinds",
        "objective_list",
        "objectives",
        "shape",
        "starts",
        "targets",
    )

    def __init__(
        self,
        key_results: dict[str, KeyResult],
        objectives: dict[str, Objective],
        cycles: Mapping[str, Cycle],
        shape: Shape,
    ) -> None:
        self.key_results = key_results
        self.objectives = objectives
        self.cycles = cycles
        self.shape = shape
        self.key_result_list = list(key_results.values())
        self.objective_list = list(objectives.values())
        krs = self.key_result_list
        self.kinds: list[KeyResultKind] = [kr.kind for kr in krs]
        self.starts = array("d", [kr.start_value for kr in krs])
        self.targets = array("d", [kr.target_value for kr in krs])
        self.current = array("d", [kr.current_value for kr in krs])
        self.checked_in = bytearray([kr.last_check_in_at is not None for kr in krs])
        self.created: list[datetime | None] = [kr.created_at for kr in krs]

    @classmethod
    def of(
        cls,
        key_results: Mapping[str, KeyResult] | Iterable[KeyResult],
        objectives: Mapping[str, Objective] | Iterable[Objective],
        cycles: Mapping[str, Cycle],
    ) -> Plan:
        """The plan of a scope. Every key result's and objective's cycle must be in `cycles`
        (`KeyError` otherwise); an objective or parent that is not among `objectives` is
        outside the scope."""
        krs = _by_id(key_results)
        objs = _by_id(objectives)
        return cls(krs, objs, cycles, Shape(krs, objs, cycles))

    def with_key_result(self, key_result: KeyResult) -> Plan:
        """This plan with `key_result` in place of the key result of its id, which must sit
        where it did (objective, cycle, weight, dependencies, links): the shape is shared."""
        at = self.shape.key_result_index[key_result.id]
        made = Plan.__new__(Plan)
        made.key_results = dict(self.key_results)
        made.key_results[key_result.id] = key_result
        made.objectives = self.objectives
        made.cycles = self.cycles
        made.shape = self.shape
        made.key_result_list = self.key_result_list.copy()
        made.key_result_list[at] = key_result
        made.objective_list = self.objective_list
        made.kinds = self.kinds.copy()
        made.kinds[at] = key_result.kind
        made.starts = self.starts[:]
        made.starts[at] = key_result.start_value
        made.targets = self.targets[:]
        made.targets[at] = key_result.target_value
        made.current = self.current[:]
        made.current[at] = key_result.current_value
        made.checked_in = self.checked_in[:]
        made.checked_in[at] = key_result.last_check_in_at is not None
        made.created = self.created.copy()
        made.created[at] = key_result.created_at
        return made

    def __len__(self) -> int:
        return len(self.key_result_list)


__all__ = ["NONE", "Plan", "Shape"]
