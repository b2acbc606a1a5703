"""What every use case shares: new ids, lookups that fail with NotFound, and rollup changes."""

from __future__ import annotations

import enum
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from service.domain.errors import ErrorCode, NotFound, RuleViolation
from service.domain.incremental import reevaluate
from service.domain.model import (
    CheckIn,
    Cycle,
    CycleKind,
    Department,
    KeyResult,
    Objective,
    Organization,
)
from service.domain.plan import Plan
from service.domain.progress import Reading
from service.domain.rollup import Evaluation, Progress, evaluate_plan
from service.store.cache import YearCache
from service.store.interface import Store, YearScope, reports_change

T = TypeVar("T")


class Keep(enum.Enum):
    """Marks an optional argument left out, where None means "clear it"."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


_RANDOM_BITS = 80
_last_id = [0, 0]  # the milliseconds and random part of this process's newest id
_ids = threading.Lock()


def new_id() -> str:
    """A 32-hex-digit id that sorts by creation time (48-bit milliseconds, then 80 random bits).

    Ids made by one process always increase: within one millisecond the random part of the
    next id is the last one plus one (as ULIDs do), so "by creation" holds for things created
    in the same millisecond too."""
    with _ids:
        ms = time.time_ns() // 1_000_000
        last_ms, last_random = _last_id
        random = last_random + 1
        if ms > last_ms or random >= 1 << _RANDOM_BITS:
            ms = max(ms, last_ms + 1)  # a clock that went back does not go back here
            random = int.from_bytes(os.urandom(_RANDOM_BITS // 8), "big")
        else:
            ms = last_ms
        _last_id[:] = [ms, random]
    return f"{ms:012x}{random:020x}"


async def organization(store: Store, org_id: str, *, field: str = "organizationId") -> Organization:
    """The organization, or NotFound on `field` (the input that named it)."""
    found = await store.get_organizations([org_id])
    if not found:
        raise NotFound("no organization with this id", field=(field,))
    return found[0]


async def department(store: Store, org_id: str, department_id: str, *, field: str) -> Department:
    """A department of the organization, or NotFound on `field`."""
    found = await store.get_departments(org_id, [department_id])
    if not found:
        raise NotFound("no department with this id in the organization", field=(field,))
    return found[0]


async def cycle(store: Store, org_id: str, cycle_id: str, *, field: str = "cycleId") -> Cycle:
    """A cycle of the organization, or NotFound on `field`."""
    found = await store.get_cycles(org_id, [cycle_id])
    if not found:
        raise NotFound("no cycle with this id in the organization", field=(field,))
    return found[0]


async def objective(
    store: Store, org_id: str, objective_id: str, *, field: str = "objectiveId"
) -> Objective:
    """An objective of the organization, or NotFound on `field`."""
    found = await store.get_objectives(org_id, [objective_id])
    if not found:
        raise NotFound("no objective with this id in the organization", field=(field,))
    return found[0]


async def key_result(
    store: Store, org_id: str, key_result_id: str, *, field: str = "keyResultId"
) -> KeyResult:
    """A key result of the organization, or NotFound on `field`."""
    found = await store.get_key_results(org_id, [key_result_id])
    if not found:
        raise NotFound("no key result with this id in the organization", field=(field,))
    return found[0]


async def check_in(store: Store, org_id: str, check_in_id: str) -> CheckIn:
    """A check-in of the organization, or NotFound."""
    found = await store.get_check_ins(org_id, [check_in_id])
    if not found:
        raise NotFound("no check-in with this id in the organization", field=("id",))
    return found[0]


def open_cycle(cycle_: Cycle, *, field: str = "cycleId") -> None:
    """Closed cycles are history: their OKRs no longer change."""
    if cycle_.closed:
        raise RuleViolation(
            f"cycle {cycle_.label} is closed; its OKRs are frozen",
            field=(field,),
            code=ErrorCode.CYCLE_CLOSED,
        )


# Rollup changes ------------------------------------------------------------------------------


class ScopeKind(enum.StrEnum):
    """The kinds of node whose progress a change can move."""

    KEY_RESULT = "KeyResult"
    OBJECTIVE = "Objective"
    CYCLE = "Cycle"
    DEPARTMENT = "Department"
    ORGANIZATION = "Organization"


@dataclass(frozen=True, slots=True)
class Scope:
    """A node whose progress can be computed; `cycle_id` is the cycle for a department, the
    YEAR cycle for an organization."""

    kind: ScopeKind
    id: str
    cycle_id: str | None = None


@dataclass(frozen=True, slots=True)
class ProgressChange:
    """One node's progress before and after a change (None before: the node is new)."""

    scope: Scope
    previous: Progress | None
    current: Progress | None


