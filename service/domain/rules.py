"""The rules that make an OKR valid, each raising a domain error with its code."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from service.domain.errors import ErrorCode, InvalidInput, RuleViolation
from service.domain.model import Cycle, CycleKind, KeyResultKind, Objective, Policy

MAX_TITLE = 500
MAX_TEXT = 10_000
MAX_MAGNITUDE = 1e15
"""The largest value, either way, a key result, a check-in or an initiative may hold: every
number derived from such values (progress, a forecast, a return on investment) stays finite."""
MIN_SPAN = 1e-9
"""The least distance between a key result's start and target, and the least cost that is not
zero: a smaller one divides into numbers no float can hold."""


def text(value: str, *, field: str, limit: int = MAX_TITLE) -> str:
    """A required text, trimmed: neither empty nor longer than `limit` characters."""
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(
            f"{field} must not be empty", field=(field,), code=ErrorCode.INVALID_TEXT
        )
    if len(cleaned) > limit:
        raise InvalidInput(
            f"{field} is {len(cleaned)} characters; at most {limit} are allowed",
            field=(field,),
            code=ErrorCode.INVALID_TEXT,
        )
    return cleaned


def optional_text(value: str | None, *, field: str, limit: int = MAX_TEXT) -> str | None:
    """An optional text: None or blank means absent, otherwise as `text`."""
    if value is None or not value.strip():
        return None
    return text(value, field=field, limit=limit)


def finite(value: float, *, field: str) -> float:
    """A finite number (no NaN or Infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{field} must be a finite number", field=(field,))
    return float(value)


def amount(value: float, *, field: str) -> float:
    """A measured value: finite and at most MAX_MAGNITUDE either way."""
    number = finite(value, field=field)
    if abs(number) > MAX_MAGNITUDE:
        raise InvalidInput(
            f"{field} must be between -{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}", field=(field,)
        )
    return number


def cost(value: float, *, field: str = "cost") -> float:
    """An initiative's cost: an amount that is 0 (free) or at least MIN_SPAN."""
    number = amount(value, field=field)
    if number < 0:
        raise InvalidInput(f"{field} must not be negative", field=(field,))
    if 0 < number < MIN_SPAN:
        raise InvalidInput(f"{field} must be 0 (free) or at least {MIN_SPAN:g}", field=(field,))
    return number


def weight(value: float, *, field: str = "weight") -> float:
    """A weight: finite and greater than zero."""
    number = finite(value, field=field)
    if number <= 0:
        raise InvalidInput(f"{field} must be greater than 0", field=(field,))
    return number


def ratio(value: float | None, *, field: str) -> float | None:
    """An optional share such as confidence: finite, within [0, 1]."""
    if value is None:
        return None
    number = finite(value, field=field)
    if not 0 <= number <= 1:
        raise InvalidInput(f"{field} must be between 0 and 1", field=(field,))
    return number


def measurable(kind: KeyResultKind, start: float, target: float) -> None:
    """A key result has a numeric start and target that say which way is better."""
    if kind is KeyResultKind.MILESTONE:
        if (start, target) != (0, 1):
            raise RuleViolation(
                "a MILESTONE key result goes from 0 (not done) to 1 (done)",
                field=("targetValue",),
                code=ErrorCode.NOT_MEASURABLE,
            )
        return
    if target == start:
        raise RuleViolation(
            "target equals start: nothing to measure",
            field=("targetValue",),
            code=ErrorCode.NOT_MEASURABLE,
        )
    if abs(target - start) < MIN_SPAN:
        raise RuleViolation(
            f"target and start must differ by at least {MIN_SPAN:g}",
            field=("targetValue",),
            code=ErrorCode.NOT_MEASURABLE,
        )
    if kind is KeyResultKind.INCREASE and target < start:
        raise RuleViolation(
            "an INCREASE key result needs target > start (use DECREASE to go down)",
            field=("targetValue",),
            code=ErrorCode.NOT_MEASURABLE,
        )
    if kind is KeyResultKind.DECREASE and target > start:
        raise RuleViolation(
            "a DECREASE key result needs target < start (use INCREASE to go up)",
            field=("targetValue",),
            code=ErrorCode.NOT_MEASURABLE,
        )


def infer_kind(start: float, target: float) -> KeyResultKind:
    """The kind a key result has when none is given: the direction from start to target."""
    return KeyResultKind.DECREASE if target < start else KeyResultKind.INCREASE


def team_limit_cycles(target: Cycle, cycles: Iterable[Cycle]) -> list[str]:
    """The cycles whose objectives count toward a team's limit for an objective in `target`:
    its quarter (the cycle itself, or a MONTH's parent) and the MONTH cycles inside that
    quarter, so that months cannot add five more each (DOMAIN.md §2); none for a YEAR."""
    if target.kind is CycleKind.YEAR:
        return []
    quarter = target.id if target.kind is CycleKind.QUARTER else target.parent_id
    if quarter is None:
        return [target.id]
    months = {c.id for c in cycles if c.kind is CycleKind.MONTH and c.parent_id == quarter}
    if target.kind is CycleKind.MONTH:
        months.add(target.id)
    return [quarter, *sorted(months)]


def objective_limit(team_objectives: int, policy: Policy) -> None:
    """A team has at most `max_objectives_per_team` objectives in one quarter, its months
    included."""
    if team_objectives >= policy.max_objectives_per_team:
        raise RuleViolation(
            f"this team already has {team_objectives} objectives in the quarter and its months; "
            f"the limit is {policy.max_objectives_per_team}",
            field=("departmentId",),
            code=ErrorCode.TOO_MANY_OBJECTIVES,
        )


def single_global_objective(cycle: Cycle, existing_global: Objective | None) -> None:
    """One global objective (a YEAR objective without parent) per organization per year."""
    if cycle.kind is CycleKind.YEAR and existing_global is not None:
        raise RuleViolation(
            f"{cycle.year} already has its global objective: {existing_global.title!r}",
            field=("parentId",),
            code=ErrorCode.DUPLICATE_GLOBAL_OBJECTIVE,
        )


def same_year(cycle: Cycle, parent_cycle: Cycle) -> None:
    """An objective's parent lives in the same year as the objective."""
    if parent_cycle.year != cycle.year:
        raise RuleViolation(
            f"the parent objective is in {parent_cycle.label}, not in {cycle.year}",
            field=("parentId",),
            code=ErrorCode.CYCLE_MISMATCH,
        )


def no_ancestor_loop(
    objective_id: str, new_parent_id: str, parents: Mapping[str, str | None]
) -> None:
    """Moving an objective under `new_parent_id` must not put it under itself."""
    node: str | None = new_parent_id
    seen: set[str] = set()
    while node is not None and node not in seen:
        seen.add(node)
        if node == objective_id:
            raise RuleViolation(
                "an objective cannot hang under itself or one of its children",
                field=("parentId",),
                code=ErrorCode.INVALID_PARENT,
            )
        node = parents.get(node)


def dependency_path(graph: Mapping[str, Sequence[str]], start: str, goal: str) -> list[str] | None:
    """A path start → … → goal following `graph` (id → upstream ids), or None."""
    stack: list[list[str]] = [[start]]
    seen = {start}
    while stack:
        path = stack.pop()
        if path[-1] == goal:
            return path
        for upstream in graph.get(path[-1], ()):
            if upstream not in seen:
                seen.add(upstream)
                stack.append([*path, upstream])
    return None


def acyclic_dependency(
    graph: Mapping[str, Sequence[str]], key_result_id: str, depends_on_id: str
) -> None:
    """Adding key_result → depends_on must not close a loop (DOMAIN.md §2)."""
    loop = dependency_path(graph, depends_on_id, key_result_id)
    if loop is not None:
        chain = " -> ".join([key_result_id, *loop])
        raise RuleViolation(
            f"the dependency would close a loop: {chain}",
            field=("dependsOnId",),
            code=ErrorCode.DEPENDENCY_CYCLE,
        )
