"""`Progress` and its explanation, built from the request's evaluation of a year."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLError

from schema.context import Info
from schema.enums import ProgressStatus, status_of
from schema.ids import to_global_id
from schema.nodes import Node, load_node
from service.domain import calendar, model
from service.domain import rollup as domain
from service.domain.errors import DomainError
from service.domain.explain import Explanation as DomainExplanation
from service.domain.model import CycleKind, Objective, Organization
from service.domain.progress import expected_progress
from service.domain.rollup import Evaluation
from service.okrs.common import descendant_cycles

if TYPE_CHECKING:
    from schema.types import KeyResult

AS_OF = "The instant to compute at, recomputed from check-in history; default: now."


@strawberry.type(description="One policy setting a computation used, by name.")
class PolicyValue:
    name: str = strawberry.field(description="The setting, e.g. `on_track_ratio`.")
    value: float = strawberry.field(description="Its value for this organization.")


@strawberry.type(
    description="One input of a formula: a value, its weight, and where it comes from."
)
class ExplanationInput:
    label: str = strawberry.field(description="What the value is: a title, or `start`, `target`.")
    value: float | None = strawberry.field(description="The value used; null is left out.")
    weight: float | None = strawberry.field(description="Its weight in a weighted mean.")
    node_id: strawberry.ID | None = strawberry.field(
        description="The id of the key result or objective the value comes from, if any."
    )

    @strawberry.field(description="The key result or objective the value comes from, if any.")
    async def node(self, info: Info) -> Node | None:
        return await load_node(info, self.node_id) if self.node_id else None


@strawberry.type(description="How a number was computed: formula, inputs and policy values.")
class Explanation:
    formula: str = strawberry.field(description="The formula with the values put in.")
    explained: strawberry.Private[DomainExplanation]
    org_id: strawberry.Private[str]

    # Inputs and policy are written out when asked for: a dashboard asks for formulas only.
    @strawberry.field(description="Every input, in order.")
    def inputs(self) -> list[ExplanationInput]:
        def node_id(local: str | None, kind: str | None) -> strawberry.ID | None:
            if local is None or kind is None:
                return None
            return strawberry.ID(to_global_id(kind, self.org_id, local))

        return [
            ExplanationInput(
                label=i.label,
                value=i.value,
                weight=i.weight,
                node_id=node_id(i.node_id, i.node_kind),
            )
            for i in self.explained.inputs
        ]

    @strawberry.field(description="The policy settings it used.")
    def policy(self) -> list[PolicyValue]:
        return [PolicyValue(name=n, value=v) for n, v in self.explained.policy]

    @strawberry.field(description="Why the status is what it is.")
    def status_reason(self) -> str:
        return self.explained.status_reason


_NONE: Mapping[str, model.KeyResult] = MappingProxyType({})


@strawberry.type(description="Progress of a node at an instant (DOMAIN.md §3), explained.")
class Progress:
    value: float | None = strawberry.field(
        description="Progress in [0, 1]; null when there is nothing to measure."
    )
    attainment: float | None = strawberry.field(
        description="How far a key result went, uncapped (above 1: over-achieved); null above."
    )
    expected: float = strawberry.field(
        description="The share of the cycle elapsed: the progress the pace asks for now."
    )
    status: ProgressStatus = strawberry.field(description="The pace status (§3.3).")
    org_id: strawberry.Private[str]
    measured: strawberry.Private[domain.Progress]
    """The domain's progress: its explanation is written out only when asked for."""
    blocked_by_ids: strawberry.Private[tuple[str, ...]]
    evaluated: strawberry.Private[Mapping[str, model.KeyResult]]
    """The key results of the evaluation it comes from (upstream ones included)."""

    @strawberry.field(
        description="The upstream key results holding this one back (status AT_RISK by them).",
        graphql_type=list[Annotated["KeyResult", strawberry.lazy("schema.types")]],
    )
    def blocked_by(self, info: Info) -> list[KeyResult] | Awaitable[list[KeyResult]]:
        if not self.blocked_by_ids:
            return []  # most key results: no need to wait for a loader
        if all(i in self.evaluated for i in self.blocked_by_ids):
            # The evaluation that found them blocking holds them: no store read.
            from schema.types import KeyResult

            return [KeyResult.from_domain(self.evaluated[i]) for i in self.blocked_by_ids]
        return self._blocked_by(info)

    async def _blocked_by(self, info: Info) -> list[KeyResult]:
        from schema.types import KeyResult

        loader = info.context.loaders.key_result_by_id
        found = await loader.load_many([(self.org_id, i) for i in self.blocked_by_ids])
        return [KeyResult.from_domain(k) for k in found if k is not None]

    @strawberry.field(description="Formula, inputs and policy used.")
    def explanation(self) -> Explanation:
        # Written out only when asked for: formulas cost more than the numbers they explain.
        return _explanation(self.measured.explanation, self.org_id)

    @classmethod
    def from_domain(
        cls,
        result: domain.Progress,
        org_id: str,
        evaluated: Mapping[str, model.KeyResult] = _NONE,
    ) -> Progress:
        return cls(
            value=result.value,
            attainment=result.attainment,
            expected=result.expected,
            status=status_of(result.status),
            org_id=org_id,
            measured=result,
            blocked_by_ids=result.blocked_by,
            evaluated=evaluated,
        )