def reading(key_result: KeyResult) -> Reading:
    """A key result's stored current value as a reading at now (as `Plan` reads each one)."""
    return Reading(
        value=key_result.current_value, checked_in=key_result.last_check_in_at is not None
    )


def evaluate_scope(scope: YearScope, org: Organization, now: datetime) -> Evaluation:
    """The evaluation of a loaded year at `now`, from stored current values."""
    plan = Plan.of(scope.key_results, scope.objectives, scope.cycles)
    return evaluate_plan(plan, policy=org.policy, now=now)


def year_cycle_id(evaluation: Evaluation, year: int) -> str | None:
    """The id of the YEAR cycle of `year` among the evaluated cycles."""
    for c in evaluation.cycles.values():
        if c.kind is CycleKind.YEAR and c.year == year:
            return c.id
    return None


def cycle_and_ancestors(evaluation: Evaluation, cycle_id: str) -> list[str]:
    """A cycle and the cycles that contain it, innermost first."""
    chain: list[str] = []
    current: str | None = cycle_id
    while current is not None and current in evaluation.cycles:
        chain.append(current)
        current = evaluation.cycles[current].parent_id
    return chain


def descendant_cycles(cycles: Iterable[Cycle], cycle_id: str) -> set[str]:
    """A cycle and every cycle inside it."""
    by_parent: dict[str | None, list[str]] = {}
    for c in cycles:
        by_parent.setdefault(c.parent_id, []).append(c.id)
    found = {cycle_id}
    frontier = [cycle_id]
    while frontier:
        frontier = [child for parent in frontier for child in by_parent.get(parent, [])]
        found.update(frontier)
    return found


def scopes_of_objective(evaluation: Evaluation, objective_id: str) -> list[Scope]:
    """An objective, its ancestors, their cycles and the organization."""
    scopes: list[Scope] = []
    cycles: list[str] = []
    current: str | None = objective_id
    while current is not None and current in evaluation.objectives:
        node = evaluation.objectives[current]
        scopes.append(Scope(ScopeKind.OBJECTIVE, node.id))
        for c in cycle_and_ancestors(evaluation, node.cycle_id):
            if c not in cycles:
                cycles.append(c)
        current = node.parent_id
    scopes += [Scope(ScopeKind.CYCLE, c) for c in cycles]
    return scopes


def scopes_of_key_result(evaluation: Evaluation, key_result: KeyResult) -> list[Scope]:
    """Every node whose progress a key result feeds: itself, its objective chain, the cycles,
    its department in its cycles, and the organization's year."""
    scopes = [Scope(ScopeKind.KEY_RESULT, key_result.id)]
    scopes += scopes_of_objective(evaluation, key_result.objective_id)
    if key_result.department_id is not None:
        scopes += [
            Scope(ScopeKind.DEPARTMENT, key_result.department_id, c)
            for c in cycle_and_ancestors(evaluation, key_result.cycle_id)
        ]
    return scopes


def scopes_with_organization(
    evaluation: Evaluation, scopes: list[Scope], org_id: str, year: int
) -> list[Scope]:
    """`scopes` plus the organization's progress for the year, when the year cycle exists."""
    year_id = year_cycle_id(evaluation, year)
    if year_id is None:
        return scopes
    return [*scopes, Scope(ScopeKind.ORGANIZATION, org_id, year_id)]


