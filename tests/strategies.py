"""Hypothesis strategies shared by the property tests: valid key results, check-ins, small trees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st

from service.domain.calendar import quarter_spans
from service.domain.model import Cycle, KeyResult, KeyResultKind, Objective, Override
from service.domain.progress import Point, Reading, reading
from service.domain.rules import MIN_SPAN

# Properties run on noisy CI machines: a slow example is not a failure.
PROPERTY = settings(deadline=None)

ORG = "org"
YEAR = 2027
LIMIT = 1e6

# 2027-Q1, the cycle every generated scope lives in.
Q1 = quarter_spans(YEAR)[0]
CYCLE = Cycle(
    id="q1",
    org_id=ORG,
    kind=Q1.kind,
    year=YEAR,
    starts_at=Q1.starts_at,
    ends_at=Q1.ends_at,
    quarter=Q1.quarter,
)


def values(limit: float = LIMIT) -> st.SearchStrategy[float]:
    """Finite floats within ±limit (no NaN, no infinity)."""
    return st.floats(min_value=-limit, max_value=limit, allow_nan=False, allow_infinity=False)


def weights() -> st.SearchStrategy[float]:
    """Valid weights: finite and > 0."""
    return st.floats(min_value=1e-3, max_value=1e3)


def factors() -> st.SearchStrategy[float]:
    """Positive scale factors."""
    return st.floats(min_value=1e-3, max_value=1e3)


def kinds() -> st.SearchStrategy[KeyResultKind]:
    """Any key result kind."""
    return st.sampled_from(KeyResultKind)


# Around 2027-Q1, a little before and after; aware UTC datetimes.
instants = st.datetimes(
    min_value=datetime(2026, 12, 1), max_value=datetime(2027, 4, 30), timezones=st.just(UTC)
)
# A few fixed instants so that generated check-ins often share one (ties broken by key).
shared_instants = st.sampled_from(
    [datetime(2027, 1, 10, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)]
)


@dataclass(frozen=True, slots=True)
class KeyResultSpec:
    """A kind with a start/target pair `rules.measurable` accepts."""

    kind: KeyResultKind
    start: float
    target: float


@st.composite
def key_result_specs(
    draw: st.DrawFn, kind: st.SearchStrategy[KeyResultKind] | None = None
) -> KeyResultSpec:
    """A measurable key result: INCREASE goes up, DECREASE down, MILESTONE 0 → 1."""
    chosen = draw(kind if kind is not None else kinds())
    if chosen is KeyResultKind.MILESTONE:
        return KeyResultSpec(chosen, 0.0, 1.0)
    start = draw(values())
    if chosen in (KeyResultKind.AT_LEAST, KeyResultKind.AT_MOST):
        target = draw(values())
        # A guardrail may start anywhere but must name a target at least MIN_SPAN away.
        apart = abs(target - start) >= MIN_SPAN
        return KeyResultSpec(chosen, start, target if apart else start + 1)
    # A step of at least 1e-3 stays visible next to a start of at most 1e6 in magnitude.
    step = draw(st.floats(min_value=1e-3, max_value=LIMIT))
    if chosen is KeyResultKind.INCREASE:
        return KeyResultSpec(chosen, start, start + step)
    return KeyResultSpec(chosen, start, start - step)


@st.composite
def check_ins(draw: st.DrawFn, max_size: int = 8) -> list[Point]:
    """Check-ins with unique keys, times often shared, in the order they arrive."""
    pairs = draw(
        st.lists(st.tuples(st.one_of(instants, shared_instants), values()), max_size=max_size)
    )
    return [Point(at=when, value=value, key=f"c{i:03d}") for i, (when, value) in enumerate(pairs)]


@dataclass(frozen=True, slots=True)
class Scope:
    """A small objective tree in 2027-Q1 with key results and their readings at `now`."""

    cycle: Cycle
    objectives: list[Objective]
    key_results: list[KeyResult]
    readings: dict[str, Reading]
    now: datetime


@st.composite
def scopes(draw: st.DrawFn, max_objectives: int = 5, max_key_results: int = 8) -> Scope:
    """A forest of up to `max_objectives` objectives; key results may depend on earlier ones,
    and were created at any instant around the cycle, or are as old as it (None)."""
    now = draw(instants)
    count = draw(st.integers(min_value=1, max_value=max_objectives))
    objectives: list[Objective] = []
    for i in range(count):
        parent = None if i == 0 else draw(st.none() | st.integers(min_value=0, max_value=i - 1))
        objectives.append(
            Objective(
                id=f"o{i}",
                org_id=ORG,
                cycle_id=CYCLE.id,
                year=YEAR,
                title=f"objective {i}",
                parent_id=None if parent is None else f"o{parent}",
                weight=draw(weights()),
            )
        )
    key_results: list[KeyResult] = []
    readings: dict[str, Reading] = {}
    for i in range(draw(st.integers(min_value=0, max_value=max_key_results))):
        spec = draw(key_result_specs())
        earlier = [k.id for k in key_results]
        depends_on = (
            draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if earlier else []
        )
        kr = KeyResult(
            id=f"k{i}",
            org_id=ORG,
            objective_id=f"o{draw(st.integers(min_value=0, max_value=count - 1))}",
            cycle_id=CYCLE.id,
            year=YEAR,
            title=f"key result {i}",
            kind=spec.kind,
            start_value=spec.start,
            target_value=spec.target,
            current_value=spec.start,
            weight=draw(weights()),
            depends_on=tuple(depends_on),
            created_at=draw(st.none() | instants),
        )
        key_results.append(kr)
        readings[kr.id] = reading(spec.start, draw(check_ins(max_size=3)), as_of=now)
    return Scope(CYCLE, objectives, key_results, readings, now)


# Shares of the way from start to target: at the middle of the quarter (expected 0.5) they give
# every pace status (OFF_TRACK below 0.25, AT_RISK below 0.375, ON_TRACK, ACHIEVED at 1), and
# ON_TRACK most often, which is what lateness can hold back.
SHARES = st.sampled_from([0.0, 0.1, 0.3, 0.4, 0.45, 0.6, 0.8, 1.0])
MID_QUARTER = datetime(2027, 2, 15, tzinfo=UTC)


@st.composite
def chained_scopes(draw: st.DrawFn, *, loops: bool = False, max_key_results: int = 9) -> Scope:
    """One objective of 2027-Q1 at its middle, whose key results wait on one another: each on
    earlier ones (chains, the graphs the rules allow) or, with `loops`, on any key result,
    itself included, or on one outside the scope. Readings spread over every pace status."""
    objective = Objective(
        id="o", org_id=ORG, cycle_id=CYCLE.id, year=YEAR, title="objective", weight=1.0
    )
    count = draw(st.integers(min_value=1, max_value=max_key_results))
    ids = [f"k{i}" for i in range(count)]
    key_results: list[KeyResult] = []
    readings: dict[str, Reading] = {}
    for i, kid in enumerate(ids):
        upstream = [*ids, "gone"] if loops else ids[:i]
        # Most often on the key result just before it, so that long chains are common.
        near = st.sampled_from(upstream[i - 1 : i] or upstream) if upstream else None
        depends_on = (
            draw(st.lists(near | st.sampled_from(upstream), max_size=3, unique=True))
            if near is not None
            else []
        )
        key_results.append(
            KeyResult(
                id=kid,
                org_id=ORG,
                objective_id=objective.id,
                cycle_id=CYCLE.id,
                year=YEAR,
                title=f"key result {i}",
                kind=KeyResultKind.INCREASE,
                start_value=0.0,
                target_value=100.0,
                current_value=0.0,
                depends_on=tuple(depends_on),
            )
        )
        readings[kid] = Reading(value=100.0 * draw(SHARES), checked_in=True)
    return Scope(CYCLE, [objective], key_results, readings, MID_QUARTER)


@st.composite
def override_histories(draw: st.DrawFn, max_size: int = 3) -> tuple[Override, ...]:
    """An objective's override history, in the order they were set: each at any instant around
    2027-Q1 (sometimes a shared one), with or without an expiry, cleared or not."""
    made: list[Override] = []
    for i in range(draw(st.integers(min_value=0, max_value=max_size))):
        set_at = draw(st.one_of(instants, shared_instants))
        expires_at = draw(st.none() | st.timedeltas(timedelta(milliseconds=1), timedelta(90)))
        cleared_at = draw(st.none() | st.timedeltas(timedelta(0), timedelta(90)))
        made.append(
            Override(
                value=draw(st.floats(min_value=0, max_value=1)),
                reason=f"reason {i}",
                set_at=set_at,
                set_by=draw(st.none() | st.sampled_from(["ana", "ben"])),
                expires_at=None if expires_at is None else set_at + expires_at,
                cleared_at=None if cleared_at is None else set_at + cleared_at,
                cleared_by=None if cleared_at is None else "ana",
            )
        )
    made.sort(key=lambda o: o.set_at)
    return tuple(made)
