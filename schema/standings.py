"""The progress fields of every node, read from the request's evaluation of its year.

Every progress of a response comes from one evaluation per year and instant (`Loaders`);
`from_evaluation` answers at once when the request has made it already, which is most fields
of a response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from graphql import GraphQLError

from schema.context import Context
from schema.types.progress import Progress
from service.domain import calendar
from service.domain.errors import DomainError
from service.domain.model import Organization
from service.domain.rollup import Evaluation
from service.domain.standing import Standing
from service.readmodel import Snapshot, scopes

AS_OF = "The instant to compute at, recomputed from check-in history; default: now."


async def evaluation(
    context: Context, org_id: str, year: int, as_of: datetime | None
) -> Evaluation:
    """The request's evaluation of a year (made once per request and instant)."""
    found = await context.loaders.evaluation(org_id, year, as_of)
    if found is None:
        raise GraphQLError("the organization is gone", extensions={"code": "NOT_FOUND"})
    return found


def valid_year(year: int) -> None:
    """A GraphQL error for a year out of range."""
    try:
        calendar.valid_year(year)
    except DomainError as error:
        raise GraphQLError(error.message, extensions={"code": error.code.value}) from error


Pick = Callable[[Snapshot, Evaluation], Standing]
"""Which progress of an evaluation (of an organization's snapshot) a field answers."""


def year_pick(year_: int) -> Pick:
    """The organization's progress in a year (a series needs a global objective)."""

    def pick(snapshot: Snapshot, done: Evaluation) -> Standing:
        if snapshot.global_objective(year_) is None:
            raise GraphQLError(
                f"the organization has no global objective in {year_}",
                extensions={"code": "NOT_FOUND"},
            )
        return scopes.organization_progress(snapshot, done, year_)

    return pick


Answer = Progress | Awaitable[Progress]
"""A progress now, when the request has already evaluated its year, or later: most progress
fields of a response read an evaluation made for the first, and answering those at once spares
a coroutine per field (GraphQL execution awaits whichever it gets)."""


def checked_as_of(as_of: datetime | None) -> None:
    """A GraphQL error (INVALID_VALUE) for an `asOf` without a time zone (a bare date is one)
    or outside the years 1 to 9999 in UTC."""
    if as_of is None:
        return
    try:
        calendar.instant(as_of, field="asOf")
    except DomainError as error:
        raise GraphQLError(error.message, extensions={"code": error.code.value}) from error


def from_evaluation(
    context: Context, org_id: str, year: int, as_of: datetime | None, pick: Pick
) -> Answer:
    """The progress `pick` reads from the request's evaluation of a year."""
    checked_as_of(as_of)
    loaders = context.loaders
    done = loaders.evaluated.get((org_id, year, as_of))
    held = loaders.held(org_id)
    if done is not None and held is not None:
        return Progress.from_domain(pick(held, done), org_id, done.key_results)

    async def later() -> Progress:
        found = await evaluation(context, org_id, year, as_of)
        snapshot = loaders.held(org_id)
        assert snapshot is not None  # evaluating read it
        return Progress.from_domain(pick(snapshot, found), org_id, found.key_results)

    return later()


async def settled(answer: Answer) -> Progress:
    """An answer's progress, awaited if it is not there yet."""
    return answer if isinstance(answer, Progress) else await answer


def key_result_progress(
    context: Context, org_id: str, year: int, key_result_id: str, as_of: datetime | None
) -> Answer:
    """A key result's progress."""
    return from_evaluation(
        context, org_id, year, as_of, lambda _, done: done.key_result_progress[key_result_id]
    )


def objective_progress(
    context: Context, org_id: str, year: int, objective_id: str, as_of: datetime | None
) -> Answer:
    """An objective's progress: the weighted mean of its key results and child objectives."""
    return from_evaluation(
        context, org_id, year, as_of, lambda _, done: done.objective_progress[objective_id]
    )


def cycle_progress(
    context: Context, org_id: str, year: int, cycle_id: str, as_of: datetime | None
) -> Answer:
    """A cycle's progress: the weighted mean of its top-level objectives."""
    return from_evaluation(context, org_id, year, as_of, lambda _, done: done.cycle(cycle_id))


def department_pick(department_id: str, cycle_id: str) -> Pick:
    """A department's progress in a cycle and the cycles inside it."""

    def pick(snapshot: Snapshot, done: Evaluation) -> Standing:
        return scopes.department_progress(snapshot, done, department_id, cycle_id)

    return pick


def department_progress(
    context: Context,
    org_id: str,
    department_id: str,
    year: int,
    cycle_id: str,
    as_of: datetime | None,
) -> Answer:
    """A department's progress in a cycle and the cycles inside it."""
    return from_evaluation(context, org_id, year, as_of, department_pick(department_id, cycle_id))


def member_progress(
    context: Context, org_id: str, member_id: str, year: int, cycle_id: str, as_of: datetime | None
) -> Answer:
    """A member's progress in a cycle and the cycles inside it: over the key results they own."""

    def pick(snapshot: Snapshot, done: Evaluation) -> Standing:
        return scopes.member_progress(snapshot, done, member_id, cycle_id)

    return from_evaluation(context, org_id, year, as_of, pick)


async def organization_progress(
    context: Context, org: Organization, year: int, as_of: datetime | None
) -> Progress:
    """The organization's progress in a year: its global objective's, or nothing to measure."""
    try:
        calendar.year_span(year)
    except DomainError as error:
        raise GraphQLError(error.message, extensions={"code": error.code.value}) from error
    checked_as_of(as_of)
    done = await evaluation(context, org.id, year, as_of)
    snapshot = context.loaders.held(org.id)
    assert snapshot is not None  # evaluating read it
    return Progress.from_domain(scopes.organization_progress(snapshot, done, year), org.id)
