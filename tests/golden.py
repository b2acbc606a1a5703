"""The worked cases of shared/golden/rollup-cases-v2.json as typed payloads, for the tests that
reproduce them: through the domain functions (tests/domain/test_golden.py) and through GraphQL
(tests/schema/test_golden_api.py)."""

from __future__ import annotations

import json
import math
import os
from datetime import datetime
from pathlib import Path
from typing import NotRequired, TypedDict

import pytest

TOLERANCE = 1e-6


class CyclePayload(TypedDict):
    start: str
    end: str


class PolicyPayload(TypedDict):
    onTrackRatio: float
    atRiskRatio: float
    staleAfterDays: int


class KeyResultPayload(TypedDict):
    kind: str
    start: float
    target: float
    checkIns: NotRequired[list[tuple[str, float]]]
    dependsOn: NotRequired[list[str]]
    weight: NotRequired[float]
    createdAt: NotRequired[str]


class ObjectivePayload(TypedDict):
    keyResults: list[str]
    parent: NotRequired[str | None]
    weight: NotRequired[float]


class ExpectedKeyResult(TypedDict):
    current: float
    attainment: float
    progress: float
    status: str
    blockedBy: list[str]
    forecastValue: float | None


class ExpectedObjective(TypedDict):
    progress: float | None
    status: str


class Expected(TypedDict):
    keyResults: dict[str, ExpectedKeyResult]
    objectives: dict[str, ExpectedObjective]
    expectedProgress: float


class Case(TypedDict):
    name: str
    cycle: CyclePayload
    now: str
    policy: PolicyPayload
    keyResults: dict[str, KeyResultPayload]
    objectives: dict[str, ObjectivePayload]
    expected: Expected


class ScorePayload(TypedDict):
    progress: float
    score: float


NAME = "rollup-cases-v2.json"


def shared_golden_path() -> Path:
    """shared/golden/rollup-cases-v2.json beside the clone, or under OKRGRAPH_SHARED_DIR."""
    override = os.environ.get("OKRGRAPH_SHARED_DIR")
    shared = Path(override) if override else Path(__file__).resolve().parents[2] / "shared"
    return shared / "golden" / NAME


# A copy lives in the repository so a clone anywhere is self-contained; tests/domain/test_golden.py
# keeps it identical to the shared original whenever that is beside the clone.
GOLDEN = Path(__file__).parent / "domain" / "golden" / NAME


def golden_params() -> list[pytest.ParameterSet]:
    """One parameter per case, or a single failing one when the file is missing."""
    if not GOLDEN.is_file():
        return [pytest.param(None, id="golden-file-missing")]
    cases: list[Case] = json.loads(GOLDEN.read_text(encoding="utf-8"))["cases"]
    return [pytest.param(case, id=case["name"]) for case in cases]


def golden_cases() -> list[Case]:
    """Every case of the vendored file, which must be there."""
    cases: list[Case] = json.loads(GOLDEN.read_text(encoding="utf-8"))["cases"]
    return cases


def score_params() -> list[pytest.ParameterSet]:
    """One parameter per row of the score table, or a single failing one without the file."""
    if not GOLDEN.is_file():
        return [pytest.param(None, id="golden-file-missing")]
    rows: list[ScorePayload] = json.loads(GOLDEN.read_text(encoding="utf-8"))["scores"]
    return [pytest.param(row, id=f"{row['progress']}") for row in rows]


def instant(text: str) -> datetime:
    """An ISO-8601 UTC timestamp such as 2027-01-01T00:00:00Z."""
    return datetime.fromisoformat(text)


def same(got: float | None, want: float | None) -> bool:
    """Equal within TOLERANCE; null only matches null."""
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(got, want, rel_tol=0.0, abs_tol=TOLERANCE)
