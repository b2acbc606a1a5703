"""Organization: the root of everything, with its teams, cycles, objectives and audit trail."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema import standings, tracking
from schema.connections import Connection, connection, window
from schema.context import Info
from schema.enums import CycleKind
from schema.nodes import Node, load_node
from schema.tracking import HealthReport, InitiativeFilter, ProgressPoint
from schema.types import audit, cycle, department, initiative, member, objective, webhook
from schema.types.audit import ChangeFilter
from schema.types.common import (
    After,
    AsOf,
    CycleArgument,
    First,
    From,
    Step,
    To,
    Year,
    cycle_argument,
    gid,
    key,
    page_of,
    snapshot_of,
)
from schema.types.policy import Policy
from schema.types.progress import Progress
from schema.types.reminder import CheckInDue
from service.domain import model
from service.readmodel import reminders

if TYPE_CHECKING:
    from schema.types.audit import Change
    from schema.types.cycle import Cycle
    from schema.types.department import Department
    from schema.types.initiative import Initiative
    from schema.types.member import Member
    from schema.types.objective import Objective
    from schema.types.webhook import Webhook


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
            id=gid("Organization", org.id, org.id),
            name=org.name,
            slug=org.slug,
            mission=org.mission,
            vision=org.vision,
            policy=Policy.from_domain(org.policy),
            domain=org,
        )

    @strawberry.field(
        description="Its departments (teams), by name.",
        graphql_type=list[Annotated["Department", strawberry.lazy("schema.types.department")]],
    )
    def departments(self, info: Info) -> list[Department] | Awaitable[list[Department]]:
        return info.context.loaders.answer(
            self.domain.id,
            lambda s: [department.Department.from_domain(d) for d in s.department_list()],
        )

    @strawberry.field(
        description="Its cycles (of one year if given): each year, then its parts.",
        graphql_type=list[Annotated["Cycle", strawberry.lazy("schema.types.cycle")]],
    )
    def cycles(
        self,
        info: Info,
        year: Annotated[int | None, strawberry.argument(description="Only this year's.")] = None,
    ) -> list[Cycle] | Awaitable[list[Cycle]]:
        return info.context.loaders.answer(
            self.domain.id, lambda s: [cycle.Cycle.from_domain(c) for c in s.cycle_list(year)]
        )

    @strawberry.field(
        description="The cycle of this kind that is running now (default: the current quarter).",
        graphql_type=Annotated["Cycle", strawberry.lazy("schema.types.cycle")] | None,
    )
    async def current_cycle(
        self,
        info: Info,
        kind: Annotated[
            CycleKind, strawberry.argument(description="YEAR, QUARTER or MONTH.")
        ] = CycleKind.QUARTER,
    ) -> Cycle | None:
        now = info.context.now
        held = await snapshot_of(info, self.domain.id)
        for c in held.cycle_list(now.year):
            if c.kind.value == kind.name and c.starts_at <= now < c.ends_at:
                return cycle.Cycle.from_domain(c)
        return None

    @strawberry.field(
        description="The year's global objective: the root of its OKR tree.",
        graphql_type=Annotated["Objective", strawberry.lazy("schema.types.objective")] | None,
    )
    async def global_objective(self, info: Info, year: Year) -> Objective | None:
        standings.valid_year(year)
        found = (await snapshot_of(info, self.domain.id)).global_objective(year)
        return objective.Objective.from_domain(found) if found else None

    @strawberry.field(description="The year's progress: its global objective's progress.")
    async def progress(self, info: Info, year: Year, as_of: AsOf = None) -> Progress:
        return await standings.organization_progress(info.context, self.domain, year, as_of)

    @strawberry.field(description="The year's progress at each instant from `from` to `to`.")
    async def progress_series(
        self, info: Info, year: Year, from_: From, to: To, interval: Step
    ) -> list[ProgressPoint]:
        standings.valid_year(year)
        return await tracking.series(
            info, self.domain.id, year, from_, to, interval, standings.year_pick(year)
        )

    @strawberry.field(
        description="Its initiatives, by creation; the filter lists discard candidates.",
        graphql_type=Connection[
            Annotated["Initiative", strawberry.lazy("schema.types.initiative")]
        ],
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
        held = await snapshot_of(info, self.domain.id)
        kept = tracking.discard_candidates(held.initiative_list(), filter)
        page = page_of(kept, after=after_id, limit=size)
        return connection(page, initiative.Initiative.from_domain, key, after=after)

    @strawberry.field(
        description="What needs attention in a cycle (and the cycles inside it): team objective "
        "counts (a quarter's with its months'), unmeasured objectives, unowned or stale key "
        "results, dependency risks, and initiatives to discard."
    )
    async def health(self, info: Info, cycle_id: CycleArgument) -> HealthReport:
        held = await snapshot_of(info, self.domain.id)
        return await tracking.health_report(info, held, cycle_argument(held, cycle_id))

    @strawberry.field(
        description="The key results of an open cycle (and the cycles inside it) due a check-in "
        "now, one entry per owner (the unowned ones together, last): those whose last check-in "
        "(or the cycle's start, or their creation if later) is older than the policy's "
        "`checkInCadenceDays`, each with since when and how late."
    )
    async def check_ins_due(self, info: Info, cycle_id: CycleArgument) -> list[CheckInDue]:
        held = await snapshot_of(info, self.domain.id)
        found = reminders.due_by_owner(
            held, cycle_argument(held, cycle_id).id, now=info.context.now
        )
        return [CheckInDue.from_domain(g, self.domain.id) for g in found]

    @strawberry.field(
        description="Objectives, by creation; filtered by cycle and department.",
        graphql_type=Connection[Annotated["Objective", strawberry.lazy("schema.types.objective")]],
    )
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
        return await objective.objective_connection(
            info, self.domain.id, cycle_id, department_id, first, after
        )

    @strawberry.field(
        description="The audit trail: every change to the organization's OKRs, newest first, "
        "with who made it, when, and the values before and after. Admins and editors only.",
        graphql_type=Connection[Annotated["Change", strawberry.lazy("schema.types.audit")]],
    )
    async def changes(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            ChangeFilter | None, strawberry.argument(description="Which changes to list.")
        ] = None,
    ) -> Connection[Change]:
        return await audit.changes(info, self.domain.id, first, after, filter)

    @strawberry.field(
        description="Its members, in the order they joined (invited, or signed in first), "
        "deactivated ones included.",
        graphql_type=Connection[Annotated["Member", strawberry.lazy("schema.types.member")]],
    )
    async def members(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Member]:
        size, after_id = window(first, after)
        held = await snapshot_of(info, self.domain.id)
        page = page_of(held.member_list(), after=after_id, limit=size)
        return connection(page, member.Member.from_domain, key, after=after)

    @strawberry.field(
        description="The webhook endpoints that receive the organization's changes. Admins only.",
        graphql_type=list[Annotated["Webhook", strawberry.lazy("schema.types.webhook")]],
    )
    async def webhooks(self, info: Info) -> list[Webhook]:
        return await webhook.webhooks(info, self.domain.id)


async def organization_or_none(info: Info, org_id: str) -> Organization | None:
    """The organization, when the caller may see it."""
    found = await info.context.loaders.snapshot(org_id)
    return Organization.from_domain(found.organization) if found else None
