"""An evaluation: every key result's and objective's progress in one scope at one instant, kept
in columns by position in the scope's `Plan`, and read as progress by id.

`service.domain.rollup` computes it; this module keeps it and answers what is asked of it,
including the rollups of cycles and departments, which are weighted means over it.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime

from service.domain.explain import ExplanationInput, OverrideNote
from service.domain.model import Cycle, KeyResult, Objective, Policy
from service.domain.plan import Plan
from service.domain.progress import expected_progress, policy_items
from service.domain.standing import Standing
from service.domain.weighted import BY_RANK, NOTHING_UNDER, Weighted, combine
from service.domain.wording import KeyResultRecipe, ObjectiveRecipe


class Evaluation:
    """Every key result's and objective's progress in one scope at one instant.

    The numbers are kept in columns, by position in the scope's `Plan`; a node's `Standing` is
    made when it is first asked for, and kept. An evaluation of a hundred thousand key results
    is a few arrays to the garbage collector, not a few hundred thousand objects, and one read
    by a dashboard makes objects only for the nodes it shows."""

    __slots__ = (
        "_expected",
        "_made_key_results",
        "_made_objectives",
        "_rollups",
        "attainments",
        "blocked",
        "checked_in",
        "current",
        "key_result_progress",
        "key_result_recipe",
        "now",
        "objective_progress",
        "objective_ranks",
        "objective_recipe",
        "objective_values",
        "overridden",
        "plan",
        "policy",
        "ranks",
        "values",
    )

    def __init__(
        self,
        plan: Plan,
        *,
        now: datetime,
        policy: Policy,
        current: array[float],
        checked_in: bytearray,
    ) -> None:
        self.plan = plan
        self.now = now
        self.policy = policy
        # Each key result's reading: its value, and whether it was checked in.
        self.current = current
        self.checked_in = checked_in
        # Each key result's progress, uncapped attainment and status rank (`BY_RANK`), and the
        # upstream key results holding back those that are held back.
        self.values = array("d")
        self.attainments = array("d")
        self.ranks = bytearray(len(plan))
        self.blocked: dict[int, tuple[str, ...]] = {}
        # Each objective's progress and status rank.
        objectives = len(plan.objective_list)
        self.objective_values: list[float | None] = [None] * objectives
        self.objective_ranks = bytearray([NOTHING_UNDER]) * objectives
        # The objectives an override holds for at `now`, with the value computed beside it.
        self.overridden: dict[int, OverrideNote] = {}
        self.key_result_recipe = KeyResultRecipe(policy, plan, checked_in)
        self.objective_recipe = ObjectiveRecipe(
            policy, policy_items(policy), self._inputs_of, self.overridden.get
        )
        self.key_result_progress: Mapping[str, Standing] = KeyResultProgress(self)
        self.objective_progress: Mapping[str, Standing] = ObjectiveProgress(self)
        self._expected: list[float | None] = [None] * len(plan.shape.cycles)
        self._made_key_results: dict[int, Standing] = {}
        self._made_objectives: dict[int, Standing] = {}
        # Rollups of cycles and departments asked of it so far: pure functions of the evaluation,
        # asked again by every request that shares it (a department's walks every key result).
        self._rollups: dict[tuple[object, ...], Standing] = {}

    @property
    def cycles(self) -> Mapping[str, Cycle]:
        """The scope's cycles, by id."""
        return self.plan.cycles

    @property
    def objectives(self) -> Mapping[str, Objective]:
        """The scope's objectives, by id."""
        return self.plan.objectives

    @property
    def key_results(self) -> Mapping[str, KeyResult]:
        """The scope's key results, by id."""
        return self.plan.key_results

    def expected(self, cycle_id: str) -> float:
        """The expected progress of a cycle at `now`."""
        return self.expected_at(self.plan.shape.cycle_ids[cycle_id])

    def expected_at(self, cycle: int) -> float:
        """The expected progress of the cycle at position `cycle` at `now`, computed once."""
        found = self._expected[cycle]
        if found is None:
            c = self.plan.shape.cycles[cycle]
            found = self._expected[cycle] = expected_progress(c.starts_at, c.ends_at, self.now)
        return found

    def key_result_at(self, at: int) -> Standing:
        """The progress of the key result at position `at`, made on first use."""
        made = self._made_key_results.get(at)
        if made is None:
            rank = self.ranks[at]
            blocked = self.blocked.get(at, ())
            made = self._made_key_results[at] = Standing.later(
                self.key_result_recipe,
                at,
                self.values[at],
                self.attainments[at],
                self.expected_at(self.plan.shape.key_result_cycle[at]),
                BY_RANK[rank],
                blocked_by=blocked,
                current=self.current[at],
            )
        return made

    def objective_at(self, at: int) -> Standing:
        """The progress of the (reached) objective at position `at`, made on first use."""
        made = self._made_objectives.get(at)
        if made is None:
            made = self._made_objectives[at] = Standing.later(
                self.objective_recipe,
                at,
                self.objective_values[at],
                None,
                self.expected_at(self.plan.shape.objective_cycle[at]),
                BY_RANK[self.objective_ranks[at]],
            )
        return made

    def _inputs_of(self, at: int) -> tuple[ExplanationInput, ...]:
        """What the objective at `at` added up, in order: its own key results, the key results
        aligned with it (with their link's weight), then its children."""
        shape = self.plan.shape
        key_results = self.plan.key_result_list
        objectives = self.plan.objective_list
        return (
            *(
                ExplanationInput(k.title, self.values[i], k.weight, k.id, "KeyResult")
                for i in shape.key_results_of.get(at, ())
                for k in (key_results[i],)
            ),
            *(
                ExplanationInput(k.title, self.values[i], weight, k.id, "KeyResult")
                for i, weight in shape.aligned_of.get(at, ())
                for k in (key_results[i],)
            ),
            *(
                ExplanationInput(o.title, self.objective_values[c], o.weight, o.id, "Objective")
                for c in shape.objectives_of.get(at, ())
                for o in (objectives[c],)
            ),
        )

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

    def cycle(self, cycle_id: str) -> Standing:
        """A cycle's progress: the weighted mean over its top-level objectives."""

        def items() -> list[Weighted]:
            made = []
            for o in self.top_level(cycle_id):
                result = self.objective_progress[o.id]
                made.append(Weighted(o.id, o.title, result.value, o.weight, result.status))
            return made

        return self._rolled_up(("cycle", cycle_id), cycle_id, items)

    def department(self, department_id: str, cycle_ids: Collection[str], cycle_id: str) -> Standing:
        """A department's progress: the weighted mean over the key results it owns in cycles."""
        return self._owned("department", department_id, cycle_ids, cycle_id)

    def member(self, member_id: str, cycle_ids: Collection[str], cycle_id: str) -> Standing:
        """A member's progress ("my OKRs"): the weighted mean over the key results they own in
        cycles, weighted as a department's are."""
        return self._owned("member", member_id, cycle_ids, cycle_id)

    def _owned(
        self, what: str, owner_id: str, cycle_ids: Collection[str], cycle_id: str
    ) -> Standing:
        """The weighted mean over the key results in cycles that a department (`what` is
        "department") or a member ("member") owns."""
        by_member = what == "member"

        def items() -> list[Weighted]:
            inside = set(cycle_ids)
            return [
                Weighted(
                    k.id, k.title, self.values[at], k.weight, BY_RANK[self.ranks[at]], "KeyResult"
                )
                for at, k in enumerate(self.plan.key_result_list)
                if (k.owner_id if by_member else k.department_id) == owner_id
                and k.cycle_id in inside
            ]

        return self._rolled_up((what, owner_id, cycle_id, frozenset(cycle_ids)), cycle_id, items)

    def _rolled_up(
        self, key: tuple[object, ...], cycle_id: str, items: Callable[[], list[Weighted]]
    ) -> Standing:
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

    def copy(self, plan: Plan) -> Evaluation:
        """A copy of this evaluation over `plan` (the same shape), its columns its own."""
        made = Evaluation(
            plan,
            now=self.now,
            policy=self.policy,
            current=self.current[:],
            checked_in=self.checked_in[:],
        )
        made.values = self.values[:]
        made.attainments = self.attainments[:]
        made.ranks = self.ranks[:]
        made.blocked = dict(self.blocked)
        made.objective_values = self.objective_values.copy()
        made.objective_ranks = self.objective_ranks[:]
        made.overridden.update(self.overridden)
        return made


