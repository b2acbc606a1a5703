"""Which message a change makes for outbound consumers: progress that moved, or a key result
due a check-in, each only for the endpoints that take its type and follow one of its scopes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from service.events.event import Event
from service.events.reminders import DueNotice
from service.outbound.feed import Item
from service.outbound.message import (
    cloud_event,
    event_type_of,
    notices_in,
    progress_data,
    wanted,
)
from service.outbound.model import EventType
from service.store.records import Change

AT = datetime(2027, 2, 22, tzinfo=UTC)
NOTICE = DueNotice(
    key_result_id="kr",
    owner="m1",
    due_at=AT,
    silent_since=datetime(2027, 2, 15, tzinfo=UTC),
    scopes=(("KeyResult", "kr"), ("Department", "sales"), ("Organization", "org")),
)


def naming(kind: str, org_id: str, local: str) -> str:
    return f"{kind}/{org_id}/{local}"


def item(due: tuple[DueNotice, ...]) -> Item:
    change = Change(org_id="org", sequence=7, at=AT, kind="checkInDue", ops=())
    event = Event(org_id="org", sequence=7, at=AT, key_result_id="kr", due=due)
    return Item(change, event)


def test_a_notice_is_a_check_in_due_message_for_the_scopes_that_hold_it() -> None:
    due = item((NOTICE,))
    assert event_type_of(due) is EventType.CHECK_IN_DUE
    takes = (EventType.CHECK_IN_DUE.value,)
    assert wanted(due, takes, ())
    assert wanted(due, takes, ("Department:sales",))
    assert not wanted(due, takes, ("Department:marketing",))
    assert not wanted(due, (EventType.PROGRESS_CHANGED.value,), ())
    assert notices_in(due, ("KeyResult:other",)) == []
    body = cloud_event(due, event_type=event_type_of(due), naming=naming)
    assert body["type"] == "com.okrgraph.checkin.due"
    assert body["data"]["due"] == [
        {
            "keyResultId": "KeyResult/org/kr",
            "owner": "Member/org/m1",
            "dueAt": "2027-02-22T00:00:00Z",
            "silentSince": "2027-02-15T00:00:00Z",
        }
    ]


def test_anything_else_is_a_progress_message() -> None:
    moved = item(())
    assert event_type_of(moved) is EventType.PROGRESS_CHANGED
    assert not wanted(moved, (EventType.CHECK_IN_DUE.value,), ())
    empty = Item(moved.change, None)
    assert event_type_of(empty) is EventType.PROGRESS_CHANGED
    assert notices_in(empty, ()) == []
    assert cloud_event(empty, event_type=event_type_of(empty), naming=naming)["data"]["due"] == []


def test_an_overridden_progress_carries_its_override() -> None:
    plain: Any = {
        "value": 0.8,
        "attainment": None,
        "expected": 0.5,
        "status": "ON_TRACK",
        "blocked_by": [],
        "current": None,
        "explanation": {
            "formula": "objective: set by hand = 0.8 (instead of ...)",
            "inputs": [],
            "policy": [],
            "status_reason": "...",
            "override": {
                "value": 0.8,
                "reason": "Pilot",
                "set_at": "2027-02-15T00:00:00+00:00",
                "set_by": "ana",
                "expires_at": None,
                "cleared_at": None,
                "cleared_by": None,
                "computed": 0.2,
            },
        },
    }
    data = progress_data(plain, "org", naming)
    assert data["explanation"]["override"] == {
        "value": 0.8,
        "reason": "Pilot",
        "setBy": "ana",
        "setAt": "2027-02-15T00:00:00+00:00",
        "expiresAt": None,
        "clearedAt": None,
        "clearedBy": None,
        "computedValue": 0.2,
    }
    plain["explanation"]["override"] = None
    assert progress_data(plain, "org", naming)["explanation"]["override"] is None
