"""Tracking over time and across teams: forecasts, series, critical paths, health, discard lists.

Each function reads through the request's loaders and hands the pure math of `service.domain`
plain values; the types here carry no references back to `schema.types`, which uses them.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry
from graphql import GraphQLError

from schema.context import Info
from schema.enums import ProgressStatus, status_of
from schema.ids import to_global_id
from schema.loaders import point
from schema.nodes import Node, load_node
from schema.standings import Pick, evaluation
from service.domain import health as domain_health
from service.domain import model
from service.domain.errors import DomainError
from service.domain.forecast import NoForecast, forecast
from service.domain.rollup import Evaluation
from service.domain.series import Interval, instants
from service.readmodel import Snapshot


@strawberry.enum(description="The step between two points of a progress series.")
class SeriesInterval(enum.Enum):
    DAY = strawberry.enum_value("DAY", description="One point per day from `from`.")
    WEEK = strawberry.enum_value("WEEK", description="One point every seven days.")
    MONTH = strawberry.enum_value("MONTH", description="One point per calendar month.")


@strawberry.type(description="Progress at one instant of a series, for charts.")
class ProgressPoint:
    at: datetime = strawberry.field(description="The instant.")
    value: float | None = strawberry.field(description="Progress in [0, 1] then.")
    expected: float = strawberry.field(description="The progress the pace asked for then.")
    status: ProgressStatus = strawberry.field(description="The status then.")


@strawberry.type(description="Where a key result is heading: its check-ins' trend line.")
class Forecast:
    projected_value: float = strawberry.field(
        description="The least-squares line through the cycle's check-ins, at the cycle's end."
    )
    projected_progress: float = strawberry.field(description="The progress of that value.")
    trending_off_track: bool = strawberry.field(
        description="True when the projection misses the target."
    )
    based_on: int = strawberry.field(description="How many check-ins the line is fitted to.")


@strawberry.type(description="One thing a coach would point at in a cycle.")
class HealthFinding:
    code: str = strawberry.field(
        description="TOO_MANY_OBJECTIVES, TOO_FEW_OBJECTIVES, OBJECTIVE_WITHOUT_KEY_RESULTS, "
        "KEY_RESULT_WITHOUT_OWNER, KEY_RESULT_WITHOUT_DEPARTMENT, STALE_KEY_RESULT, "
        "DEPENDENCY_RISK, UNALIGNED_INITIATIVE, LOW_ROI_INITIATIVE or OWNER_INACTIVE."
    )
    message: str = strawberry.field(description="What is wrong, for people.")
    node_id: strawberry.ID = strawberry.field(description="The id of the node concerned.")

    @strawberry.field(description="The department, objective, key result or initiative.")
    async def node(self, info: Info) -> Node | None:
        return await load_node(info, self.node_id)


@strawberry.type(description="The health of a cycle: every finding, most structural first.")
class HealthReport:
    findings: list[HealthFinding] = strawberry.field(description="Empty when all is well.")


@strawberry.input(
    description="Which initiatives to list: the discard candidates (unaligned, or a low return)."
)
class InitiativeFilter:
    unaligned: bool | None = strawberry.field(
        default=None, description="true: only those serving no key result; false: only aligned."
    )
    roi_below: float | None = strawberry.field(
        default=None, description="Only those whose ROI is below this (free ones have none)."
    )


def _bad_argument(error: DomainError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": error.code.value})


async def series(
    info: Info,
    org_id: str,
    year: int,
    start: datetime,
    end: datetime,
    interval: SeriesInterval,
    pick: Pick,
    evaluated: Callable[[datetime], Awaitable[Evaluation | None]] | None = None,
) -> list[ProgressPoint]:
    """The progress `pick` chooses, at every instant of the series (one history read), from
    the year's evaluation at each, or from `evaluated` (an evaluation of what `pick` needs)."""
    try:
        moments = instants(start, end, Interval(interval.name))
    except DomainError as error:
        raise _bad_argument(error) from error
    points: list[ProgressPoint] = []
    for at in moments:
        # Each point is a whole evaluation: other requests (and /healthz) run in between, and
        # a deadline can stop the series between two points.
        await asyncio.sleep(0)
        done = (
            await evaluation(info.context, org_id, year, at)
            if evaluated is None
            else await evaluated(at)
        )
        if done is None:
            raise GraphQLError("the organization is gone", extensions={"code": "NOT_FOUND"})
        snapshot = info.context.loaders.held(org_id)
        assert snapshot is not None  # evaluating read it
        found = pick(snapshot, done)
        points.append(
            ProgressPoint(
                at=at,
                value=found.value,
                expected=found.expected,
                status=status_of(found.status),
            )
        )
    return points