class KeyResultProgress(Mapping[str, Standing]):
    """An evaluation's key result progress by id, in the scope's order."""

    __slots__ = ("_evaluation",)

    def __init__(self, evaluation: Evaluation) -> None:
        self._evaluation = evaluation

    def __getitem__(self, key_result_id: str) -> Standing:
        evaluation = self._evaluation
        return evaluation.key_result_at(evaluation.plan.shape.key_result_index[key_result_id])

    def __contains__(self, key_result_id: object) -> bool:
        return key_result_id in self._evaluation.plan.shape.key_result_index

    def __iter__(self) -> Iterator[str]:
        return iter(self._evaluation.plan.key_results)

    def __len__(self) -> int:
        return len(self._evaluation.plan)


class ObjectiveProgress(Mapping[str, Standing]):
    """An evaluation's objective progress by id, children before their parent."""

    __slots__ = ("_evaluation",)

    def __init__(self, evaluation: Evaluation) -> None:
        self._evaluation = evaluation

    def _at(self, objective_id: object) -> int | None:
        shape = self._evaluation.plan.shape
        at = shape.objective_index.get(objective_id) if isinstance(objective_id, str) else None
        return at if at is not None and shape.reached[at] else None

    def __getitem__(self, objective_id: str) -> Standing:
        at = self._at(objective_id)
        if at is None:
            raise KeyError(objective_id)
        return self._evaluation.objective_at(at)

    def __contains__(self, objective_id: object) -> bool:
        return self._at(objective_id) is not None

    def __iter__(self) -> Iterator[str]:
        objectives = self._evaluation.plan.objective_list
        return (objectives[at].id for at in self._evaluation.plan.shape.order)

    def __len__(self) -> int:
        return len(self._evaluation.plan.shape.order)


__all__ = ["Evaluation", "KeyResultProgress", "ObjectiveProgress"]
