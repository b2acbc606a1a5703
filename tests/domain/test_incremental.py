"""`reevaluate` is `evaluate` again, to the bit and the word, while touching only what a reading
can move (issue 6): properties over random scopes, then the cases they might not draw."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain import incremental, rollup
from service.domain.incremental import reevaluate
from service.domain.model import (
    KeyResult,
    KeyResultKind,
    Link,
    Objective,
    Policy,
    ProgressStatus,
)
from service.domain.progress import Reading
from service.domain.rollup import Evaluation, evaluate, holding_back, roll_up
from service.domain.standing import Standing
from tests.domain.builders import at, key_result, objective, quarter_cycle, year_cycle
from tests.strategies import PROPERTY, instants, key_result_specs, values, weights

CYCLES = {c.id: c for c in (year_cycle(), quarter_cycle(), quarter_cycle("q2", 2))}
MID = at(2, 15)  # half of 2027-Q1
WHEN = (MID, at(3, 20))  # where `fractions` spread key results over every pace status
ON, OFF = ProgressStatus.ON_TRACK, ProgressStatus.OFF_TRACK


@dataclass(frozen=True, slots=True)
class World:
    """A scope as `evaluate` takes it."""

    key_results: list[KeyResult]
    objectives: list[Objective]
    readings: dict[str, Reading]
    now: datetime

    def evaluated(self) -> Evaluation:
        return evaluate(
            key_results=self.key_results,
            objectives=self.objectives,
            cycles=CYCLES,
            readings=self.readings,
            policy=Policy(),
            now=self.now,
        )

    def with_reading(self, kr: KeyResult, reading: Reading) -> World:
        """`kr` in place of the key result of its id, with `reading`."""
        krs = [kr if k.id == kr.id else k for k in self.key_results]
        return replace(self, key_results=krs, readings={**self.readings, kr.id: reading})


@dataclass(frozen=True, slots=True)
class Change:
    """A key result after a check-in, and its reading."""

    key_result: KeyResult
    reading: Reading


# Fractions of the way from start to target: at `WHEN`, every pace status is likely.
PACES = st.sampled_from([-0.5, 0.0, 0.2, 0.3, 0.45, 0.6, 0.9, 1.0, 1.5])


@st.composite
def readings_of(draw: st.DrawFn, kr: KeyResult, *, anywhere: bool = True) -> Reading:
    """A reading of `kr`: somewhere on its way, or (`anywhere`) any value and no check-in yet."""
    way = kr.target_value - kr.start_value
    on_the_way = (PACES | st.floats(-1, 2) if anywhere else PACES).map(
        lambda f: kr.start_value + f * way
    )
    if not anywhere:
        return Reading(draw(on_the_way), True)
    value = draw(st.one_of(on_the_way, on_the_way, on_the_way, values()))
    return Reading(value, draw(st.sampled_from([True, True, True, False])))


@st.composite
def worlds(draw: st.DrawFn, *, entangled: bool = False) -> World:
    """Objectives in the year and its quarters, nested at any depth and listed in any order,
    some whose parent is outside the scope, many with no key result; key results made at any
    time, that may depend on any other key result, on themselves or on one outside the scope,
    that may serve other objectives (aligned, with their own weights, some outside the scope),
    and a few whose objective is outside it.

    `entangled`: every key result depends on another, all in 2027-Q1 at `WHEN`, checked in and
    on their way, so that holding back and letting go happen often."""
    count = draw(st.integers(min_value=1, max_value=6))
    objectives: list[Objective] = []
    for i in range(count):
        parents = [f"o{j}" for j in range(i)]
        parent = draw(st.none() | st.sampled_from([*parents, "elsewhere"]))
        cycle = "q1" if entangled else draw(st.sampled_from(sorted(CYCLES)))
        objectives.append(
            objective(f"o{i}", cycle_id=cycle, parent_id=parent, weight=draw(weights()))
        )
    objectives = draw(st.permutations(objectives))
    cycle_of = {o.id: o.cycle_id for o in objectives}
    size = draw(st.integers(min_value=1, max_value=10))
    ids = [f"k{i}" for i in range(size)]
    key_results: list[KeyResult] = []
    readings: dict[str, Reading] = {}
    for kid in ids:
        spec = draw(key_result_specs(st.just(KeyResultKind.INCREASE) if entangled else None))
        owner = draw(st.sampled_from(sorted(cycle_of)) | st.just("elsewhere"))
        depends_on = draw(
            st.lists(
                st.sampled_from([*ids, "gone"]), min_size=int(entangled), max_size=3, unique=True
            )
        )
        # Links to other objectives (or one outside the scope), each with its own weight.
        others = [o for o in [*sorted(cycle_of), "elsewhere"] if o != owner]
        served = draw(st.lists(st.sampled_from(others), max_size=3, unique=True))
        aligned = tuple(Link(o, draw(weights())) for o in served)
        kr = KeyResult(
            id=kid,
            org_id="org",
            objective_id=owner,
            aligned=aligned,
            cycle_id=cycle_of.get(owner, "q1"),
            year=2027,
            title=f"key result {kid}",
            kind=spec.kind,
            start_value=spec.start,
            target_value=spec.target,
            current_value=spec.start,
            weight=draw(weights()),
            depends_on=tuple(depends_on),
            created_at=None if entangled else draw(st.none() | instants),
        )
        key_results.append(kr)
        readings[kid] = draw(readings_of(kr, anywhere=not entangled))
    now = st.sampled_from(WHEN) if entangled else st.sampled_from(WHEN) | instants
    return World(key_results, objectives, readings, draw(now))


@st.composite
def changes(draw: st.DrawFn, world: World, *, entangled: bool = False) -> Change:
    """A check-in on one of `world`'s key results; now and then (unless `entangled`) its kind,
    start, target and creation time move too (a change of its own numbers only)."""
    kr = draw(st.sampled_from(world.key_results))
    if not entangled and draw(st.booleans()):
        spec = draw(key_result_specs())
        kr = replace(
            kr,
            kind=spec.kind,
            start_value=spec.start,
            target_value=spec.target,
            created_at=draw(st.none() | instants),
        )
    reading = draw(readings_of(kr, anywhere=not entangled))
    return Change(replace(kr, current_value=reading.value), reading)


@st.composite
def checked_in(draw: st.DrawFn) -> tuple[World, Change]:
    """A world, entangled or not, and a check-in on it."""
    entangled = draw(st.booleans())
    world = draw(worlds(entangled=entangled))
    return world, draw(changes(world, entangled=entangled))


def _bits(value: float | None) -> str | None:
    return None if value is None else float(value).hex()


def _seen(result: Standing) -> tuple[object, ...]:
    """Everything a reader can see of a progress, floats to the bit."""
    e = result.explanation
    return (
        _bits(result.value),
        _bits(result.attainment),
        _bits(result.expected),
        _bits(result.current),
        result.status,
        result.blocked_by,
        e.formula,
        e.inputs,
        e.policy,
        e.status_reason,
    )


def assert_same(got: Evaluation, want: Evaluation) -> None:
    assert list(got.key_results.items()) == list(want.key_results.items())
    assert (got.now, got.policy, got.cycles, got.objectives) == (
        want.now,
        want.policy,
        want.cycles,
        want.objectives,
    )
    for got_progress, want_progress in [
        (got.key_result_progress, want.key_result_progress),
        (got.objective_progress, want.objective_progress),
    ]:
        assert list(got_progress) == list(want_progress)
        for node_id, wanted in want_progress.items():
            assert _seen(got_progress[node_id]) == _seen(wanted), node_id
            assert got_progress[node_id] == wanted


@dataclass(slots=True)
class Computed:
    """What `reevaluate` computed again, by id: the key results it held back again (naming
    their blockers) and the objectives it rolled up again, in order."""

    key_results: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)


@contextmanager
def watched() -> Iterator[Computed]:
    """What `reevaluate` computes again while inside, recorded as it calls `rollup`'s steps."""
    computed = Computed()

    def held(result: Evaluation, at: int) -> tuple[str, ...]:
        computed.key_results.append(result.plan.key_result_list[at].id)
        return holding_back(result, at)

    def rolled(result: Evaluation, at: int) -> None:
        computed.objectives.append(result.plan.objective_list[at].id)
        roll_up(result, at)

    with (
        patch.object(rollup, "holding_back", held),
        patch.object(incremental, "roll_up", rolled),
    ):
        yield computed


