"""One year of an organization as the read model holds it: what evaluating the year needs,
ready to evaluate, with its evaluations so far and its lists in the order readers expect.

A year's evaluation (every key result's and objective's progress at one instant) is the cost
of every rollup; a `Year` makes its `Plan` (the year's key results in flat columns) once, keeps
its last few evaluations (requests compute at whole seconds, so requests of one second share
one), and a check-in carries both to the next position of the organization: the plan with one
row replaced, the newest evaluation with only what the reading moves computed again.

A large year (OFF_LOOP_FROM key results and up) is evaluated in a worker thread
(`evaluated_soon`): at 100,000 key results planning and evaluating take about a second of
pure computation, and the event loop, which the thread leaves the interpreter to every
millisecond (`share_interpreter`, service/readmodel/offloop.py), goes on answering other
requests and /healthz meanwhile. Before such a year is planned, the objects alive (the
organization's, just loaded) are moved out of the garbage collector's sight
(`settle_long_lived`, service/readmodel/heap.py): otherwise the collections the planning and
evaluating set off walk all of them, each a pause of every thread.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from service.domain.incremental import reevaluate
from service.domain.model import Cycle, KeyResult, Objective, Policy
from service.domain.plan import Plan
from service.domain.progress import Reading
from service.domain.rollup import Evaluation, evaluate_plan
from service.readmodel.heap import settle_long_lived
from service.readmodel.offloop import share_interpreter

EVALUATIONS_KEPT = 4
"""Evaluations kept per year: enough for the instants of requests in flight together."""
OFF_LOOP_FROM = 5_000
"""Key results from which a year is evaluated off the event loop: below, the evaluation takes
a few milliseconds, less than handing it to a thread and back costs in latency."""


@dataclass(frozen=True, slots=True)
class YearScope:
    """Everything needed to evaluate an organization's year: its cycles, objectives and key
    results, plus the upstream key results (and their cycles) of dependencies that point
    outside the year."""

    cycles: Mapping[str, Cycle] = field(default_factory=dict)
    objectives: Mapping[str, Objective] = field(default_factory=dict)
    key_results: Mapping[str, KeyResult] = field(default_factory=dict)


def reading(key_result: KeyResult) -> Reading:
    """A key result's stored current value as a reading at now (as `Plan` reads each one)."""
    return Reading(
        value=key_result.current_value, checked_in=key_result.last_check_in_at is not None
    )


def placement(key_result: KeyResult) -> tuple[object, ...]:
    """What places a key result in its year's plan: a change to any of it needs a new plan."""
    return (
        key_result.objective_id,
        key_result.cycle_id,
        key_result.year,
        key_result.weight,
        key_result.depends_on,
        key_result.aligned,
    )


