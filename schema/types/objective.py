"""Objective: a qualitative goal of a cycle; objectives form a tree up to the global one."""

from __future__ import annotations

import enum
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLResolveInfo

from schema import lookahead, standings, tracking
from schema.connections import Connection, connection, window
from schema.context import Context, Info
from schema.fastpath import hot
from schema.nodes import Node, argument_id, load_node
from schema.tracking import ProgressPoint
from schema.types import action_step, cycle, department, key_result, key_result_link, member
from schema.types.common import EMPTY, AsOf, From, Step, To, gid, key, page_of, snapshot_of
from schema.types.override import ProgressOverride
from schema.types.progress import Progress
from service.domain import model
from service.readmodel import Snapshot

if TYPE_CHECKING:
    from schema.types.action_step import ActionStep
    from schema.types.cycle import Cycle
    from schema.types.department import Department
    from schema.types.key_result import KeyResult
    from schema.types.key_result_link import KeyResultLink
    from schema.types.member import Member


@strawberry.enum(description="What a step on the path from an objective to the mission is.")
class PathLevel(enum.Enum):
    KEY_RESULT = strawberry.enum_value("KEY_RESULT", description="The key result asked about.")
    OBJECTIVE = strawberry.enum_value("OBJECTIVE", description="An objective on the way up.")
    GLOBAL_OBJECTIVE = strawberry.enum_value(
        "GLOBAL_OBJECTIVE", description="The year's global objective."
    )
    MISSION = strawberry.enum_value("MISSION", description="The organization's mission.")


@strawberry.type(description="One step from an objective up to the mission it serves.")
class PathStep:
    level: PathLevel = strawberry.field(description="What this step is.")
    title: str = strawberry.field(description="The objective's title, or the mission.")
    node: Node | None = strawberry.field(description="The objective; null for the mission.")


@strawberry.type(description="A qualitative goal in a cycle; objectives form a tree.")
class Objective(Node):
    title: str = strawberry.field(description="What to achieve, in words (≤ 500 characters).")
    description: str | None = strawberry.field(description="More context.")
    weight: float = strawberry.field(description="Its weight in its parent's rollup (> 0).")
    lessons_learned: str | None = strawberry.field(description="Written when the cycle closes.")
    score: float | None = strawberry.field(
        description="Frozen score in [0, 1] once closed: the progress at close rounded to 2 "
        "decimals half-up as the number is written (0.695 is 0.70, 0.125 is 0.13)."
    )
    domain: strawberry.Private[model.Objective]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Objective | None:
        """The entity a federation router asks for by `id` (Apollo Federation)."""
        found = await load_node(info, id)
        return found if isinstance(found, Objective) else None

    @strawberry.field(
        description="Every progress override set on it, oldest first, cleared and expired ones "
        "included: the history of its progress set by hand."
    )
    def progress_overrides(self) -> list[ProgressOverride]:
        return [ProgressOverride.from_domain(o) for o in self.domain.overrides]

    @classmethod
    def from_domain(cls, objective: model.Objective) -> Objective:
        return cls(
            id=gid("Objective", objective.org_id, objective.id),
            title=objective.title,
            description=objective.description,
            weight=objective.weight,
            lessons_learned=objective.lessons_learned,
            score=objective.score,
            domain=objective,
        )

    @strawberry.field(
        description="The member who answers for it; null for nobody.",
        graphql_type=Annotated["Member", strawberry.lazy("schema.types.member")] | None,
    )
    @hot
    def owner(self, info: GraphQLResolveInfo[Context]) -> Member | Awaitable[Member | None] | None:
        return member.owner(info, self.domain.org_id, self.domain.owner_id)

    @strawberry.field(
        description="The cycle it belongs to.",
        graphql_type=Annotated["Cycle", strawberry.lazy("schema.types.cycle")],
    )
    def cycle(self, info: Info) -> Cycle | Awaitable[Cycle]:
        o = self.domain
        return info.context.loaders.answer(
            o.org_id, lambda s: cycle.Cycle.from_domain(s.cycles[o.cycle_id])
        )

    @strawberry.field(
        description="The department that owns it; null for a shared objective.",
        graphql_type=Annotated["Department", strawberry.lazy("schema.types.department")] | None,
    )
    @hot
    def department(
        self, info: GraphQLResolveInfo[Context]
    ) -> Department | Awaitable[Department | None] | None:
        o = self.domain
        if o.department_id is None:
            return None
        return info.context.loaders.answer(o.org_id, lambda s: _team(s, o.department_id))

    @strawberry.field(
        description="The objective it serves; null for the global objective.",
        graphql_type=Annotated["Objective", strawberry.lazy("schema.types.objective")] | None,
    )
    @hot
    def parent(
        self, info: GraphQLResolveInfo[Context]
    ) -> Objective | Awaitable[Objective | None] | None:
        return _objective(info, self.domain.org_id, self.domain.parent_id)

    @strawberry.field(
        description="The objectives that serve it, by creation.",
        graphql_type=list[Annotated["Objective", strawberry.lazy("schema.types.objective")]],
    )
    @hot
    def children(
        self, info: GraphQLResolveInfo[Context]
    ) -> list[Objective] | Awaitable[list[Objective]]:
        o = self.domain
        return info.context.loaders.answer(
            o.org_id,
            lambda s: [
                Objective.from_domain(c) for c in s.year(o.year).children_of_objective(o.id)
            ],
        )

    @strawberry.field(
        description="Every key result that counts in it: its own by creation, then those "
        "aligned with it (their home is another objective) by creation; `keyResultLinks` "
        "gives the weight each counts with.",
        graphql_type=list[Annotated["KeyResult", strawberry.lazy("schema.types.key_result")]],
    )
    @hot
    def key_results(
        self, info: GraphQLResolveInfo[Context]
    ) -> list[KeyResult] | Awaitable[list[KeyResult]]:
        o = self.domain
        return info.context.loaders.answer(
            o.org_id,
            lambda s: [
                key_result.KeyResult.from_domain(k)
                for k in s.year(o.year).key_results_of_objective(o.id)
            ],
        )

    @strawberry.field(
        description="Every key result that counts in it with the weight it counts with here, "
        "in the order of `keyResults`: its own (`home` true), then those aligned with it.",
        graphql_type=list[
            Annotated["KeyResultLink", strawberry.lazy("schema.types.key_result_link")]
        ],
    )
    def key_result_links(self, info: Info) -> list[KeyResultLink] | Awaitable[list[KeyResultLink]]:
        o = self.domain
        return info.context.loaders.answer(
            o.org_id,
            lambda s: [
                link
                for k in s.year(o.year).key_results_of_objective(o.id)
                for link in key_result_link.links_of(s, k)
                if link.objective_id == o.id
            ],
        )

    @strawberry.field(
        graphql_type=Progress,
        description="Its progress: the weighted mean of its key results (each with the weight "
        "of its link here) and children.",
    )
    @hot
    def progress(self, info: GraphQLResolveInfo[Context], as_of: AsOf = None) -> standings.Answer:
        o = self.domain
        return standings.objective_progress(info.context, o.org_id, o.year, o.id, as_of)

    @strawberry.field(
        description="Its action plan: ordered steps.",
        graphql_type=list[Annotated["ActionStep", strawberry.lazy("schema.types.action_step")]],
    )
    def action_plan(self, info: Info) -> list[ActionStep] | Awaitable[list[ActionStep]]:
        o = self.domain
        return info.context.loaders.answer(
            o.org_id,
            lambda s: [action_step.ActionStep.from_domain(a) for a in s.action_plan(o.id)],
        )

    @strawberry.field(description="From this objective up to the global objective and the mission.")
    async def path_to_mission(self, info: Info) -> list[PathStep]:
        held = await snapshot_of(info, self.domain.org_id)
        return path_up(held, self.domain)

    @strawberry.field(description="Its progress at each instant from `from` to `to`.")
    async def progress_series(
        self, info: Info, from_: From, to: To, interval: Step
    ) -> list[ProgressPoint]:
        o = self.domain
        return await tracking.series(
            info,
            o.org_id,
            o.year,
            from_,
            to,
            interval,
            lambda _, done: done.objective_progress[o.id],
        )

    @strawberry.field(
        description="The objective it was carried over from, if any.",
        graphql_type=Annotated["Objective", strawberry.lazy("schema.types.objective")] | None,
    )
    def carried_over_from(self, info: Info) -> Objective | Awaitable[Objective | None] | None:
        return _objective(info, self.domain.org_id, self.domain.carried_over_from)