def touched(before: Evaluation, kid: str) -> tuple[set[str], set[str]]:
    """The key results and objectives a reading of `kid` may move: it, everything downstream
    of it however far, and the objectives above them."""
    key_results = {kid}
    grown = True
    while grown:
        found = {k.id for k in before.key_results.values() if key_results & set(k.depends_on)}
        grown = not found <= key_results
        key_results |= found
    objectives: set[str] = set()
    for k in key_results:
        for link in before.key_results[k].links:
            oid: str | None = link.objective_id
            while oid is not None and oid in before.objectives:
                objectives.add(oid)
                oid = before.objectives[oid].parent_id
    return key_results, objectives


def snapshot(evaluation: Evaluation) -> list[tuple[str, str, int]]:
    """What an evaluation holds, by identity."""
    return [
        (name, node_id, id(value))
        for name in ("key_results", "key_result_progress", "objective_progress")
        for node_id, value in getattr(evaluation, name).items()
    ]


@PROPERTY
@given(checked_in())
def test_reevaluating_one_reading_equals_evaluating_everything_again(
    drawn: tuple[World, Change],
) -> None:
    world, change = drawn
    before = world.evaluated()
    kept = snapshot(before)
    got = reevaluate(before, change.key_result, change.reading)
    assert_same(got, world.with_reading(change.key_result, change.reading).evaluated())
    assert snapshot(before) == kept
    assert_same(before, world.evaluated())


