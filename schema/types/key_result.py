"""KeyResult: a measurable result of an objective, and what it depends on."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLResolveInfo

from schema import standings, tracking
from schema.connections import Connection, connection, window
from schema.context import Context, Info
from schema.enums import KeyResultKind, kind_of
from schema.fastpath import hot
from schema.nodes import Node, load_node
from schema.tracking import Forecast, ProgressPoint
from schema.types import (
    check_in,
    cycle,
    department,
    initiative,
    key_result_link,
    member,
    objective,
)
from schema.types.common import After, AsOf, First, From, Step, To, gid, key, snapshot_of
from schema.types.progress import Progress
from service.domain import model
from service.readmodel import Snapshot

if TYPE_CHECKING:
    from schema.types.check_in import CheckIn
    from schema.types.cycle import Cycle
    from schema.types.department import Department
    from schema.types.initiative import Initiative
    from schema.types.key_result_link import KeyResultLink
    from schema.types.member import Member
    from schema.types.objective import Objective, PathStep


@strawberry.type(
    description="A measurable result of its objective, which may serve other objectives of its "
    "year too (`links`)."
)
class KeyResult(Node):
    title: str = strawberry.field(description="The result, in words (≤ 500 characters).")
    kind: KeyResultKind = strawberry.field(description="How its value becomes progress.")
    unit: str | None = strawberry.field(description="What the numbers count: MQLs, €, %.")
    start_value: float = strawberry.field(description="The value at the start of the cycle.")
    target_value: float = strawberry.field(description="The value to reach.")
    current_value: float = strawberry.field(
        description="The newest check-in's value (by recordedAt), or the start value."
    )
    weight: float = strawberry.field(
        description="Its weight in its own objective's rollup (> 0); each objective it is "
        "aligned with has its link's weight (`links`)."
    )
    score: float | None = strawberry.field(
        description="Frozen score in [0, 1] once closed: the progress at close rounded to 2 "
        "decimals half-up as the number is written (0.695 is 0.70, 0.125 is 0.13)."
    )
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
            id=gid("KeyResult", kr.org_id, kr.id),
            title=kr.title,
            kind=kind_of(kr.kind),
            unit=kr.unit,
            start_value=kr.start_value,
            target_value=kr.target_value,
            current_value=kr.current_value,
            weight=kr.weight,
            score=kr.score,
            confidence=kr.confidence,
            last_check_in_at=kr.last_check_in_at,
            domain=kr,
        )

    @strawberry.field(
        description="The member who answers for it; null for nobody.",
        graphql_type=Annotated["Member", strawberry.lazy("schema.types.member")] | None,
    )
    @hot
    def owner(self, info: GraphQLResolveInfo[Context]) -> Member | Awaitable[Member | None] | None:
        return member.owner(info, self.domain.org_id, self.domain.owner_id)

    @strawberry.field(
        description="Its own objective (its home link): the one it was created under.",
        graphql_type=Annotated["Objective", strawberry.lazy("schema.types.objective")],
    )
    def objective(self, info: Info) -> Objective | Awaitable[Objective]:
        k = self.domain
        return info.context.loaders.answer(
            k.org_id, lambda s: objective.Objective.from_domain(s.objectives[k.objective_id])
        )

    @strawberry.field(
        description="Every objective it counts in: its own first, then those it was aligned "
        "with, in the order they were aligned.",
        graphql_type=list[Annotated["Objective", strawberry.lazy("schema.types.objective")]],
    )
    def objectives(self, info: Info) -> list[Objective] | Awaitable[list[Objective]]:
        k = self.domain
        return info.context.loaders.answer(
            k.org_id,
            lambda s: [
                objective.Objective.from_domain(s.objectives[link.objective_id])
                for link in k.links
                if link.objective_id in s.objectives
            ],
        )

    @strawberry.field(
        description="Every objective it counts in with the weight it counts with there: its "
        "home link first, then the aligned ones in the order they were aligned.",
        graphql_type=list[
            Annotated["KeyResultLink", strawberry.lazy("schema.types.key_result_link")]
        ],
    )
    def links(self, info: Info) -> list[KeyResultLink] | Awaitable[list[KeyResultLink]]:
        k = self.domain
        return info.context.loaders.answer(k.org_id, lambda s: key_result_link.links_of(s, k))

    @strawberry.field(
        description="The cycle it is measured in (its objective's).",
        graphql_type=Annotated["Cycle", strawberry.lazy("schema.types.cycle")],
    )
    def cycle(self, info: Info) -> Cycle | Awaitable[Cycle]:
        k = self.domain
        return info.context.loaders.answer(
            k.org_id, lambda s: cycle.Cycle.from_domain(s.cycles[k.cycle_id])
        )

    @strawberry.field(
        description="The department that owns it.",
        graphql_type=Annotated["Department", strawberry.lazy("schema.types.department")] | None,
    )
    @hot
    def department(
        self, info: GraphQLResolveInfo[Context]
    ) -> Department | Awaitable[Department | None] | None:
        k = self.domain
        if k.department_id is None:
            return None

        def found(snapshot: Snapshot) -> Department | None:
            held = snapshot.departments.get(k.department_id or "")
            return department.Department.from_domain(held) if held else None

        return info.context.loaders.answer(k.org_id, found)

    @strawberry.field(
        graphql_type=Progress, description="Its progress, pace status and explanation."
    )
    @hot
    def progress(self, info: GraphQLResolveInfo[Context], as_of: AsOf = None) -> standings.Answer:
        k = self.domain
        return standings.key_result_progress(info.context, k.org_id, k.year, k.id, as_of)

    @strawberry.field(
        description="The upstream key results it waits on.",
        graphql_type=list[Annotated["KeyResult", strawberry.lazy("schema.types.key_result")]],
    )
    def depends_on(self, info: Info) -> list[KeyResult] | Awaitable[list[KeyResult]]:
        k = self.domain
        return info.context.loaders.answer(
            k.org_id,
            lambda s: [
                KeyResult.from_domain(s.key_results[u]) for u in k.depends_on if u in s.key_results
            ],
        )

    @strawberry.field(
        description="The key results that wait on this one.",
        graphql_type=list[Annotated["KeyResult", strawberry.lazy("schema.types.key_result")]],
    )
    def dependents(self, info: Info) -> list[KeyResult] | Awaitable[list[KeyResult]]:
        k = self.domain
        return info.context.loaders.answer(
            k.org_id, lambda s: [KeyResult.from_domain(d) for d in s.dependents(k.id)]
        )

    @strawberry.field(
        description="Its check-ins, newest first (by recordedAt).",
        graphql_type=Connection[Annotated["CheckIn", strawberry.lazy("schema.types.check_in")]],
    )
    async def check_ins(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[CheckIn]:
        size, after_id = window(first, after)
        page = await info.context.loaders.check_in_page(
            self.domain.org_id, self.domain.id, after=after_id, limit=size
        )
        return connection(page, check_in.CheckIn.from_domain, key, after=after)

    @strawberry.field(
        description="The initiatives that serve it.",
        graphql_type=list[Annotated["Initiative", strawberry.lazy("schema.types.initiative")]],
    )
    def initiatives(self, info: Info) -> list[Initiative] | Awaitable[list[Initiative]]:
        k = self.domain
        return info.context.loaders.answer(
            k.org_id,
            lambda s: [initiative.Initiative.from_domain(i) for i in s.initiatives_of(k.id)],
        )

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
        "what to unblock first, nearest first.",
        graphql_type=list[Annotated["KeyResult", strawberry.lazy("schema.types.key_result")]],
    )
    async def critical_path(self, info: Info) -> list[KeyResult]:
        return [KeyResult.from_domain(k) for k in await tracking.critical_path(info, self.domain)]

    @strawberry.field(
        description="From this key result through its own objective up to the global "
        "objective and mission; `pathsToMission` gives the path through every objective it "
        "serves.",
        graphql_type=list[Annotated["PathStep", strawberry.lazy("schema.types.objective")]],
    )
    async def path_to_mission(self, info: Info) -> list[PathStep]:
        held = await snapshot_of(info, self.domain.org_id)
        return self._path_through(held, self.domain.objective_id)

    @strawberry.field(
        description="Every path from this key result up to the global objective and mission: "
        "one per objective it counts in, its own objective's first (that is `pathToMission`), "
        "then one per aligned objective in the order they were aligned.",
        graphql_type=list[list[Annotated["PathStep", strawberry.lazy("schema.types.objective")]]],
    )
    async def paths_to_mission(self, info: Info) -> list[list[PathStep]]:
        held = await snapshot_of(info, self.domain.org_id)
        return [self._path_through(held, link.objective_id) for link in self.domain.links]

    def _path_through(self, held: Snapshot, objective_id: str) -> list[PathStep]:
        """This key result, then the path up from `objective_id`."""
        first = objective.PathStep(
            level=objective.PathLevel.KEY_RESULT,
            title=self.domain.title,
            node=KeyResult.from_domain(self.domain),
        )
        found = held.objectives.get(objective_id)
        return [first, *(objective.path_up(held, found) if found else [])]

    @strawberry.field(description="Its progress at each instant from `from` to `to`.")
    async def progress_series(
        self, info: Info, from_: From, to: To, interval: Step
    ) -> list[ProgressPoint]:
        k = self.domain
        loaders = info.context.loaders
        return await tracking.series(
            info,
            k.org_id,
            k.year,
            from_,
            to,
            interval,
            lambda _, d: d.key_result_progress[k.id],
            lambda at: loaders.key_result_evaluation(k.org_id, k.year, at, k.id),
        )

    @strawberry.field(
        description="The key result it was carried over from, if any.",
        graphql_type=Annotated["KeyResult", strawberry.lazy("schema.types.key_result")] | None,
    )
    def carried_over_from(self, info: Info) -> KeyResult | Awaitable[KeyResult | None] | None:
        source = self.domain.carried_over_from
        if source is None:
            return None

        def found(snapshot: Snapshot) -> KeyResult | None:
            held = snapshot.key_results.get(source)
            return KeyResult.from_domain(held) if held else None

        return info.context.loaders.answer(self.domain.org_id, found)