def _explanation(explained: DomainExplanation, org_id: str) -> Explanation:
    return Explanation(
        formula=explained.formula,
        explained=explained,
        org_id=org_id,
    )


async def evaluation(info: Info, org_id: str, year: int, as_of: datetime | None) -> Evaluation:
    """The request's evaluation of a year (loaded once per request and instant)."""
    found = await info.context.loaders.evaluation_by_year.load((org_id, year, as_of))
    if found is None:
        raise GraphQLError("the organization is gone", extensions={"code": "NOT_FOUND"})
    return found


def global_objective(done: Evaluation) -> Objective | None:
    """The evaluated year's global objective: its YEAR cycle's objective without a parent."""
    for o in done.objectives.values():
        if o.parent_id is None and done.cycles[o.cycle_id].kind is CycleKind.YEAR:
            return o
    return None


async def year(info: Info, org_id: str, year_: int) -> Evaluation:
    """The request's evaluation of a year at now; a GraphQL error for a year out of range."""
    try:
        calendar.valid_year(year_)
    except DomainError as error:
        raise GraphQLError(error.message, extensions={"code": error.code.value}) from error
    return await evaluation(info, org_id, year_, None)


def year_pick(year_: int) -> Callable[[Evaluation], domain.Progress]:
    """The organization's progress in a year from an evaluation of it (as `organization_progress`
    reads it, minus the empty case: a series needs a global objective)."""

    def pick(done: Evaluation) -> domain.Progress:
        root = global_objective(done)
        if root is None:
            raise GraphQLError(
                f"the organization has no global objective in {year_}",
                extensions={"code": "NOT_FOUND"},
            )
        return done.objective_progress[root.id]

    return pick


Answer = Progress | Awaitable[Progress]
"""A progress now, when the request has already evaluated its year, or later: most progress
fields of a response read an evaluation made for the first, and answering those at once spares
a coroutine per field (GraphQL execution awaits whichever it gets)."""


def from_evaluation(
    info: Info,
    org_id: str,
    year: int,
    as_of: datetime | None,
    pick: Callable[[Evaluation], domain.Progress],
) -> Answer:
    """The progress `pick` reads from the request's evaluation of a year."""
    done = info.context.loaders.evaluated.get((org_id, year, as_of))
    if done is not None:
        return Progress.from_domain(pick(done), org_id, done.key_results)

    async def later() -> Progress:
        found = await evaluation(info, org_id, year, as_of)
        return Progress.from_domain(pick(found), org_id, found.key_results)

    return later()


async def settled(answer: Answer) -> Progress:
    """An answer's progress, awaited if it is not there yet."""
    return answer if isinstance(answer, Progress) else await answer


def key_result_progress(
    info: Info, org_id: str, year: int, key_result_id: str, as_of: datetime | None
) -> Answer:
    """A key result's progress."""
    return from_evaluation(
        info, org_id, year, as_of, lambda done: done.key_result_progress[key_result_id]
    )


def objective_progress(
    info: Info, org_id: str, year: int, objective_id: str, as_of: datetime | None
) -> Answer:
    """An objective's progress: the weighted mean of its key results and child objectives."""
    return from_evaluation(
        info, org_id, year, as_of, lambda done: done.objective_progress[objective_id]
    )


def cycle_progress(
    info: Info, org_id: str, year: int, cycle_id: str, as_of: datetime | None
) -> Answer:
    """A cycle's progress: the weighted mean of its top-level objectives."""
    return from_evaluation(info, org_id, year, as_of, lambda done: done.cycle(cycle_id))


def department_progress(
    info: Info, org_id: str, department_id: str, year: int, cycle_id: str, as_of: datetime | None
) -> Answer:
    """A department's progress in a cycle and the cycles inside it."""

    def pick(done: Evaluation) -> domain.Progress:
        inside = descendant_cycles(done.cycles.values(), cycle_id)
        return done.department(department_id, inside, cycle_id)

    return from_evaluation(info, org_id, year, as_of, pick)


async def organization_progress(
    info: Info, org: Organization, year: int, as_of: datetime | None
) -> Progress:
    """The organization's progress in a year: its global objective's, or nothing to measure."""
    try:
        span = calendar.year_span(year)
    except DomainError as error:
        raise GraphQLError(error.message, extensions={"code": error.code.value}) from error
    done = await evaluation(info, org.id, year, as_of)
    root = global_objective(done)
    if root is not None:
        return Progress.from_domain(done.objective_progress[root.id], org.id)
    expected = expected_progress(span.starts_at, span.ends_at, as_of or done.now)
    empty = domain.combine([], expected=expected, what="organization (no global objective yet)")
    return Progress.from_domain(empty, org.id)
