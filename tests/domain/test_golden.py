"""The worked cases of shared/golden/rollup-cases-v2.json, checked number by number, and its table
of score roundings.

A copy is kept in tests/domain/golden/ and checked against the shared original when present.
A missing file fails the run: these cases are the contract other implementations share.
"""

from __future__ import annotations

import json

import pytest

from service.domain.forecast import Forecast, forecast
from service.domain.model import Cycle, CycleKind, KeyResult, KeyResultKind, Objective, Policy
from service.domain.progress import Point, Reading, reading, score
from service.domain.rollup import Evaluation, evaluate
from tests.golden import (
    GOLDEN,
    Case,
    ScorePayload,
    golden_params,
    instant,
    same,
    score_params,
    shared_golden_path,
)

CYCLE_ID = "c"


def test_the_vendored_cases_match_the_shared_original() -> None:
    shared = shared_golden_path()
    if shared.is_file():
        assert json.loads(GOLDEN.read_text(encoding="utf-8")) == json.loads(
            shared.read_text(encoding="utf-8")
        )
    else:
        assert GOLDEN.is_file()


class Built:
    """The domain objects of one case, evaluated at its `now`."""

    def __init__(self, case: Case) -> None:
        self.now = instant(case["now"])
        self.cycle = Cycle(
            id=CYCLE_ID,
            org_id="org",
            kind=CycleKind.QUARTER,
            year=2027,
            quarter=1,
            starts_at=instant(case["cycle"]["start"]),
            ends_at=instant(case["cycle"]["end"]),
        )
        owner = {k: oid for oid, o in case["objectives"].items() for k in o["keyResults"]}
        self.objectives = [
            Objective(
                id=oid,
                org_id="org",
                cycle_id=CYCLE_ID,
                year=2027,
                title=oid,
                parent_id=o.get("parent"),
                weight=o.get("weight", 1.0),
            )
            for oid, o in case["objectives"].items()
        ]
        self.key_results: dict[str, KeyResult] = {}
        self.points: dict[str, list[Point]] = {}
        readings: dict[str, Reading] = {}
        for kid, k in case["keyResults"].items():
            self.key_results[kid] = KeyResult(
                id=kid,
                org_id="org",
                objective_id=owner[kid],
                cycle_id=CYCLE_ID,
                year=2027,
                title=kid,
                kind=KeyResultKind(k["kind"]),
                start_value=k["start"],
                target_value=k["target"],
                current_value=k["start"],
                weight=k.get("weight", 1.0),
                depends_on=tuple(k.get("dependsOn", ())),
                created_at=instant(k["createdAt"]) if "createdAt" in k else None,
            )
            self.points[kid] = [
                Point(at=instant(when), value=value, key=f"{i:04d}")
                for i, (when, value) in enumerate(k.get("checkIns", []))
            ]
            readings[kid] = reading(k["start"], self.points[kid], as_of=self.now)
        policy = case["policy"]
        self.evaluation: Evaluation = evaluate(
            key_results=self.key_results.values(),
            objectives=self.objectives,
            cycles={CYCLE_ID: self.cycle},
            readings=readings,
            policy=Policy(
                on_track_ratio=policy["onTrackRatio"],
                at_risk_ratio=policy["atRiskRatio"],
                stale_after_days=policy["staleAfterDays"],
            ),
            now=self.now,
        )

    def forecast_value(self, key_result_id: str) -> float | None:
        """The projected value at cycle end from the check-ins made by `now`, or None."""
        kr = self.key_results[key_result_id]
        made = [p for p in self.points[key_result_id] if p.at <= self.now]
        result = forecast(
            made,
            kind=kr.kind,
            start=kr.start_value,
            target=kr.target_value,
            ends_at=self.cycle.ends_at,
        )
        return result.projected_value if isinstance(result, Forecast) else None


def mismatches(case: Case) -> list[str]:
    """Every expected number of the case that the domain math does not reproduce."""
    built = Built(case)
    found: list[str] = []
    for kid, want in case["expected"]["keyResults"].items():
        got = built.evaluation.key_result_progress[kid]
        numbers: dict[str, tuple[float | None, float | None]] = {
            "current": (got.current, want["current"]),
            "attainment": (got.attainment, want["attainment"]),
            "progress": (got.value, want["progress"]),
            "forecastValue": (built.forecast_value(kid), want["forecastValue"]),
        }
        found += [
            f"key result {kid} {name}: got {g}, want {w}"
            for name, (g, w) in numbers.items()
            if not same(g, w)
        ]
        if got.status.value != want["status"]:
            found.append(f"key result {kid} status: got {got.status}, want {want['status']}")
        if list(got.blocked_by) != want["blockedBy"]:
            found.append(
                f"key result {kid} blockedBy: got {got.blocked_by}, want {want['blockedBy']}"
            )
    for oid, want_objective in case["expected"]["objectives"].items():
        result = built.evaluation.objective_progress[oid]
        if not same(result.value, want_objective["progress"]):
            found.append(f"objective {oid} progress: got {result.value}, want {want_objective}")
        if result.status.value != want_objective["status"]:
            found.append(f"objective {oid} status: got {result.status}, want {want_objective}")
    expected = built.evaluation.expected(CYCLE_ID)
    if not same(expected, case["expected"]["expectedProgress"]):
        found.append(
            f"expectedProgress: got {expected}, want {case['expected']['expectedProgress']}"
        )
    return found


@pytest.mark.parametrize("case", golden_params())
def test_golden_case_is_reproduced_by_the_domain_math(case: Case | None) -> None:
    if case is None:
        pytest.fail(f"golden cases not found at {GOLDEN}; set OKRGRAPH_SHARED_DIR to shared/")
    assert mismatches(case) == []


@pytest.mark.parametrize("row", score_params())
def test_golden_score_is_reproduced_by_the_domain_rounding(row: ScorePayload | None) -> None:
    if row is None:
        pytest.fail(f"golden cases not found at {GOLDEN}; set OKRGRAPH_SHARED_DIR to shared/")
    assert score(row["progress"]) == row["score"]


def test_golden_file_covers_every_expected_key_result_and_objective() -> None:
    # Guards the comparison itself: a case whose expectations name nothing would pass vacuously.
    assert GOLDEN.is_file(), f"golden cases not found at {GOLDEN}"
    cases: list[Case] = json.loads(GOLDEN.read_text(encoding="utf-8"))["cases"]
    assert cases
    for case in cases:
        assert set(case["expected"]["keyResults"]) == set(case["keyResults"])
        assert set(case["expected"]["objectives"]) == set(case["objectives"])
    scores = json.loads(GOLDEN.read_text(encoding="utf-8"))["scores"]
    assert len(scores) >= 8