@PROPERTY
@given(checked_in())
def test_reevaluating_leaves_every_node_the_reading_cannot_move_as_it_was(
    drawn: tuple[World, Change],
) -> None:
    world, change = drawn
    before = world.evaluated()
    with watched() as computed:
        got = reevaluate(before, change.key_result, change.reading)
    key_results, objectives = touched(before, change.key_result.id)
    assert set(computed.objectives) <= objectives
    if incremental._placed(before.key_results[change.key_result.id]) == incremental._placed(
        change.key_result
    ):
        assert set(computed.key_results) <= key_results
        assert len(computed.key_results) == len(set(computed.key_results))  # each at most once
        assert len(computed.objectives) == len(set(computed.objectives))  # each at most once
        assert got.plan.shape is before.plan.shape
    assert got.objectives is before.objectives


@st.composite
def histories(draw: st.DrawFn) -> tuple[World, list[Change]]:
    """A world and check-ins one after another, each on the world as the ones before left it."""
    entangled = draw(st.booleans())
    start = world = draw(worlds(entangled=entangled))
    made: list[Change] = []
    for _ in range(draw(st.integers(min_value=2, max_value=5))):
        made.append(change := draw(changes(world, entangled=entangled)))
        world = world.with_reading(change.key_result, change.reading)
    return start, made


@PROPERTY
@given(histories())
def test_check_ins_one_after_another_each_equal_a_full_evaluation(
    drawn: tuple[World, list[Change]],
) -> None:
    world, made = drawn
    first = evaluation = world.evaluated()
    for change in made:
        evaluation = reevaluate(evaluation, change.key_result, change.reading)
        world = world.with_reading(change.key_result, change.reading)
        assert_same(evaluation, world.evaluated())
        assert evaluation.plan.shape is first.plan.shape  # made once, then shared


# Examples, in 2027-Q1 at its half (expected 0.5): 0.45 of the way is ON_TRACK, 0.3 AT_RISK, 0.1
# OFF_TRACK. A value of None is no check-in yet (the start value).


def scope(
    key_results: Iterable[KeyResult],
    values: Mapping[str, float | None],
    objectives: Iterable[Objective] = (objective("o"),),
) -> World:
    krs = list(key_results)
    readings: dict[str, Reading] = {}
    for k in krs:
        value = values[k.id]
        readings[k.id] = Reading(k.start_value, False) if value is None else Reading(value, True)
    return World(krs, list(objectives), readings, MID)