def _team(snapshot: Snapshot, department_id: str | None) -> Department | None:
    found = snapshot.departments.get(department_id) if department_id else None
    return department.Department.from_domain(found) if found else None


def _objective(
    info: Info | GraphQLResolveInfo[Context], org_id: str, objective_id: str | None
) -> Objective | Awaitable[Objective | None] | None:
    if objective_id is None:
        return None

    def found(snapshot: Snapshot) -> Objective | None:
        held = snapshot.objectives.get(objective_id)
        return Objective.from_domain(held) if held else None

    return info.context.loaders.answer(org_id, found)


def path_up(snapshot: Snapshot, objective: model.Objective) -> list[PathStep]:
    """From an objective up through its parents to the global objective, then the mission."""
    steps: list[PathStep] = []
    current: model.Objective | None = objective
    while current is not None and len(steps) < 50:  # a bound, though parents cannot loop
        held_cycle = snapshot.cycles.get(current.cycle_id)
        root = (
            current.parent_id is None
            and held_cycle is not None
            and held_cycle.kind is model.CycleKind.YEAR
        )
        level = PathLevel.GLOBAL_OBJECTIVE if root else PathLevel.OBJECTIVE
        steps.append(
            PathStep(level=level, title=current.title, node=Objective.from_domain(current))
        )
        current = snapshot.objectives.get(current.parent_id) if current.parent_id else None
    mission = snapshot.organization.mission
    if mission:
        steps.append(PathStep(level=PathLevel.MISSION, title=mission, node=None))
    return steps


async def objective_connection(
    info: Info,
    org_id: str,
    cycle_id: str | None,
    department_id: str | None,
    first: int | None,
    after: str | None,
) -> Connection[Objective]:
    """A page of an organization's objectives, in one cycle and of one department if given."""
    size, after_id = window(first, after)
    chosen = argument_id(cycle_id, "Cycle", field="cycleId") if cycle_id else None
    team = argument_id(department_id, "Department", field="departmentId") if department_id else None
    held = await snapshot_of(info, org_id)
    if (chosen and chosen.org_id != org_id) or (team and team.org_id != org_id):
        return connection(EMPTY, Objective.from_domain, key, after=after)  # type: ignore[arg-type]
    if chosen is not None:
        held_cycle = held.cycles.get(chosen.local_id)
        every = (
            held.year(held_cycle.year).objectives_of_cycle(chosen.local_id) if held_cycle else []
        )
    else:
        every = held.objective_list()
    if team is not None:
        every = [o for o in every if o.department_id == team.local_id]
    page = page_of(every, after=after_id, limit=size)
    await lookahead.objectives(info, page.items, lookahead.CONNECTION_ITEMS)
    return connection(page, Objective.from_domain, key, after=after)
