"""Events are plain data: they survive JSON exactly, and carry a use case's changes faithfully."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given

from service.domain.explain import Explanation, ExplanationInput
from service.domain.model import ProgressStatus
from service.domain.rollup import Standing
from service.events import Event, ScopeChange
from service.events.event import progress_from_plain, progress_to_plain
from service.readmodel.scopes import Scope, ScopeKind, ScopeProgress
from tests.events.strategies import events, progresses
from tests.strategies import PROPERTY

AT = datetime(2027, 2, 1, 9, 30, tzinfo=UTC)
BEFORE = Standing(
    value=0.25,
    attainment=0.25,
    expected=0.4,
    status=ProgressStatus.AT_RISK,
    current=250.0,
    explanation=Explanation(
        formula="(250 - 0) / (1000 - 0) = 0.25",
        inputs=(ExplanationInput("start", 0.0), ExplanationInput("target", 1000.0)),
        policy=(("on_track_ratio", 0.9),),
        status_reason="behind pace",
    ),
)
AFTER = Standing(
    value=0.5,
    attainment=0.5,
    expected=0.4,
    status=ProgressStatus.ON_TRACK,
    blocked_by=("kr-upstream",),
    explanation=Explanation(formula="objective: ... = 0.5"),
)


@PROPERTY
@given(events)
def test_an_event_survives_json_exactly(event: Event) -> None:
    assert Event.from_json(event.to_json()) == event
    assert Event.from_json(event.to_json().encode()) == event


@PROPERTY
@given(progresses)
def test_a_progress_survives_its_plain_form_and_json(progress: Standing) -> None:
    plain = progress_to_plain(progress)
    assert progress_from_plain(plain) == progress
    assert progress_from_plain(json.loads(json.dumps(plain))) == progress


def test_an_event_carries_the_scopes_a_change_moved() -> None:
    changes = (
        ScopeProgress(Scope(ScopeKind.KEY_RESULT, "kr-1"), BEFORE, AFTER),
        ScopeProgress(Scope(ScopeKind.DEPARTMENT, "dep-1", "q1"), None, AFTER),
        ScopeProgress(Scope(ScopeKind.DEPARTMENT, "dep-1", "y2027"), BEFORE, None),
    )
    found = Event.from_changes(
        org_id="org-1",
        sequence=7,
        at=AT,
        key_result_id="kr-1",
        cause_check_in_id="ci-1",
        changes=changes,
    )
    assert [(c.kind, c.id, c.cycle_id) for c in found.changes] == [
        ("KeyResult", "kr-1", None),
        ("Department", "dep-1", "q1"),
        ("Department", "dep-1", "y2027"),
    ]
    kr = found.changes_of("kr-1")[0]
    assert kr.previous_progress() == BEFORE
    assert kr.current_progress() == AFTER
    assert kr.current is not None
    assert kr.current["status"] == "ON_TRACK"
    assert kr.current["blocked_by"] == ["kr-upstream"]
    assert [c.cycle_id for c in found.changes_of("dep-1")] == ["q1", "y2027"]
    assert found.changes_of("dep-1")[0].previous_progress() is None
    assert found.changes_of("dep-1")[1].current_progress() is None
    assert Event.from_json(found.to_json()) == found


def test_at_is_kept_in_utc_and_must_be_aware() -> None:
    paris = timezone(timedelta(hours=1))
    found = Event(org_id="o", sequence=1, at=AT.astimezone(paris), key_result_id="k")
    assert found.at == AT
    assert found.at.tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        Event(org_id="o", sequence=1, at=datetime(2027, 2, 1), key_result_id="k")


def test_an_unknown_scope_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scope kind"):
        ScopeChange(kind="Planet", id="p", cycle_id=None, previous=None, current=None)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        "{}",
        '{"org_id": 1, "sequence": 1, "at": "2027-02-01T00:00:00+00:00",'
        ' "key_result_id": "k", "cause_check_in_id": null, "changes": []}',
        '{"org_id": "o", "sequence": 1, "at": "2027-02-01T00:00:00",'
        ' "key_result_id": "k", "cause_check_in_id": null, "changes": []}',
        '{"org_id": "o", "sequence": 1, "at": "2027-02-01T00:00:00+00:00",'
        ' "key_result_id": "k", "cause_check_in_id": null,'
        ' "changes": [{"kind": "KeyResult", "id": "k", "cycle_id": null,'
        ' "previous": null, "current": {"value": 1}}]}',
    ],
    ids=["not-json", "not-object", "empty", "wrong-type", "naive-at", "incomplete-progress"],
)
def test_what_is_not_an_event_is_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case fails its own way; all ValueError
        Event.from_json(text)


def test_a_changes_explanations_are_written_out_only_when_the_event_leaves_the_process() -> None:
    written: list[str] = []

    def write() -> Explanation:
        written.append("department")
        return Explanation(formula="department: ... = 0.5", status_reason="behind pace")

    lazy = Standing(
        value=0.5,
        attainment=None,
        expected=0.4,
        status=ProgressStatus.ON_TRACK,
        explanation=Explanation.later(write),
    )
    change = ScopeProgress(Scope(ScopeKind.DEPARTMENT, "dep-1", "q1"), None, lazy)
    found = Event.from_changes(
        org_id="org-1", sequence=1, at=AT, key_result_id="kr-1", changes=(change,)
    )
    [scope] = found.changes
    assert scope.current_progress() is lazy  # an in-process subscriber reads it as it is
    assert scope.previous_progress() is None
    assert written == []
    again = Event.from_json(found.to_json())  # leaving the process (Redis) writes it, once
    assert written == ["department"]
    assert again == found
    assert again.changes[0].current_progress() == lazy
    assert scope.current is not None
    assert scope.current["explanation"]["formula"] == "department: ... = 0.5"
    assert written == ["department"]
    assert "dep-1" in repr(scope)
    assert hash(scope) == hash(again.changes[0])
    assert scope != "dep-1"