class Year:
    """A year's scope with its plan, evaluations and lists, made on first use; shared by every
    reader of the position it belongs to, and never changed once a reader saw it (a new
    position gets a new `Year`)."""

    __slots__ = (
        "_children_of_objective",
        "_evaluating",
        "_key_results_of_objective",
        "_objectives_of_cycle",
        "evaluations",
        "plan",
        "policy",
        "scope",
        "year",
    )

    def __init__(
        self, year: int, scope: YearScope, policy: Policy, plan: Plan | None = None
    ) -> None:
        self.year = year
        self.scope = scope
        self.policy = policy
        self.plan = plan
        self.evaluations: OrderedDict[datetime, Evaluation] = OrderedDict()
        self._objectives_of_cycle: dict[str, list[Objective]] | None = None
        self._key_results_of_objective: dict[str, list[KeyResult]] | None = None
        self._children_of_objective: dict[str, list[Objective]] | None = None
        self._evaluating: dict[datetime, asyncio.Future[Evaluation]] = {}

    def planned(self) -> Plan:
        """The year's plan, made on first use."""
        if self.plan is None:
            scope = self.scope
            self.plan = Plan.of(scope.key_results, scope.objectives, scope.cycles)
        return self.plan

    def evaluated(self, now: datetime) -> Evaluation:
        """The year evaluated at `now` from each key result's stored reading: remembered, or
        computed from the year's plan."""
        found = self.evaluations.get(now)
        if found is None:
            found = evaluate_plan(self.planned(), policy=self.policy, now=now)
            self.remember(found)
        return found

    async def evaluated_soon(self, now: datetime) -> Evaluation:
        """`evaluated(now)`, computed in a worker thread when the year is large (see the
        module's doc): requests of the same instant share one computation, which runs to its
        end (and is remembered) even if the request that started it is cancelled. That is
        bounded: one computation per year and whole second, each the plan and one evaluation
        (a fraction of a second at 100,000 key results), not one per request."""
        found = self.evaluations.get(now)
        if found is not None:
            return found
        if len(self.scope.key_results) < OFF_LOOP_FROM:
            return self.evaluated(now)
        pending = self._evaluating.get(now)
        if pending is None:
            share_interpreter()
            pending = asyncio.ensure_future(asyncio.to_thread(self._computed, now))
            self._evaluating[now] = pending
            pending.add_done_callback(lambda done: self._settle(now, done))
        return await asyncio.shield(pending)

    def _computed(self, now: datetime) -> Evaluation:
        """The evaluation at `now`, planning the year first if it is not yet (in the worker
        thread: the plan is a new object, set in one assignment)."""
        if self.plan is None:
            settle_long_lived()  # the year's scope, loaded before, lives as long as the year
        return evaluate_plan(self.planned(), policy=self.policy, now=now)

    def _settle(self, now: datetime, done: asyncio.Future[Evaluation]) -> None:
        del self._evaluating[now]
        if not done.cancelled() and done.exception() is None:
            self.remember(done.result())

    def remember(self, evaluation: Evaluation) -> None:
        """Keep an evaluation of this year (the newest few are kept)."""
        self.evaluations[evaluation.now] = evaluation
        self.evaluations.move_to_end(evaluation.now)
        while len(self.evaluations) > EVALUATIONS_KEPT:
            self.evaluations.popitem(last=False)

    def with_key_result(self, key_result: KeyResult, scope: YearScope) -> Year:
        """This year with one key result's fields or reading changed (not where it sits, see
        `placement`): the plan with that row replaced and the newest evaluation computed again
        only where the reading moves it."""
        plan = self.plan.with_key_result(key_result) if self.plan is not None else None
        made = Year(self.year, scope, self.policy, plan)
        if self.evaluations:
            newest = next(reversed(self.evaluations.values()))
            made.remember(reevaluate(newest, key_result, reading(key_result)))
        return made

    def objectives_of_cycle(self, cycle_id: str) -> list[Objective]:
        """A cycle's objectives, by id."""
        if self._objectives_of_cycle is None:
            grouped: dict[str, list[Objective]] = {}
            for o in sorted(self.scope.objectives.values(), key=_by_id):
                grouped.setdefault(o.cycle_id, []).append(o)
            self._objectives_of_cycle = grouped
        return self._objectives_of_cycle.get(cycle_id, [])

    def key_results_of_objective(self, objective_id: str) -> list[KeyResult]:
        """Every key result that counts in an objective: its own by id, then those aligned with
        it by id."""
        if self._key_results_of_objective is None:
            grouped: dict[str, list[KeyResult]] = {}
            aligned: dict[str, list[KeyResult]] = {}
            for k in sorted(self.scope.key_results.values(), key=_by_id):
                if k.objective_id not in self.scope.objectives:  # upstream of another year
                    continue
                grouped.setdefault(k.objective_id, []).append(k)
                for link in k.aligned:
                    if link.objective_id in self.scope.objectives:
                        aligned.setdefault(link.objective_id, []).append(k)
            for served, found in aligned.items():
                grouped.setdefault(served, []).extend(found)
            self._key_results_of_objective = grouped
        return self._key_results_of_objective.get(objective_id, [])

    def children_of_objective(self, objective_id: str) -> list[Objective]:
        """The objectives directly under one, by id (a parent is always in its children's
        year)."""
        if self._children_of_objective is None:
            grouped: dict[str, list[Objective]] = {}
            for o in sorted(self.scope.objectives.values(), key=_by_id):
                if o.parent_id is not None:
                    grouped.setdefault(o.parent_id, []).append(o)
            self._children_of_objective = grouped
        return self._children_of_objective.get(objective_id, [])


def _by_id(item: Objective | KeyResult) -> str:
    return item.id