def progress_of(evaluation: Evaluation, scope: Scope) -> Progress | None:
    """A scope's progress in an evaluation; None when the node is not part of it."""
    if scope.kind is ScopeKind.KEY_RESULT:
        return evaluation.key_result_progress.get(scope.id)
    if scope.kind is ScopeKind.OBJECTIVE:
        return evaluation.objective_progress.get(scope.id)
    if scope.kind is ScopeKind.CYCLE:
        return evaluation.cycle(scope.id) if scope.id in evaluation.cycles else None
    assert scope.cycle_id is not None  # departments and organizations always name their cycle
    if scope.kind is ScopeKind.DEPARTMENT:
        inside = descendant_cycles(evaluation.cycles.values(), scope.cycle_id)
        return evaluation.department(scope.id, inside, scope.cycle_id)
    for o in evaluation.objectives.values():
        if o.parent_id is None and o.cycle_id == scope.cycle_id:
            return evaluation.objective_progress[o.id]
    return None


def changes(
    before: Evaluation | None, after: Evaluation, scopes: Sequence[Scope]
) -> tuple[ProgressChange, ...]:
    """The progress of every scope before and after, whether or not it moved: a subscriber to
    any scope that holds the changed key result hears of the change (CONTRACT.md)."""
    found: list[ProgressChange] = []
    seen: set[Scope] = set()
    for scope in scopes:
        if scope in seen:
            continue
        seen.add(scope)
        previous = progress_of(before, scope) if before is not None else None
        current = progress_of(after, scope)
        if previous is not None or current is not None:
            found.append(ProgressChange(scope=scope, previous=previous, current=current))
    return tuple(found)


def whole_second(now: datetime) -> datetime:
    """The instant rollups are computed at for a request made at `now`: its whole second, so
    requests of the same second share one evaluation of an unchanged year (`YearCache`)."""
    return now.replace(microsecond=0)


async def tracked(
    *,
    store: Store,
    org: Organization,
    year: int,
    now: datetime,
    write: Callable[[], Awaitable[T]],
    scopes: Callable[[Evaluation], list[Scope]],
    changed_key_result: str | None = None,
    cache: YearCache | None = None,
) -> tuple[T, tuple[ProgressChange, ...], Evaluation]:
    """Run `write` and report how the progress of `scopes` (asked of the year before and after,
    at `now`'s whole second) moved, with the year after the write as evaluated; the year is
    loaded once, in a bounded number of round trips.

    A write that changes one key result's value only (`changed_key_result`: check-ins) re-reads
    that key result instead of the year, and re-evaluates only what it moves. With a `cache`,
    the year before comes from it, and the year after goes back to it when the version shows
    the write was the only one since (the version moved by exactly one): the next request then
    reads neither again."""
    instant = whole_second(now)

    def evaluated(scope: YearScope) -> Evaluation:
        return evaluate_scope(scope, org, instant)

    if cache is None:
        entry = None
        loaded = await store.load_year(org.id, year)
        before = evaluated(loaded)
    else:
        entry = await cache.year(store, org.id, year)
        loaded = entry.scope
        before = cache.evaluate(entry, policy=org.policy, now=instant)
    result = await write()
    if changed_key_result is not None and changed_key_result in loaded.key_results:
        fresh = await store.get_key_results(org.id, [changed_key_result])
        key_results = dict(loaded.key_results)
        key_results.update({k.id: k for k in fresh})
        after_scope = YearScope(loaded.cycles, loaded.objectives, key_results)
        # Only the key result, what depends on it and the objectives above move: the rest of
        # the year keeps its progress (`reevaluate` is exactly `evaluate`, bit for bit).
        after = (
            reevaluate(before, fresh[0], reading(fresh[0]))
            if len(fresh) == 1
            else evaluated(after_scope)
        )
        if cache is not None and entry is not None and reports_change(result):
            version = await store.version(org.id)
            if version == entry.version + 1:
                offered = cache.offer(org.id, year, version, after_scope)
                cache.remember(offered, policy=org.policy, now=instant, evaluation=after)
    else:
        after = evaluated(await store.load_year(org.id, year))
    found = scopes_with_organization(after, scopes(before) + scopes(after), org.id, year)
    return result, changes(before, after, found), after
