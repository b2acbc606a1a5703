"""The health report: each finding, and silence when all is well."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from service.domain.health import Finding, FindingCode, NodeKind, health
from service.domain.model import Department, Initiative, KeyResult, Member, Objective, Policy
from service.domain.progress import Reading
from service.domain.rollup import Evaluation, evaluate
from tests.domain.builders import (
    ORG,
    at,
    key_result,
    month_cycle,
    objective,
    quarter_cycle,
    year_cycle,
)

MARKETING = Department(id="mkt", org_id=ORG, name="Marketing")
SALES = Department(id="sales", org_id=ORG, name="Sales")
POLICY = Policy(min_objectives_per_team=1, max_objectives_per_team=2)


def owned(kr: KeyResult, *, department: str = "mkt", last: datetime | None = None) -> KeyResult:
    return replace(kr, owner_id="ana", department_id=department, last_check_in_at=last)


def evaluation(
    objectives: list[Objective],
    key_results: list[KeyResult],
    *,
    now: datetime,
    policy: Policy = POLICY,
    values: dict[str, float] | None = None,
    closed: bool = False,
) -> Evaluation:
    cycles = {c.id: c for c in (year_cycle(), quarter_cycle(), month_cycle())}
    if closed:
        cycles["q1"] = replace(cycles["q1"], closed=True)
    given = values or {}
    readings = {
        k.id: Reading(value=given.get(k.id, k.start_value), checked_in=k.id in given)
        for k in key_results
    }
    return evaluate(
        key_results=key_results,
        objectives=objectives,
        cycles=cycles,
        readings=readings,
        policy=policy,
        now=now,
    )


def codes(found: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code.value, f.node_id) for f in found]


def test_a_healthy_quarter_has_no_findings() -> None:
    done = evaluation(
        [
            objective("root", cycle_id="y"),
            objective("o", parent_id="root", department_id="mkt"),
            objective("s", parent_id="root", department_id="sales"),
        ],
        [
            owned(key_result("k", objective_id="o"), last=at(2, 10)),
            owned(key_result("k2", objective_id="s"), department="sales", last=at(2, 10)),
        ],
        now=at(2, 15),
        values={"k": 50.0, "k2": 50.0},
    )
    found = health(done, "y", departments=[MARKETING, SALES], initiatives=[])
    assert found == []


def test_team_limits_are_judged_per_quarter_against_the_policy() -> None:
    three = [objective(f"o{i}", department_id="mkt") for i in range(3)]
    krs = [owned(key_result(f"k{i}", objective_id=f"o{i}"), last=at(2, 10)) for i in range(3)]
    done = evaluation(three, krs, now=at(2, 15))
    found = health(done, "q1", departments=[MARKETING, SALES], initiatives=[])
    assert codes(found)[:2] == [("TOO_MANY_OBJECTIVES", "mkt"), ("TOO_FEW_OBJECTIVES", "sales")]
    assert found[0].node_kind is NodeKind.DEPARTMENT
    assert "Marketing has 3 objectives in 2027-Q1" in found[0].message
    assert found[1].message.startswith("Sales has 0 objectives in 2027-Q1")


def test_team_limits_count_the_months_inside_the_quarter() -> None:
    # One objective in 2027-Q1 and one in 2027-02 (inside it): two, over the policy's one.
    team = [
        objective("o", department_id="mkt"),
        objective("feb", cycle_id="m2", department_id="mkt"),
        objective("s", department_id="sales"),
    ]
    krs = [owned(key_result(f"k{o.id}", objective_id=o.id), last=at(2, 10)) for o in team]
    policy = replace(POLICY, max_objectives_per_team=1, min_objectives_per_team=1)
    done = evaluation(team, krs, now=at(2, 15), policy=policy)
    found = health(done, "q1", departments=[MARKETING, SALES], initiatives=[])
    limits = [f for f in found if f.code is FindingCode.TOO_MANY_OBJECTIVES]
    assert [(f.node_id, f.message) for f in limits] == [
        ("mkt", "Marketing has 2 objectives in 2027-Q1 and its months; the policy asks at most 1")
    ]
    few = evaluation(team, krs, now=at(2, 15), policy=replace(POLICY, min_objectives_per_team=2))
    found = health(few, "q1", departments=[SALES], initiatives=[])
    assert [f.message for f in found if f.code is FindingCode.TOO_FEW_OBJECTIVES] == [
        "Sales has 1 objective in 2027-Q1 and its months; the policy asks at least 2"
    ]


def test_unmeasured_objectives_unowned_and_stale_key_results_are_found() -> None:
    objectives = [
        objective("root", cycle_id="y"),
        objective("o", parent_id="root", department_id="mkt"),
        objective("empty", parent_id="root", department_id="mkt"),
    ]
    krs = [
        key_result("bare", objective_id="o"),
        owned(key_result("old", objective_id="o"), last=at(1, 2)),
        owned(key_result("never", objective_id="o")),
    ]
    done = evaluation(objectives, krs, now=at(2, 15), policy=replace(POLICY, stale_after_days=14))
    found = codes(health(done, "y", departments=[MARKETING], initiatives=[]))
    assert ("OBJECTIVE_WITHOUT_KEY_RESULTS", "empty") in found
    assert ("OBJECTIVE_WITHOUT_KEY_RESULTS", "root") not in found  # it has child objectives
    assert ("UNALIGNED_OBJECTIVE", "root") not in found  # the global objective is the top
    assert ("KEY_RESULT_WITHOUT_OWNER", "bare") in found
    assert ("KEY_RESULT_WITHOUT_DEPARTMENT", "bare") in found
    assert ("STALE_KEY_RESULT", "old") in found
    assert ("STALE_KEY_RESULT", "never") in found


def test_a_key_result_never_checked_in_is_stale_once_its_grace_period_is_over() -> None:
    objectives = [objective("o", department_id="mkt")]
    krs = [
        owned(key_result("never", objective_id="o", title="Launch the pricing page")),
        owned(key_result("new", objective_id="o", created_at=at(2, 10))),
        owned(key_result("made", objective_id="o", created_at=at(1, 20))),
    ]
    done = evaluation(objectives, krs, now=at(2, 15))
    stale = {
        f.node_id: f.message
        for f in health(done, "q1", departments=[MARKETING], initiatives=[])
        if f.code is FindingCode.STALE_KEY_RESULT
    }
    assert stale == {
        "never": "'Launch the pricing page': no check-in since 2027-01-01;"
        " the policy asks one every 14 days",
        "made": "'made': no check-in since 2027-01-20; the policy asks one every 14 days",
    }
    # It is stale exactly when its status stops being PENDING.
    statuses = {k: p.status.value for k, p in done.key_result_progress.items()}
    assert statuses == {"never": "OFF_TRACK", "new": "PENDING", "made": "OFF_TRACK"}


def test_a_quarter_objective_serving_no_parent_is_unaligned() -> None:
    done = evaluation(
        [objective("o", department_id="mkt")],
        [owned(key_result("k", objective_id="o"), last=at(2, 14))],
        now=at(2, 15),
    )
    found = health(done, "q1", departments=[MARKETING], initiatives=[])
    assert codes(found) == [("UNALIGNED_OBJECTIVE", "o")]


def test_staleness_waits_for_the_window_and_ends_with_the_cycle() -> None:
    krs = [owned(key_result("k", objective_id="o"))]
    objectives = [objective("o", department_id="mkt")]
    early = evaluation(objectives, krs, now=at(1, 10))
    after = evaluation(objectives, krs, now=at(4, 10))
    closed = evaluation(objectives, krs, now=at(2, 15), closed=True)
    for done in (early, after, closed):
        found = codes(health(done, "q1", departments=[MARKETING], initiatives=[]))
        assert ("STALE_KEY_RESULT", "k") not in found


def test_a_key_result_held_back_by_its_upstream_is_a_dependency_risk() -> None:
    krs = [
        owned(key_result("mql", objective_id="o", title="MQLs"), last=at(2, 14)),
        owned(key_result("deals", objective_id="o", depends_on=("mql",)), last=at(2, 14)),
    ]
    done = evaluation(
        [objective("o", department_id="mkt")], krs, now=at(2, 15), values={"mql": 1, "deals": 90}
    )
    found = health(done, "q1", departments=[MARKETING], initiatives=[])
    risk = [f for f in found if f.code is FindingCode.DEPENDENCY_RISK]
    assert [f.node_id for f in risk] == ["deals"]
    assert "'MQLs'" in risk[0].message


def test_initiatives_serving_nothing_or_below_the_roi_threshold_are_discard_candidates() -> None:
    initiatives = [
        Initiative(
            id="good", org_id=ORG, title="SEO", cost=10, expected_value=30, key_result_ids=("k",)
        ),
        Initiative(
            id="loss", org_id=ORG, title="Fair", cost=10, expected_value=5, key_result_ids=("k",)
        ),
        Initiative(id="lost", org_id=ORG, title="Swag", cost=0, expected_value=0),
    ]
    done = evaluation([], [], now=at(2, 15), policy=replace(POLICY, min_objectives_per_team=0))
    found = codes(health(done, "q1", departments=[], initiatives=initiatives))
    assert found == [("LOW_ROI_INITIATIVE", "loss"), ("UNALIGNED_INITIATIVE", "lost")]


def test_what_a_deactivated_member_owns_is_flagged_and_stays_theirs() -> None:
    bo = Member(id="bo", org_id=ORG, name="Bo", email="bo@example.com", active=False)
    ana = Member(id="ana", org_id=ORG, name="Ana", email="ana@example.com")
    objectives = [
        objective("root", cycle_id="y"),
        replace(objective("o", parent_id="root", department_id="mkt"), owner_id="bo"),
    ]
    krs = [
        replace(owned(key_result("k", objective_id="o"), last=at(2, 10)), owner_id="bo"),
        owned(key_result("k2", objective_id="o"), last=at(2, 10)),
    ]
    serving = Initiative(
        id="i",
        org_id=ORG,
        title="Ads",
        cost=1,
        expected_value=2,
        key_result_ids=("k",),
        owner_id="bo",
    )
    done = evaluation(objectives, krs, now=at(2, 15), values={"k": 50.0, "k2": 50.0})
    members = {"bo": bo, "ana": ana}
    found = health(done, "q1", departments=[MARKETING], initiatives=[serving], members=members)
    flagged = [f for f in found if f.code is FindingCode.OWNER_INACTIVE]
    assert [(f.node_kind, f.node_id) for f in flagged] == [
        (NodeKind.OBJECTIVE, "o"),
        (NodeKind.KEY_RESULT, "k"),
        (NodeKind.INITIATIVE, "i"),
    ]
    assert flagged[0].message == "'o' is owned by Bo, who is deactivated: give it a new owner"
    # Still theirs, and not unowned.
    assert ("KEY_RESULT_WITHOUT_OWNER", "k") not in codes(found)
    back = {"bo": replace(bo, active=True), "ana": ana}
    found = health(done, "q1", departments=[MARKETING], initiatives=[serving], members=back)
    assert not [f for f in found if f.code is FindingCode.OWNER_INACTIVE]
