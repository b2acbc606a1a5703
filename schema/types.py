"""The object types of the contract, built from domain objects (`from_domain`).

One module on purpose: these types refer to each other in every direction, and strawberry
resolves those references simply within a module (a split would need lazy annotations on nearly
every field).

Resolvers stay thin: they read through the request's loaders or delegate to `schema.progress`;
none holds a rule. Every object keeps its domain value privately (`domain`) and its organization
id, so every lookup it makes is scoped to its own organization.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar, cast

import strawberry
from graphql import GraphQLError
from strawberry.dataloader import DataLoader

from schema import lookahead, tracking
from schema import progress as progress_of
from schema.connections import Connection, connection, window
from schema.context import Info
from schema.enums import CycleKind, KeyResultKind, cycle_kind_of, kind_of
from schema.ids import to_global_id
from schema.loaders import answer
from schema.nodes import Node, argument_id, load_node
from schema.progress import AS_OF, Progress
from schema.tracking import (
    Forecast,
    HealthReport,
    InitiativeFilter,
    ProgressPoint,
    SeriesInterval,
)
from service.domain import model
from service.okrs.common import descendant_cycles
from service.store.cache import CachedYear
from service.store.interface import Page

Year = Annotated[int, strawberry.argument(description="The calendar year, e.g. 2027.")]
From = Annotated[datetime, strawberry.argument(name="from", description="The first instant.")]
To = Annotated[datetime, strawberry.argument(description="The last instant (included).")]
Step = Annotated[SeriesInterval, strawberry.argument(description="The step between points.")]
AsOf = Annotated[datetime | None, strawberry.argument(description=AS_OF)]
First = Annotated[int | None, strawberry.argument(description="How many items: 0-100, default 20.")]
After = Annotated[str | None, strawberry.argument(description="The previous page's `endCursor`.")]


# A node's global id, typed as the ID it is: `to_global_id` itself, called directly (a response
# builds hundreds of nodes, and each wrapper call shows).
_gid = cast(Callable[[str, str, str], strawberry.ID], to_global_id)


@strawberry.type(description="The organization's settings of the OKR method (DOMAIN.md §2-§5).")
class Policy:
    on_track_ratio: float = strawberry.field(
        description="ON_TRACK at or above this share of the expected progress (default 0.75)."
    )
    at_risk_ratio: float = strawberry.field(
        description="AT_RISK at or above this share of the expected progress (default 0.5)."
    )
    max_objectives_per_team: int = strawberry.field(
        description="The most objectives a team may have in a cycle (default 5)."
    )
    min_objectives_per_team: int = strawberry.field(
        description="Fewer objectives than this is reported by the health report (default 3)."
    )
    roi_threshold: float = strawberry.field(
        description="Initiatives with a return below this are discard candidates (default 0)."
    )
    stale_after_days: int = strawberry.field(
        description="A key result without a check-in for longer is stale (default 14 days)."
    )

    @classmethod
    def from_domain(cls, policy: model.Policy) -> Policy:
        return cls(
            on_track_ratio=policy.on_track_ratio,
            at_risk_ratio=policy.at_risk_ratio,
            max_objectives_per_team=policy.max_objectives_per_team,
            min_objectives_per_team=policy.min_objectives_per_team,
            roi_threshold=policy.roi_threshold,
            stale_after_days=policy.stale_after_days,
        )


@strawberry.type(description="An organization: its mission, vision, teams, cycles and OKRs.")
class Organization(Node):
    name: str = strawberry.field(description="The organization's name.")
    slug: str = strawberry.field(description="Unique, URL-safe and permanent short name.")
    mission: str | None = strawberry.field(description="Why it exists; permanent.")
    vision: str | None = strawberry.field(description="Where it is heading; long-lived.")
    policy: Policy = strawberry.field(description="Its settings of the OKR method.")
    domain: strawberry.Private[model.Organization]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Organization | None:
        """The entity a federation router asks for by `id` (Apollo Federation)."""
        found = await load_node(info, id)
        return found if isinstance(found, Organization) else None

    @classmethod
    def from_domain(cls, org: model.Organization) -> Organization:
        return cls(
            id=_gid("Organization", org.id, org.id),
            name=org.name,
            slug=org.slug,
            mission=org.mission,
            vision=org.vision,
            policy=Policy.from_domain(org.policy),
            domain=org,
        )

    @strawberry.field(description="Its departments (teams), by name.")
    async def departments(self, info: Info) -> list[Department]:
        found = await info.context.loaders.departments_by_organization.load(self.domain.id)
        return [Department.from_domain(d) for d in found]

    @strawberry.field(description="Its cycles (of one year if given): each year, then its parts.")
    async def cycles(
        self,
        info: Info,
        year: Annotated[int | None, strawberry.argument(description="Only this year's.")] = None,
    ) -> list[Cycle]:
        found = await info.context.loaders.cycles_by_organization_year.load((self.domain.id, year))
        return [Cycle.from_domain(c) for c in found]

    @strawberry.field(
        description="The cycle of this kind that is running now (default: the current quarter)."
    )
    async def current_cycle(
        self,
        info: Info,
        kind: Annotated[
            CycleKind, strawberry.argument(description="YEAR, QUARTER or MONTH.")
        ] = CycleKind.QUARTER,
    ) -> Cycle | None:
        now = info.context.now
        found = await info.context.loaders.cycles_by_organization_year.load(
            (self.domain.id, now.year)
        )
        for c in found:
            if c.kind.value == kind.name and c.starts_at <= now < c.ends_at:
                return Cycle.from_domain(c)
        return None

    @strawberry.field(description="The year's global objective: the root of its OKR tree.")
    async def global_objective(self, info: Info, year: Year) -> Objective | None:
        found = progress_of.global_objective(await progress_of.year(info, self.domain.id, year))
        return Objective.from_domain(found) if found else None

    @strawberry.field(description="The year's progress: its global objective's progress.")
    async def progress(self, info: Info, year: Year, as_of: AsOf = None) -> Progress:
        return await progress_of.organization_progress(info, self.domain, year, as_of)

    @strawberry.field(description="The year's progress at each instant from `from` to `to`.")
    async def progress_series(
        self, info: Info, year: Year, from_: From, to: To, interval: Step
    ) -> list[ProgressPoint]:
        return await tracking.series(
            info, self.domain.id, year, from_, to, interval, progress_of.year_pick(year)
        )

    @strawberry.field(
        description="Its initiatives, by creation; the filter lists discard candidates (§5)."
    )
    async def initiatives(
        self,
        info: Info,
        filter: Annotated[
            InitiativeFilter | None, strawberry.argument(description="Which ones to list.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Initiative]:
        size, after_id = window(first, after)
        every = (await info.context.store.find_initiatives(self.domain.id)).items
        kept = tracking.discard_candidates(every, filter)
        later = [i for i in kept if after_id is None or i.id > after_id]
        page = Page(items=later[:size], total=len(kept), has_next=len(later) > size)
        return connection(page, Initiative.from_domain, _key, after=after)

    @strawberry.field(
        description="What needs attention in a cycle (and the cycles inside it): team objective "
        "counts, unmeasured objectives, unowned or stale key results, dependency risks, and "
        "initiatives to discard."
    )
    async def health(
        self,
        info: Info,
        cycle_id: Annotated[strawberry.ID, strawberry.argument(description="The cycle.")],
    ) -> HealthReport:
        cycle = await _cycle_argument(info, self.domain.id, cycle_id)
        return await tracking.health_report(info, self.domain.id, cycle)

    @strawberry.field(description="Objectives, by creation; filtered by cycle and department.")
    async def objectives(
        self,
        info: Info,
        cycle_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this cycle's.")
        ] = None,
        department_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this department's.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Objective]:
        return await objective_connection(
            info, self.domain.id, cycle_id, department_id, first, after
        )


async def objective_connection(
    info: Info,
    org_id: str,
    cycle_id: str | None,
    department_id: str | None,
    first: int | None,
    after: str | None,
    *,
    year: int | None = None,
) -> Connection[Objective]:
    """A page of an organization's objectives, in one cycle and of one department if given.

    A cycle's page (its `year` known) comes from the year cache when there is one: the year is
    read for the page's progress anyway, and its lists are already in the store's order."""
    size, after_id = window(first, after)
    cycle = argument_id(cycle_id, "Cycle", field="cycleId") if cycle_id else None
    team = argument_id(department_id, "Department", field="departmentId") if department_id else None
    if (cycle and cycle.org_id != org_id) or (team and team.org_id != org_id):
        return connection(_EMPTY, Objective.from_domain, _key, after=after)
    if cycle and year is not None and info.context.cache is not None:
        cached = await info.context.loaders.cached_year.load((org_id, year))
        page = cached.page_of_objectives(
            cycle.local_id,
            department_id=team.local_id if team else None,
            after=after_id,
            limit=size,
        )
    else:
        page = await info.context.store.find_objectives(
            org_id,
            cycle_ids=[cycle.local_id] if cycle else None,
            department_id=team.local_id if team else None,
            after=after_id,
            limit=size,
        )
    await lookahead.objectives(info, page.items, lookahead.CONNECTION_ITEMS)
    return connection(page, Objective.from_domain, _key, after=after)


_EMPTY: Page[Any] = Page(items=[], total=0, has_next=False)


def _key(item: model.Objective | model.KeyResult | model.CheckIn | model.Initiative) -> str:
    return item.id


@strawberry.type(description="A team that owns objectives and key results (Marketing, Sales).")
class Department(Node):
    name: str = strawberry.field(description="Unique within the organization.")
    domain: strawberry.Private[model.Department]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Department | None:
        """The entity a federation router asks for by `id` (Apollo Federation)."""
        found = await load_node(info, id)
        return found if isinstance(found, Department) else None

    @classmethod
    def from_domain(cls, department: model.Department) -> Department:
        return cls(
            id=_gid("Department", department.org_id, department.id),
            name=department.name,
            domain=department,
        )

    @strawberry.field(description="The organization it belongs to.")
    async def organization(self, info: Info) -> Organization:
        return await _organization(info, self.domain.org_id)

    @strawberry.field(
        description="Its progress in a cycle: the weighted mean of the key results it owns there "
        "(and in the cycles inside it)."
    )
    async def progress(
        self,
        info: Info,
        cycle_id: Annotated[strawberry.ID, strawberry.argument(description="The cycle.")],
        as_of: AsOf = None,
    ) -> Progress:
        cycle = await _cycle_argument(info, self.domain.org_id, cycle_id)
        return await progress_of.settled(
            progress_of.department_progress(
                info, self.domain.org_id, self.domain.id, cycle.year, cycle.id, as_of
            )
        )

    @strawberry.field(description="Its progress in a cycle at each instant from `from` to `to`.")
    async def progress_series(
        self,
        info: Info,
        cycle_id: Annotated[strawberry.ID, strawberry.argument(description="The cycle.")],
        from_: From,
        to: To,
        interval: Step,
    ) -> list[ProgressPoint]:
        cycle = await _cycle_argument(info, self.domain.org_id, cycle_id)
        pick = tracking.department_pick(self.domain.id, cycle.id)
        return await tracking.series(
            info, self.domain.org_id, cycle.year, from_, to, interval, pick
        )

    @strawberry.field(description="The key results it owns, by creation; in a cycle if given.")
    async def key_results(
        self,
        info: Info,
        cycle_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only those in this cycle and the cycles inside it."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[KeyResult]:
        size, after_id = window(first, after)
        org_id = self.domain.org_id
        cycle_ids = None
        if cycle_id is not None:
            cycle = await _cycle_argument(info, org_id, cycle_id)
            every = await info.context.loaders.cycles_by_organization_year.load((org_id, None))
            cycle_ids = sorted(descendant_cycles(every, cycle.id))
        page = await info.context.store.find_key_results(
            org_id, department_id=self.domain.id, cycle_ids=cycle_ids, after=after_id, limit=size
        )
        return connection(page, KeyResult.from_domain, _key, after=after)


@strawberry.type(description="A planning cycle: a YEAR, one of its QUARTERs, or a MONTH.")
class Cycle(Node):
    kind: CycleKind = strawberry.field(description="YEAR, QUARTER or MONTH.")
    label: str = strawberry.field(description="A short name: `2027`, `2027-Q1`, `2027-02`.")
    year: int = strawberry.field(description="The calendar year it lies in.")
    quarter: int | None = strawberry.field(description="1-4 for a quarter or a month in it.")
    month: int | None = strawberry.field(description="1-12 for a month.")
    starts_on: date = strawberry.field(description="Its first day.")
    ends_on: date = strawberry.field(description="Its last day (inclusive).")
    closed: bool = strawberry.field(description="Closed cycles are frozen, with scores.")
    closed_at: datetime | None = strawberry.field(description="When it was closed.")
    domain: strawberry.Private[model.Cycle]

    @classmethod
    def from_domain(cls, cycle: model.Cycle) -> Cycle:
        return cls(
            id=_gid("Cycle", cycle.org_id, cycle.id),
            kind=cycle_kind_of(cycle.kind),
            label=cycle.label,
            year=cycle.year,
            quarter=cycle.quarter,
            month=cycle.month,
            starts_on=cycle.starts_on,
            ends_on=cycle.ends_on,
            closed=cycle.closed,
            closed_at=cycle.closed_at,
            domain=cycle,
        )

    @strawberry.field(description="The cycle that contains it (a quarter's year).")
    async def parent(self, info: Info) -> Cycle | None:
        if self.domain.parent_id is None:
            return None
        found = await info.context.loaders.cycle_by_id.load(
            (self.domain.org_id, self.domain.parent_id)
        )
        return Cycle.from_domain(found) if found else None

    @strawberry.field(description="The cycles directly inside it, in time order.")
    async def children(self, info: Info) -> list[Cycle]:
        key = (self.domain.org_id, self.domain.year)
        found = await info.context.loaders.cycles_by_organization_year.load(key)
        return [Cycle.from_domain(c) for c in found if c.parent_id == self.domain.id]

    @strawberry.field(
        graphql_type=Progress,
        description="Its progress: the weighted mean of its top-level objectives.",
    )
    def progress(self, info: Info, as_of: AsOf = None) -> progress_of.Answer:
        c = self.domain
        return progress_of.cycle_progress(info, c.org_id, c.year, c.id, as_of)

    @strawberry.field(description="Its progress at each instant from `from` to `to`.")
    async def progress_series(
        self, info: Info, from_: From, to: To, interval: Step
    ) -> list[ProgressPoint]:
        c = self.domain
        return await tracking.series(
            info, c.org_id, c.year, from_, to, interval, lambda d: d.cycle(c.id)
        )

    @strawberry.field(description="Its objectives, by creation; of one department if given.")
    async def objectives(
        self,
        info: Info,
        department_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this department's.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Objective]:
        own_id = _gid("Cycle", self.domain.org_id, self.domain.id)
        return await objective_connection(
            info, self.domain.org_id, own_id, department_id, first, after, year=self.domain.year
        )


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
    owner: str | None = strawberry.field(description="Who answers for it.")
    weight: float = strawberry.field(description="Its weight in its parent's rollup (> 0).")
    lessons_learned: str | None = strawberry.field(description="Written when the cycle closes.")
    score: float | None = strawberry.field(description="Frozen score in [0, 1] once closed.")
    domain: strawberry.Private[model.Objective]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Objective | None:
        """The entity a federation router asks for by `id` (Apollo Federation)."""
        found = await load_node(info, id)
        return found if isinstance(found, Objective) else None

    @classmethod
    def from_domain(cls, objective: model.Objective) -> Objective:
        return cls(
            id=_gid("Objective", objective.org_id, objective.id),
            title=objective.title,
            description=objective.description,
            owner=objective.owner,
            weight=objective.weight,
            lessons_learned=objective.lessons_learned,
            score=objective.score,
            domain=objective,
        )

    @strawberry.field(description="The cycle it belongs to.")
    async def cycle(self, info: Info) -> Cycle:
        found = await info.context.loaders.cycle_by_id.load(
            (self.domain.org_id, self.domain.cycle_id)
        )
        assert found is not None  # an objective's cycle is never deleted
        return Cycle.from_domain(found)

    @strawberry.field(
        description="The department that owns it; null for a shared objective.",
        graphql_type=Department | None,
    )
    def department(self, info: Info) -> Department | Awaitable[Department | None] | None:
        o = self.domain
        if o.department_id is None:
            return None
        return answer(info.context.loaders.department_by_id, (o.org_id, o.department_id), _team)

    @strawberry.field(description="The objective it serves; null for the global objective.")
    async def parent(self, info: Info) -> Objective | None:
        return await _objective(info, self.domain.org_id, self.domain.parent_id)

    @strawberry.field(
        description="The objectives that serve it, by creation.",
        graphql_type=list[Annotated["Objective", strawberry.lazy("schema.types")]],
    )
    def children(self, info: Info) -> list[Objective] | Awaitable[list[Objective]]:
        o = self.domain
        found = info.context.loaders.children_by_objective
        return _under(info, o, lambda year: year.children_of_objective(o.id), found, _objectives)

    @strawberry.field(
        description="Its key results, by creation.",
        graphql_type=list[Annotated["KeyResult", strawberry.lazy("schema.types")]],
    )
    def key_results(self, info: Info) -> list[KeyResult] | Awaitable[list[KeyResult]]:
        o = self.domain
        found = info.context.loaders.key_results_by_objective
        return _under(
            info, o, lambda year: year.key_results_of_objective(o.id), found, _key_results
        )

    @strawberry.field(
        graphql_type=Progress,
        description="Its progress: the weighted mean of key results and children.",
    )
    def progress(self, info: Info, as_of: AsOf = None) -> progress_of.Answer:
        o = self.domain
        return progress_of.objective_progress(info, o.org_id, o.year, o.id, as_of)

    @strawberry.field(description="Its action plan: ordered steps (DOMAIN.md §5).")
    async def action_plan(self, info: Info) -> list[ActionStep]:
        key = (self.domain.org_id, self.domain.id)
        found = await info.context.loaders.action_steps_by_objective.load(key)
        return [ActionStep.from_domain(s) for s in found]

    @strawberry.field(description="From this objective up to the global objective and the mission.")
    async def path_to_mission(self, info: Info) -> list[PathStep]:
        return await _path_up(info, self.domain)

    @strawberry.field(description="Its progress at each instant from `from` to `to`.")
    async def progress_series(
        self, info: Info, from_: From, to: To, interval: Step
    ) -> list[ProgressPoint]:
        o = self.domain
        return await tracking.series(
            info, o.org_id, o.year, from_, to, interval, lambda d: d.objective_progress[o.id]
        )

    @strawberry.field(description="The objective it was carried over from, if any.")
    async def carried_over_from(self, info: Info) -> Objective | None:
        return await _objective(info, self.domain.org_id, self.domain.carried_over_from)


@strawberry.type(description="A measurable result of one objective (DOMAIN.md §1, §3.1).")
class KeyResult(Node):
    title: str = strawberry.field(description="The result, in words (≤ 500 characters).")
    kind: KeyResultKind = strawberry.field(description="How its value becomes progress.")
    unit: str | None = strawberry.field(description="What the numbers count: MQLs, €, %.")
    start_value: float = strawberry.field(description="The value at the start of the cycle.")
    target_value: float = strawberry.field(description="The value to reach.")
    current_value: float = strawberry.field(
        description="The newest check-in's value (by recordedAt), or the start value."
    )
    owner: str | None = strawberry.field(description="Who answers for it.")
    weight: float = strawberry.field(description="Its weight in its objective's rollup (> 0).")
    score: float | None = strawberry.field(description="Frozen score in [0, 1] once closed.")
    confidence: float | None = strawberry.field(
        description="The newest check-in's confidence in reaching the target, in [0, 1]."
    )
    last_check_in_at: datetime | None = strawberry.field(
        description="When the newest check-in was recorded; null before any."
    )
    domain: strawberry.Private[model.KeyResult]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> KeyResult | None:
        """The entity a federation router asks for by `id` (Apollo Federation)."""
        found = await load_node(info, id)
        return found if isinstance(found, KeyResult) else None

    @classmethod
    def from_domain(cls, kr: model.KeyResult) -> KeyResult:
        return cls(
            id=_gid("KeyResult", kr.org_id, kr.id),
            title=kr.title,
            kind=kind_of(kr.kind),
            unit=kr.unit,
            start_value=kr.start_value,
            target_value=kr.target_value,
            current_value=kr.current_value,
            owner=kr.owner,
            weight=kr.weight,
            score=kr.score,
            confidence=kr.confidence,
            last_check_in_at=kr.last_check_in_at,
            domain=kr,
        )

    @strawberry.field(description="The objective it measures.")
    async def objective(self, info: Info) -> Objective:
        found = await _load_objective(info, self.domain.org_id, self.domain.objective_id)
        assert found is not None  # key results go with their objective
        return Objective.from_domain(found)

    @strawberry.field(description="The cycle it is measured in (its objective's).")
    async def cycle(self, info: Info) -> Cycle:
        found = await info.context.loaders.cycle_by_id.load(
            (self.domain.org_id, self.domain.cycle_id)
        )
        assert found is not None  # cycles are never deleted
        return Cycle.from_domain(found)

    @strawberry.field(description="The department that owns it.")
    async def department(self, info: Info) -> Department | None:
        return await _department(info, self.domain.org_id, self.domain.department_id)

    @strawberry.field(
        graphql_type=Progress, description="Its progress, pace status and explanation."
    )
    def progress(self, info: Info, as_of: AsOf = None) -> progress_of.Answer:
        k = self.domain
        return progress_of.key_result_progress(info, k.org_id, k.year, k.id, as_of)

    @strawberry.field(description="The upstream key results it waits on (DOMAIN.md §4).")
    async def depends_on(self, info: Info) -> list[KeyResult]:
        keys = [(self.domain.org_id, i) for i in self.domain.depends_on]
        found = await info.context.loaders.key_result_by_id.load_many(keys)
        return [KeyResult.from_domain(k) for k in found if k is not None]

    @strawberry.field(description="The key results that wait on this one.")
    async def dependents(self, info: Info) -> list[KeyResult]:
        key = (self.domain.org_id, self.domain.id)
        found = await info.context.loaders.dependents_by_key_result.load(key)
        return [KeyResult.from_domain(k) for k in found]

    @strawberry.field(description="Its check-ins, newest first (by recordedAt).")
    async def check_ins(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[CheckIn]:
        size, after_id = window(first, after)
        page = await info.context.store.page_check_ins(
            self.domain.org_id, self.domain.id, after=after_id, limit=size
        )
        return connection(page, CheckIn.from_domain, _key, after=after)

    @strawberry.field(description="The initiatives that serve it.")
    async def initiatives(self, info: Info) -> list[Initiative]:
        key = (self.domain.org_id, self.domain.id)
        found = await info.context.loaders.initiatives_by_key_result.load(key)
        return [Initiative.from_domain(i) for i in found]

    @strawberry.field(
        description="Where its check-ins in this cycle are heading; null with fewer than two "
        "(see `noForecastReason`)."
    )
    async def forecast(self, info: Info) -> Forecast | None:
        made = await tracking.forecast_of(info, self.domain)
        return made if isinstance(made, Forecast) else None

    @strawberry.field(description="Why `forecast` is null; null when there is a forecast.")
    async def no_forecast_reason(self, info: Info) -> str | None:
        made = await tracking.forecast_of(info, self.domain)
        return made if isinstance(made, str) else None

    @strawberry.field(
        description="Every upstream key result, however far up, that is AT_RISK or OFF_TRACK: "
        "what to unblock first, nearest first."
    )
    async def critical_path(self, info: Info) -> list[KeyResult]:
        return [KeyResult.from_domain(k) for k in await tracking.critical_path(info, self.domain)]

    @strawberry.field(description="From this key result up to the global objective and mission.")
    async def path_to_mission(self, info: Info) -> list[PathStep]:
        first = PathStep(
            level=PathLevel.KEY_RESULT,
            title=self.domain.title,
            node=KeyResult.from_domain(self.domain),
        )
        found = await _load_objective(info, self.domain.org_id, self.domain.objective_id)
        return [first, *(await _path_up(info, found) if found else [])]

    @strawberry.field(description="Its progress at each instant from `from` to `to`.")
    async def progress_series(
        self, info: Info, from_: From, to: To, interval: Step
    ) -> list[ProgressPoint]:
        k = self.domain
        return await tracking.series(
            info, k.org_id, k.year, from_, to, interval, lambda d: d.key_result_progress[k.id]
        )

    @strawberry.field(description="The key result it was carried over from, if any.")
    async def carried_over_from(self, info: Info) -> KeyResult | None:
        source = self.domain.carried_over_from
        if source is None:
            return None
        found = await info.context.loaders.key_result_by_id.load((self.domain.org_id, source))
        return KeyResult.from_domain(found) if found else None


@strawberry.type(description="A value of a key result recorded at a time (append-only history).")
class CheckIn(Node):
    value: float = strawberry.field(description="The key result's value at `recordedAt`.")
    confidence: float | None = strawberry.field(description="Confidence in [0, 1].")
    note: str | None = strawberry.field(description="What happened.")
    recorded_at: datetime = strawberry.field(description="When the value was true (UTC).")
    author: str | None = strawberry.field(description="Who recorded it.")
    domain: strawberry.Private[model.CheckIn]

    @classmethod
    def from_domain(cls, check_in: model.CheckIn) -> CheckIn:
        return cls(
            id=_gid("CheckIn", check_in.org_id, check_in.id),
            value=check_in.value,
            confidence=check_in.confidence,
            note=check_in.note,
            recorded_at=check_in.recorded_at,
            author=check_in.author,
            domain=check_in,
        )

    @strawberry.field(description="The key result it measures.")
    async def key_result(self, info: Info) -> KeyResult:
        key = (self.domain.org_id, self.domain.key_result_id)
        found = await info.context.loaders.key_result_by_id.load(key)
        assert found is not None  # check-ins go with their key result
        return KeyResult.from_domain(found)


@strawberry.type(description="One ordered step of an objective's action plan.")
class ActionStep(Node):
    title: str = strawberry.field(description="What to do.")
    owner: str | None = strawberry.field(description="Who does it.")
    due_on: date | None = strawberry.field(description="When it is due.")
    done: bool = strawberry.field(description="Whether it is done.")
    position: int = strawberry.field(description="Its place in the plan, from 0.")
    domain: strawberry.Private[model.ActionStep]

    @classmethod
    def from_domain(cls, step: model.ActionStep) -> ActionStep:
        return cls(
            id=_gid("ActionStep", step.org_id, step.id),
            title=step.title,
            owner=step.owner,
            due_on=step.due_on,
            done=step.done,
            position=step.position,
            domain=step,
        )

    @strawberry.field(description="The objective whose plan it is part of.")
    async def objective(self, info: Info) -> Objective:
        found = await _load_objective(info, self.domain.org_id, self.domain.objective_id)
        assert found is not None  # steps go with their objective
        return Objective.from_domain(found)


@strawberry.type(description="An action serving key results, with a cost and expected value.")
class Initiative(Node):
    title: str = strawberry.field(description="What it is.")
    cost: float = strawberry.field(description="What it costs.")
    expected_value: float = strawberry.field(description="What it is expected to bring.")
    roi: float | None = strawberry.field(
        description="(expectedValue - cost) / cost; null when it costs nothing."
    )
    aligned: bool = strawberry.field(description="Whether it serves at least one key result.")
    domain: strawberry.Private[model.Initiative]

    @classmethod
    def from_domain(cls, initiative: model.Initiative) -> Initiative:
        return cls(
            id=_gid("Initiative", initiative.org_id, initiative.id),
            title=initiative.title,
            cost=initiative.cost,
            expected_value=initiative.expected_value,
            roi=initiative.roi,
            aligned=initiative.aligned,
            domain=initiative,
        )

    @strawberry.field(description="The key results it serves.")
    async def key_results(self, info: Info) -> list[KeyResult]:
        keys = [(self.domain.org_id, i) for i in self.domain.key_result_ids]
        found = await info.context.loaders.key_result_by_id.load_many(keys)
        return [KeyResult.from_domain(k) for k in found if k is not None]


@strawberry.type(description="Who is asking: the authenticated subject, organization and role.")
class Viewer:
    subject: str | None = strawberry.field(description="The token's subject; null without auth.")
    role: str | None = strawberry.field(description="viewer, editor or admin; null without auth.")
    organization_id: strawberry.Private[str | None]

    @strawberry.field(description="The organization the token is for; null without auth.")
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_id is None:
            return None
        return await organization_or_none(info, self.organization_id)


async def organization_or_none(info: Info, org_id: str) -> Organization | None:
    found = await info.context.loaders.organization_by_id.load(org_id)
    return Organization.from_domain(found) if found else None


async def _organization(info: Info, org_id: str) -> Organization:
    found = await organization_or_none(info, org_id)
    assert found is not None  # everything lives in an organization that exists
    return found


def _team(found: model.Department | None) -> Department | None:
    return Department.from_domain(found) if found else None


E = TypeVar("E")
T = TypeVar("T")


def _under(
    info: Info,
    objective: model.Objective,
    in_year: Callable[[CachedYear], list[E]],
    loader: DataLoader[tuple[str, str], list[E]],
    convert: Callable[[list[E]], list[T]],
) -> list[T] | Awaitable[list[T]]:
    """What lies under an objective: from its year in the cache when there is one (the year is
    checked once per request, and holds them all), else from `loader`."""
    if info.context.cache is not None:
        year = (objective.org_id, objective.year)
        return answer(info.context.loaders.cached_year, year, lambda y: convert(in_year(y)))
    return answer(loader, (objective.org_id, objective.id), convert)


def _objectives(found: list[model.Objective]) -> list[Objective]:
    return [Objective.from_domain(o) for o in found]


def _key_results(found: list[model.KeyResult]) -> list[KeyResult]:
    return [KeyResult.from_domain(k) for k in found]


async def _department(info: Info, org_id: str, department_id: str | None) -> Department | None:
    if department_id is None:
        return None
    found = await info.context.loaders.department_by_id.load((org_id, department_id))
    return Department.from_domain(found) if found else None


async def _load_objective(info: Info, org_id: str, objective_id: str) -> model.Objective | None:
    return await info.context.loaders.objective_by_id.load((org_id, objective_id))


async def _objective(info: Info, org_id: str, objective_id: str | None) -> Objective | None:
    if objective_id is None:
        return None
    found = await _load_objective(info, org_id, objective_id)
    return Objective.from_domain(found) if found else None


async def _path_up(info: Info, objective: model.Objective) -> list[PathStep]:
    """From an objective up through its parents to the global objective, then the mission."""
    steps: list[PathStep] = []
    current: model.Objective | None = objective
    while current is not None and len(steps) < 50:  # a bound, though parents cannot loop
        cycle = await info.context.loaders.cycle_by_id.load((current.org_id, current.cycle_id))
        root = (
            current.parent_id is None and cycle is not None and cycle.kind is model.CycleKind.YEAR
        )
        level = PathLevel.GLOBAL_OBJECTIVE if root else PathLevel.OBJECTIVE
        steps.append(
            PathStep(level=level, title=current.title, node=Objective.from_domain(current))
        )
        parent = current.parent_id
        current = await _load_objective(info, current.org_id, parent) if parent else None
    org = await info.context.loaders.organization_by_id.load(objective.org_id)
    if org is not None and org.mission:
        steps.append(PathStep(level=PathLevel.MISSION, title=org.mission, node=None))
    return steps


async def _cycle_argument(info: Info, org_id: str, cycle_id: str) -> model.Cycle:
    """The cycle a `cycleId` argument names in this organization; a GraphQL error otherwise."""
    gid = argument_id(cycle_id, "Cycle", field="cycleId")
    found = None
    if gid.org_id == org_id:
        found = await info.context.loaders.cycle_by_id.load((org_id, gid.local_id))
    if found is None:
        raise GraphQLError(
            "no cycle with this id in the organization", extensions={"code": "NOT_FOUND"}
        )
    return found
