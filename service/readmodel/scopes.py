"""Scopes: the nodes whose progress can be watched, their progress in a snapshot, and how a
change moved it.

A key result feeds itself, every objective it serves (its home and those it is aligned with) and
every objective above those, their cycles and the cycles around those, its department in its
cycle and the cycles around it, and its organization's year. `moves(before, after, change)`
lists, for every scope a change touched, its progress before and after at the change's whole
second: what subscribers are sent.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service.domain import calendar
from service.domain.evaluation import Evaluation
from service.domain.incremental import reevaluate
from service.domain.model import KeyResult, Objective
from service.domain.progress import expected_progress
from service.domain.standing import Standing
from service.domain.weighted import combine
from service.readmodel.snapshot import Snapshot
from service.readmodel.years import OFF_LOOP_FROM, Year, placement, reading
from service.store.reads import CHECK_INS, KEY_RESULTS, OBJECTIVES
from service.store.records import Change, Delete, Put


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
class ScopeProgress:
    """One scope's progress before and after a change (None before: the node is new; None
    after: it is gone)."""

    scope: Scope
    previous: Standing | None
    current: Standing | None


def whole_second(now: datetime) -> datetime:
    """The instant rollups are computed at for a request made at `now`: its whole second, so
    requests of the same second share one evaluation of an unchanged year."""
    return now.replace(microsecond=0)


def organization_progress(snapshot: Snapshot, evaluation: Evaluation, year: int) -> Standing:
    """The organization's progress in a year: its global objective's, or nothing to measure
    (at the year's pace) while it has none."""
    root = snapshot.global_objective(year)
    if root is not None and root.id in evaluation.objective_progress:
        return evaluation.objective_progress[root.id]
    span = calendar.year_span(year)
    expected = expected_progress(span.starts_at, span.ends_at, evaluation.now)
    return combine([], expected=expected, what="organization (no global objective yet)")


def department_progress(
    snapshot: Snapshot, evaluation: Evaluation, department_id: str, cycle_id: str
) -> Standing:
    """A department's progress in a cycle and the cycles inside it."""
    inside = snapshot.cycles_inside(cycle_id)
    return evaluation.department(department_id, inside, cycle_id)


def member_progress(
    snapshot: Snapshot, evaluation: Evaluation, member_id: str, cycle_id: str
) -> Standing:
    """A member's progress in a cycle and the cycles inside it ("my OKRs")."""
    inside = snapshot.cycles_inside(cycle_id)
    return evaluation.member(member_id, inside, cycle_id)


def progress_of(snapshot: Snapshot, evaluation: Evaluation, scope: Scope) -> Standing | None:
    """A scope's progress in an evaluation of its year; None when the node is not there."""
    if scope.kind is ScopeKind.KEY_RESULT:
        return evaluation.key_result_progress.get(scope.id)
    if scope.kind is ScopeKind.OBJECTIVE:
        return evaluation.objective_progress.get(scope.id)
    if scope.kind is ScopeKind.CYCLE:
        return evaluation.cycle(scope.id) if scope.id in evaluation.cycles else None
    assert scope.cycle_id is not None  # departments and organizations always name their cycle
    cycle = snapshot.cycles.get(scope.cycle_id)
    if cycle is None:
        return None
    if scope.kind is ScopeKind.DEPARTMENT:
        if scope.id not in snapshot.departments:
            return None
        return department_progress(snapshot, evaluation, scope.id, scope.cycle_id)
    return organization_progress(snapshot, evaluation, cycle.year)


def cycle_and_around(snapshot: Snapshot, cycle_id: str) -> list[str]:
    """A cycle and the cycles that contain it, innermost first."""
    chain: list[str] = []
    current = snapshot.cycles.get(cycle_id)
    while current is not None and current.id not in chain:
        chain.append(current.id)
        current = snapshot.cycles.get(current.parent_id) if current.parent_id else None
    return chain


def scopes_of_objective(snapshot: Snapshot, objective: Objective) -> list[Scope]:
    """An objective, the objectives above it, their cycles and the cycles around them."""
    scopes: list[Scope] = []
    cycles: list[str] = []
    current: Objective | None = objective
    while current is not None and len(scopes) < 1000:
        scopes.append(Scope(ScopeKind.OBJECTIVE, current.id))
        for c in cycle_and_around(snapshot, current.cycle_id):
            if c not in cycles:
                cycles.append(c)
        current = snapshot.objectives.get(current.parent_id) if current.parent_id else None
    return scopes + [Scope(ScopeKind.CYCLE, c) for c in cycles]


def scopes_of_key_result(snapshot: Snapshot, key_result: KeyResult) -> list[Scope]:
    """Every node whose progress a key result feeds: itself, the chain above every objective it
    serves (its home first, then those it is aligned with) and their cycles, each once, its
    department in its cycles, and the organization's year."""
    scopes = [Scope(ScopeKind.KEY_RESULT, key_result.id)]
    for link in key_result.links:
        objective = snapshot.objectives.get(link.objective_id)
        if objective is not None:
            scopes += [s for s in scopes_of_objective(snapshot, objective) if s not in scopes]
    around = cycle_and_around(snapshot, key_result.cycle_id)
    if key_result.department_id is not None:
        scopes += [Scope(ScopeKind.DEPARTMENT, key_result.department_id, c) for c in around]
    year = snapshot.year_cycle(key_result.year)
    if year is not None:
        scopes.append(Scope(ScopeKind.ORGANIZATION, snapshot.org_id, year.id))
    return scopes


def _touched(snapshot: Snapshot, change: Change) -> list[tuple[int, Scope]]:
    """The scopes (with their year) of the key results and objectives a change put or
    deleted, as `snapshot` holds them."""
    found: list[tuple[int, Scope]] = []
    for op in change.ops:
        if not isinstance(op, Put | Delete):
            continue
        if op.collection == KEY_RESULTS:
            kr = snapshot.key_results.get(op.id)
            if kr is not None:
                found += [(kr.year, s) for s in scopes_of_key_result(snapshot, kr)]
        elif op.collection == OBJECTIVES:
            objective = snapshot.objectives.get(op.id)
            if objective is not None:
                found += [(objective.year, s) for s in scopes_of_objective(snapshot, objective)]
                year = snapshot.year_cycle(objective.year)
                if year is not None:
                    org = Scope(ScopeKind.ORGANIZATION, snapshot.org_id, year.id)
                    found.append((objective.year, org))
    return found


def moves(before: Snapshot, after: Snapshot, change: Change) -> tuple[ScopeProgress, ...]:
    """The progress of every scope the change touched, before and after it, at the change's
    whole second; every scope that holds a changed key result is listed, moved or not."""
    instant = whole_second(change.at)
    before, after = before.at(instant), after.at(instant)
    wanted: dict[Scope, int] = {}
    for year, scope in [*_touched(before, change), *_touched(after, change)]:
        wanted.setdefault(scope, year)
    if not wanted:
        return ()
    years = sorted(set(wanted.values()))
    evaluated_before = {y: before.year(y).evaluated(instant) for y in years}
    evaluated_after = {y: _after(before, after, change, y, evaluated_before[y]) for y in years}
    found: list[ScopeProgress] = []
    for scope, year in wanted.items():
        previous = progress_of(before, evaluated_before[year], scope)
        current = progress_of(after, evaluated_after[year], scope)
        if previous is not None or current is not None:
            found.append(ScopeProgress(scope, previous, current))
    return tuple(found)


def unevaluated(before: Snapshot, after: Snapshot, change: Change) -> list[Year]:
    """The large years (OFF_LOOP_FROM key results and up) that `moves` would evaluate from
    scratch at the change's second: each may be evaluated first with `Year.evaluated_soon`, off
    the event loop, and `moves` then finds it evaluated. A check-in's year after the change is
    not among them: `moves` computes it again from the year before, only where it moved."""
    instant = whole_second(change.at)
    before, after = before.at(instant), after.at(instant)
    years = {y for y, _ in [*_touched(before, change), *_touched(after, change)]}
    incremental = _refreshed(before, after, change) is not None
    found: list[Year] = []
    for year in sorted(years):
        for snapshot in (before,) if incremental else (before, after):
            held = snapshot.year(year)
            if len(held.scope.key_results) >= OFF_LOOP_FROM and instant not in held.evaluations:
                found.append(held)
    return found


def _after(
    before: Snapshot, after: Snapshot, change: Change, year: int, previous: Evaluation
) -> Evaluation:
    """`after`'s year evaluated at `previous`'s instant: from `previous`, computing again only
    what moved, when the change refreshed one key result in place (a check-in)."""
    kept = after.year(year)
    found = kept.evaluations.get(previous.now)
    if found is not None:
        return found
    refreshed = _refreshed(before, after, change)
    if refreshed is not None and refreshed.id in previous.key_results:
        found = reevaluate(previous, refreshed, reading(refreshed))
        kept.remember(found)
        return found
    return kept.evaluated(previous.now)


def _refreshed(before: Snapshot, after: Snapshot, change: Change) -> KeyResult | None:
    """The one key result a change rewrote in place, when that is all it did to the
    snapshot (a check-in, a title)."""
    held = [op for op in change.ops if isinstance(op, Put | Delete) and op.collection != CHECK_INS]
    if len(held) != 1 or not isinstance(held[0], Put) or held[0].collection != KEY_RESULTS:
        return None
    old = before.key_results.get(held[0].id)
    new = after.key_results.get(held[0].id)
    if old is None or new is None or before.organization.policy != after.organization.policy:
        return None
    return new if placement(old) == placement(new) else None


__all__: Sequence[str] = [
    "Scope",
    "ScopeKind",
    "ScopeProgress",
    "cycle_and_around",
    "department_progress",
    "moves",
    "organization_progress",
    "progress_of",
    "scopes_of_key_result",
    "scopes_of_objective",
    "whole_second",
]