def checked(
    world: World, kid: str, value: float, *, checked_in: bool = True
) -> tuple[Evaluation, Evaluation, Computed]:
    """The evaluation before a check-in on `kid`, `reevaluate`'s after it, once proved equal
    to a full evaluation, and what `reevaluate` computed again."""
    kr = next(replace(k, current_value=value) for k in world.key_results if k.id == kid)
    reading = Reading(value, checked_in)
    before = world.evaluated()
    with watched() as computed:
        after = reevaluate(before, kr, reading)
    assert_same(after, world.with_reading(kr, reading).evaluated())
    return before, after, computed


SEED = scope(
    [
        key_result("mql", title="Obtain 1,000 MQLs"),
        key_result("deals", depends_on=("mql",)),
        key_result("calls", depends_on=("mql", "late")),
        key_result("late"),
    ],
    {"mql": 45, "deals": 45, "calls": 45, "late": 10},
)


def test_a_late_upstream_holds_its_on_track_dependents_back() -> None:
    before, after, _ = checked(SEED, "mql", 10)
    assert before.key_result_progress["deals"].status is ON
    deals = after.key_result_progress["deals"]
    assert (deals.status, deals.blocked_by) == (ProgressStatus.AT_RISK, ("mql",))
    assert deals.explanation.status_reason.endswith("held back by upstream: Obtain 1,000 MQLs")
    # Held back by another already: a second blocker, the same status, the objective unmoved.
    calls = after.key_result_progress["calls"]
    assert (calls.status, calls.blocked_by) == (ProgressStatus.AT_RISK, ("mql", "late"))


def test_an_upstream_back_on_track_lets_its_dependents_go() -> None:
    late = scope(SEED.key_results, {"mql": 10, "deals": 45, "calls": 45, "late": 45})
    before, after, _ = checked(late, "mql", 45)
    assert before.key_result_progress["deals"].blocked_by == ("mql",)
    deals = after.key_result_progress["deals"]
    assert (deals.status, deals.blocked_by) == (ON, ())


def test_an_upstream_moving_without_changing_pace_leaves_its_dependents_alone() -> None:
    before, after, computed = checked(SEED, "mql", 60)
    for kid in ("deals", "calls"):
        assert after.key_result_progress[kid] == before.key_result_progress[kid]
    assert computed.objectives == ["o"]  # mql's own number moved, theirs did not


def test_dependents_not_on_track_by_pace_are_never_held() -> None:
    behind = scope(SEED.key_results, {"mql": 45, "deals": 30, "calls": None, "late": 45})
    before, after, _ = checked(behind, "mql", 10)
    for kid in ("deals", "calls"):
        assert after.key_result_progress[kid] == before.key_result_progress[kid]


def test_a_key_result_coming_on_track_is_held_back_by_its_late_upstream() -> None:
    behind = scope(SEED.key_results, {"mql": 45, "deals": 45, "calls": 30, "late": 10})
    before, after, _ = checked(behind, "calls", 60)
    assert before.key_result_progress["calls"].status is ProgressStatus.AT_RISK
    calls = after.key_result_progress["calls"]
    assert (calls.status, calls.blocked_by) == (ProgressStatus.AT_RISK, ("late",))


def test_a_key_result_depending_on_itself_is_never_held_back_by_itself() -> None:
    alone = scope([key_result("k", depends_on=("k", "gone"))], {"k": 45})
    _, after, _ = checked(alone, "k", 10)
    assert after.key_result_progress["k"].status is OFF
    _, after, _ = checked(scope(alone.key_results, {"k": 10}), "k", 45)
    assert after.key_result_progress["k"].status is ON


CHAIN_VALUES: dict[str, float | None] = {"c": 45, "b": 45, "a": 45, "x": 45, "d": 45}
CHAIN = scope(
    [
        key_result("c", title="Leads"),
        key_result("b", title="Demos", depends_on=("c",)),
        key_result("a", title="Deals", depends_on=("b",)),
        key_result("x", title="Budget"),
        key_result("d", title="Renewals", depends_on=("a", "x")),
    ],
    CHAIN_VALUES,
)