async def forecast_of(info: Info, kr: model.KeyResult) -> Forecast | str:
    """The forecast over the check-ins of the key result's cycle, or why there is none."""
    held = await info.context.loaders.snapshot(kr.org_id)
    cycle = held.cycles.get(kr.cycle_id) if held is not None else None
    assert cycle is not None  # a key result's cycle is never deleted
    found = await info.context.loaders.check_ins_by_key_result.load((kr.org_id, kr.id))
    inside = [point(c) for c in found if cycle.starts_at <= c.recorded_at < cycle.ends_at]
    made = forecast(
        inside, kind=kr.kind, start=kr.start_value, target=kr.target_value, ends_at=cycle.ends_at
    )
    if isinstance(made, NoForecast):
        return made.reason
    return Forecast(
        projected_value=made.projected_value,
        projected_progress=made.projected_progress,
        trending_off_track=made.trending_off_track,
        based_on=made.based_on,
    )


LAGGING = (model.ProgressStatus.AT_RISK, model.ProgressStatus.OFF_TRACK)


async def critical_path(info: Info, kr: model.KeyResult) -> list[model.KeyResult]:
    """Every key result upstream of `kr`, however far, whose status is AT_RISK or OFF_TRACK,
    nearest first."""
    held = await info.context.loaders.snapshot(kr.org_id)
    if held is None:
        return []
    seen = {kr.id}
    frontier = list(kr.depends_on)
    lagging: list[model.KeyResult] = []
    while frontier:
        fresh = [i for i in dict.fromkeys(frontier) if i not in seen]
        seen.update(fresh)
        found = [held.key_results[i] for i in fresh if i in held.key_results]
        for upstream in found:
            done = await evaluation(info.context, upstream.org_id, upstream.year, None)
            if done.key_result_progress[upstream.id].status in LAGGING:
                lagging.append(upstream)
        frontier = [i for k in found for i in k.depends_on]
    return lagging


async def health_report(info: Info, snapshot: Snapshot, cycle: model.Cycle) -> HealthReport:
    """The findings of a cycle and the cycles inside it."""
    org_id = snapshot.org_id
    done = await evaluation(info.context, org_id, cycle.year, None)
    found = domain_health.health(
        done,
        cycle.id,
        departments=snapshot.department_list(),
        initiatives=snapshot.initiative_list(),
        members=snapshot.members,
    )
    return HealthReport(
        findings=[
            HealthFinding(
                code=f.code.value,
                message=f.message,
                node_id=strawberry.ID(to_global_id(f.node_kind.value, org_id, f.node_id)),
            )
            for f in found
        ]
    )


def discard_candidates(
    initiatives: list[model.Initiative], chosen: InitiativeFilter | None
) -> list[model.Initiative]:
    """The initiatives the filter keeps, in id order."""
    if chosen is None:
        return initiatives
    kept = initiatives
    if chosen.unaligned is not None:
        kept = [i for i in kept if i.aligned is not chosen.unaligned]
    if chosen.roi_below is not None:
        bar = chosen.roi_below
        kept = [i for i in kept if i.roi is not None and i.roi < bar]
    return kept
