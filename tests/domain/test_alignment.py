"""Key results that serve several objectives (issue 19, item 3): DOMAIN.md §3.2 applied per link.

The worked cases of tests/domain/golden/shared-key-results.json, checked number by number, then
properties over random scopes with links: an objective's progress is the weighted mean over its
links and children, and the planned and incremental evaluators agree with the plain one."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from service.domain.health import FindingCode, key_result_findings
from service.domain.incremental import reevaluate
from service.domain.model import KeyResult, Link, Policy, ProgressStatus
from service.domain.plan import Plan
from service.domain.progress import Reading
from service.domain.rollup import Evaluation, evaluate, evaluate_plan
from tests.domain.builders import at, key_result, objective
from tests.domain.test_incremental import (
    CYCLES,
    Change,
    World,
    assert_same,
    checked_in,
    worlds,
)
from tests.strategies import PROPERTY

CASES = json.loads(
    (Path(__file__).parent / "golden" / "shared-key-results.json").read_text(encoding="utf-8")
)
NOW = at(2, 15)


def build(case: dict[str, Any]) -> Evaluation:
    """A case's objectives and key results, evaluated at its `now` from their values."""
    objectives = [
        objective(
            o["id"], cycle_id=o["cycle"], parent_id=o.get("parent"), weight=o.get("weight", 1.0)
        )
        for o in case["objectives"]
    ]
    cycle_of = {o.id: o.cycle_id for o in objectives}
    krs = [
        replace(
            key_result(k["id"], objective_id=k["home"], cycle_id=cycle_of[k["home"]]),
            weight=float(k["weight"]),
            aligned=tuple(Link(a["objective"], float(a["weight"])) for a in k.get("aligned", ())),
        )
        for k in case["keyResults"]
    ]
    readings = {k["id"]: Reading(float(k["value"]), checked_in=True) for k in case["keyResults"]}
    return evaluate(
        key_results=krs,
        objectives=objectives,
        cycles=CYCLES,
        readings=readings,
        policy=Policy(),
        now=NOW,
    )


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_a_worked_case_of_shared_key_results(case: dict[str, Any]) -> None:
    assert CASES["now"] == NOW.isoformat()
    evaluation = build(case)
    for objective_id, want in case["expect"].items():
        got = evaluation.objective_progress[objective_id]
        assert got.value == pytest.approx(want["progress"], rel=1e-12), objective_id
        assert got.status is ProgressStatus(want["status"]), objective_id
        inputs = got.explanation.inputs
        assert [(i.node_id, i.weight) for i in inputs] == [
            (node, weight) for node, _, weight in want["inputs"]
        ], objective_id
        for given_input, (_, value, _) in zip(inputs, want["inputs"], strict=True):
            assert given_input.value == pytest.approx(value, rel=1e-12), objective_id


def test_an_aligned_key_result_is_an_input_of_the_objective_it_serves() -> None:
    evaluation = build(CASES["cases"][0])
    shared = evaluation.objective_progress["B"].explanation.inputs[1]
    assert (shared.label, shared.node_kind, shared.weight) == ("k1", "KeyResult", 3.0)
    # Its own progress and its home objective are as if it served nothing else.
    assert evaluation.key_result_progress["k1"].value == pytest.approx(0.6)
    assert [i.node_id for i in evaluation.objective_progress["A"].explanation.inputs] == ["k1"]


def test_links_list_the_home_first_then_the_aligned_objectives() -> None:
    kr = replace(key_result("k", objective_id="a", weight=2), aligned=(Link("b", 0.5),))
    assert kr.links == (Link("a", 2.0), Link("b", 0.5))
    assert kr.serves("a")
    assert kr.serves("b")
    assert not kr.serves("c")


def test_a_plan_knows_every_objective_a_key_result_serves_inside_the_scope() -> None:
    kr = replace(key_result("k", objective_id="a"), aligned=(Link("b", 2), Link("gone", 1)))
    alone = key_result("j", objective_id="outside")
    plan = Plan.of([kr, alone], [objective("a"), objective("b")], CYCLES)
    assert plan.shape.served_by(0) == [0, 1]
    assert plan.shape.served_by(1) == []
    assert plan.shape.aligned_of == {1: [(0, 2.0)]}