def test_lateness_flows_down_a_chain_from_one_check_in() -> None:
    # A <- B <- C: C falls behind and both B and A are held back, each by its direct upstream.
    before, after, computed = checked(CHAIN, "c", 10)
    assert {k: p.status for k, p in before.key_result_progress.items()} == dict.fromkeys(
        "cbaxd", ON
    )
    statuses = {k: (p.status, p.blocked_by) for k, p in after.key_result_progress.items()}
    assert statuses == {
        "c": (OFF, ()),
        "b": (ProgressStatus.AT_RISK, ("c",)),
        "a": (ProgressStatus.AT_RISK, ("b",)),
        "x": (ON, ()),
        "d": (ProgressStatus.AT_RISK, ("a",)),
    }
    reason = after.key_result_progress["a"].explanation.status_reason
    assert reason == "progress 0.45 >= 0.75 x expected 0.5, but held back by upstream: Demos"
    assert sorted(computed.key_results) == ["a", "b", "d"]


def test_a_chain_is_let_go_when_its_head_is_back_on_track() -> None:
    late = scope(CHAIN.key_results, {**CHAIN_VALUES, "c": 10})
    before, after, _ = checked(late, "c", 45)
    assert before.key_result_progress["a"].blocked_by == ("b",)
    for kid in "cbad":
        assert (
            after.key_result_progress[kid].status,
            after.key_result_progress[kid].blocked_by,
        ) == (
            ON,
            (),
        )


def test_a_key_result_let_go_by_one_upstream_stays_held_by_a_late_one_outside() -> None:
    # d waits on a (downstream of the check-in) and on x (not): x keeps holding it back.
    both = scope(CHAIN.key_results, {**CHAIN_VALUES, "c": 10, "x": 10})
    before, after, _ = checked(both, "c", 45)
    assert before.key_result_progress["d"].blocked_by == ("a", "x")
    d = after.key_result_progress["d"]
    assert (d.status, d.blocked_by) == (ProgressStatus.AT_RISK, ("x",))
    # ... and a key result held back from outside passes it on down.
    late_x = scope(CHAIN.key_results, {**CHAIN_VALUES, "x": 10}).key_results
    chained = scope(
        [*late_x, key_result("e", depends_on=("d",))], {**CHAIN_VALUES, "x": 10, "e": 45}
    )
    _, after, _ = checked(chained, "d", 50)
    assert after.key_result_progress["e"].blocked_by == ("d",)


def test_a_loop_of_dependencies_holds_back_only_from_a_late_key_result() -> None:
    loop = scope(
        [
            key_result("p", depends_on=("q", "late")),
            key_result("q", depends_on=("p",)),
            key_result("late"),
        ],
        {"p": 45, "q": 45, "late": 45},
    )
    assert all(p.status is ON for p in loop.evaluated().key_result_progress.values())
    _, after, _ = checked(loop, "late", 10)
    held = {k: (p.status, p.blocked_by) for k, p in after.key_result_progress.items()}
    # Once held back, q is late too, and p names it beside `late`.
    assert held == {
        "p": (ProgressStatus.AT_RISK, ("q", "late")),
        "q": (ProgressStatus.AT_RISK, ("p",)),
        "late": (OFF, ()),
    }
    _, again, _ = checked(scope(loop.key_results, {"p": 45, "q": 45, "late": 10}), "late", 45)
    assert all(p.status is ON for p in again.key_result_progress.values())


TREE = [
    objective("root", cycle_id="y"),
    objective("a", parent_id="root", weight=2),
    objective("a1", parent_id="a"),
    objective("b", parent_id="root"),
    objective("empty", parent_id="root"),
]


def test_objectives_above_roll_up_again_up_to_the_root_and_no_others() -> None:
    tree = scope(
        [
            key_result("k", objective_id="a1"),
            key_result("d", objective_id="b", depends_on=("k",)),
            key_result("e", objective_id="b"),
            key_result("f", objective_id="a1", depends_on=("k",)),
        ],
        {"k": 45, "d": 45, "e": 30, "f": 60},
        TREE,
    )
    before, after, computed = checked(tree, "k", 10)
    # Each once, children before their parent.
    assert sorted(computed.objectives) == ["a", "a1", "b", "root"]
    assert computed.objectives[0] == "a1"
    assert computed.objectives[-1] == "root"
    assert after.objective_progress["a1"] != before.objective_progress["a1"]
    assert after.objective_progress["empty"] == before.objective_progress["empty"]
    assert after.objective_progress["empty"].value is None


def test_a_parent_rolls_up_again_only_when_a_child_number_or_status_moved() -> None:
    # Checked in at the value it had: the number holds, PENDING (made five days ago) becomes
    # OFF_TRACK, and the objective stays OFF_TRACK (its weakest child): nothing above it moves.
    tree = scope(
        [
            key_result("k", objective_id="a1", created_at=at(2, 10)),
            key_result("low", objective_id="a1"),
        ],
        {"k": None, "low": 10},
        TREE,
    )
    before, after, computed = checked(tree, "k", 0)
    assert computed.objectives == ["a1"]
    assert after.objective_progress["a"] == before.objective_progress["a"]
    # Checked in again at the same value: nothing moves but the key result's own progress.
    _, again, computed = checked(scope(tree.key_results, {"k": 0, "low": 10}, TREE), "k", 0)
    assert computed.objectives == []
    assert again.objective_progress == after.objective_progress


def test_a_key_result_whose_objective_is_outside_the_scope_moves_no_objective() -> None:
    stray = scope([key_result("k", objective_id="elsewhere")], {"k": 45})
    before, after, computed = checked(stray, "k", 10)
    assert computed.objectives == []
    assert after.objective_progress["o"] == before.objective_progress["o"]


def test_its_own_numbers_may_change_with_a_reading() -> None:
    world = scope([key_result("k", start=40, target=50)], {"k": 45})
    kr = replace(world.key_results[0], kind=KeyResultKind.DECREASE, start_value=60)
    reading = Reading(55, True)
    after = reevaluate(world.evaluated(), kr, reading)
    assert_same(after, world.with_reading(kr, reading).evaluated())
    assert after.key_result_progress["k"].value == 0.5


def test_its_creation_time_may_change_with_a_reading() -> None:
    # Silent since the quarter began, it is late; made five days ago, it is still PENDING.
    world = scope([key_result("k")], {"k": None})
    assert world.evaluated().key_result_progress["k"].status is OFF
    kr = replace(world.key_results[0], created_at=at(2, 10))
    reading = Reading(0.0, False)
    after = reevaluate(world.evaluated(), kr, reading)
    assert_same(after, world.with_reading(kr, reading).evaluated())
    assert after.key_result_progress["k"].status is ProgressStatus.PENDING


@pytest.mark.parametrize(
    "moved",
    [
        {"objective_id": "b", "cycle_id": "q1"},
        {"cycle_id": "q2"},
        {"weight": 3.0},
        {"depends_on": ("d",)},
        {"title": "renamed"},
    ],
)
def test_a_key_result_that_moved_in_the_tree_is_evaluated_again_in_full(
    moved: dict[str, object],
) -> None:
    tree = scope(
        [
            key_result("k", objective_id="a1"),
            key_result("d", objective_id="b", depends_on=("k",)),
            key_result("p", objective_id="b"),
        ],
        {"k": 45, "d": 45, "p": None},
        TREE,
    )
    kr = replace(tree.key_results[0], current_value=10.0, **moved)  # type: ignore[arg-type]
    reading = Reading(10.0, True)
    before = tree.evaluated()
    after = reevaluate(before, kr, reading)
    assert_same(after, tree.with_reading(kr, reading).evaluated())
    assert after.plan.shape is not before.plan.shape  # its place moved: a new shape


def test_a_key_result_outside_the_evaluation_is_refused() -> None:
    with pytest.raises(KeyError):
        reevaluate(SEED.evaluated(), key_result("new"), Reading(1.0, True))


def test_the_shape_is_made_once_and_shared() -> None:
    before, after, _ = checked(SEED, "mql", 10)
    assert after.plan.shape is before.plan.shape
    later = reevaluate(after, replace(SEED.key_results[0], current_value=50.0), Reading(50, True))
    assert later.plan.shape is before.plan.shape