def test_an_objective_measured_only_by_an_aligned_key_result_is_not_reported_empty() -> None:
    evaluation = build(CASES["cases"][2])
    codes = {(f.code, f.node_id) for f in key_result_findings(evaluation, ["q1"])}
    assert (FindingCode.OBJECTIVE_WITHOUT_KEY_RESULTS, "B") not in codes
    alone = build(
        {**CASES["cases"][2], "keyResults": [{**CASES["cases"][2]["keyResults"][0], "aligned": []}]}
    )
    codes = {(f.code, f.node_id) for f in key_result_findings(alone, ["q1"])}
    assert (FindingCode.OBJECTIVE_WITHOUT_KEY_RESULTS, "B") in codes


def _by_definition(evaluation: Evaluation, objective_id: str) -> float | None:
    """DOMAIN.md §3.2 per link, from the definition: the weighted mean over every key result
    linked to the objective (each with that link's weight) and its child objectives that have
    a progress, each with its own weight."""
    parts: list[tuple[float, float]] = []
    for kr in evaluation.key_results.values():
        for link in kr.links:
            if link.objective_id == objective_id:
                value = evaluation.key_result_progress[kr.id].value
                assert value is not None
                parts.append((link.weight, value))
    for child in evaluation.objectives.values():
        if child.parent_id == objective_id and child.id in evaluation.objective_progress:
            value = evaluation.objective_progress[child.id].value
            if value is not None:
                parts.append((child.weight, value))
    if not parts:
        return None
    return sum(w * v for w, v in parts) / sum(w for w, _ in parts)


@PROPERTY
@given(worlds())
def test_an_objective_is_the_weighted_mean_over_its_links_and_children(world: World) -> None:
    evaluation = world.evaluated()
    for objective_id, got in evaluation.objective_progress.items():
        want = _by_definition(evaluation, objective_id)
        if want is None:
            assert got.value is None
        else:
            assert got.value is not None
            assert math.isclose(got.value, want, rel_tol=1e-9, abs_tol=1e-12)
        linked = [kr.id for kr in evaluation.key_results.values() if kr.serves(objective_id)]
        inputs = [str(i.node_id) for i in got.explanation.inputs if i.node_kind == "KeyResult"]
        assert sorted(inputs) == sorted(linked)


def _stored(world: World) -> list[KeyResult]:
    """The world's key results as the store holds them after their readings."""
    return [
        replace(
            k,
            current_value=world.readings[k.id].value,
            last_check_in_at=at(1, 5) if world.readings[k.id].checked_in else None,
        )
        for k in world.key_results
    ]


@PROPERTY
@given(worlds())
def test_a_plan_with_links_evaluates_as_the_plain_evaluator(world: World) -> None:
    plan = Plan.of(_stored(world), world.objectives, CYCLES)
    assert_same(
        evaluate_plan(plan, policy=Policy(), now=world.now),
        replace(world, key_results=_stored(world)).evaluated(),
    )


@PROPERTY
@given(checked_in())
def test_a_check_in_on_a_shared_key_result_is_folded_in_as_the_plain_evaluator(
    drawn: tuple[World, Change],
) -> None:
    world, change = drawn
    got = reevaluate(world.evaluated(), change.key_result, change.reading)
    assert_same(got, world.with_reading(change.key_result, change.reading).evaluated())


def test_a_link_changed_is_evaluated_again_in_full() -> None:
    a = key_result("a", objective_id="o")
    b = key_result("b", objective_id="p")
    world = World(
        [a, b],
        [objective("o"), objective("p")],
        {"a": Reading(50.0, True), "b": Reading(10.0, True)},
        NOW,
    )
    moved = replace(a, aligned=(Link("p", 1.0),))
    got = reevaluate(world.evaluated(), moved, Reading(50.0, True))
    assert got.objective_progress["p"].value == pytest.approx(0.3)
    assert_same(got, world.with_reading(moved, Reading(50.0, True)).evaluated())
