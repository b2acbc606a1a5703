"""The message every outbound consumer gets for a change: a CloudEvents 1.0 event in the
structured JSON format, its `data` the same progress the `progressChanged` subscription carries
(every scope the change moved, before and after) plus the change's place in the log.

Ids are the API's global ids (`naming`, given by the app: this package does not depend on the
schema), so a consumer can query any node it is told about.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from service.events.event import PlainProgress, ScopeChange
from service.events.overrides import PlainOverride
from service.events.reminders import DueNotice
from service.outbound.feed import Item
from service.outbound.model import EventType

Naming = Callable[[str, str, str], str]
"""The global id of a node: its type, organization id and own id."""

SOURCE = "/okrgraph/organizations/"
SPEC_VERSION = "1.0"


def event_id(org_id: str, sequence: int) -> str:
    """The CloudEvents `id` of a change's message: unique per organization and change."""
    return f"{org_id}:{sequence}"


def progress_data(progress: PlainProgress | None, org_id: str, naming: Naming) -> Any:
    """A scope's progress as the API spells it (camelCase, global ids)."""
    if progress is None:
        return None
    explained = progress["explanation"]
    return {
        "value": progress["value"],
        "attainment": progress["attainment"],
        "expected": progress["expected"],
        "status": progress["status"],
        "blockedBy": [naming("KeyResult", org_id, k) for k in progress["blocked_by"]],
        "current": progress["current"],
        "explanation": {
            "formula": explained["formula"],
            "inputs": [
                {
                    "label": i["label"],
                    "value": i["value"],
                    "weight": i["weight"],
                    "nodeId": None
                    if i["node_id"] is None or i["node_kind"] is None
                    else naming(i["node_kind"], org_id, i["node_id"]),
                    "nodeKind": i["node_kind"],
                }
                for i in explained["inputs"]
            ],
            "policy": explained["policy"],
            "statusReason": explained["status_reason"],
            "override": _override(explained.get("override")),
        },
    }


def _override(plain: PlainOverride | None) -> Any:
    """An explanation's override as the API spells it (null when the number is computed)."""
    if plain is None:
        return None
    return {
        "value": plain["value"],
        "reason": plain["reason"],
        "setBy": plain["set_by"],
        "setAt": plain["set_at"],
        "expiresAt": plain["expires_at"],
        "clearedAt": plain["cleared_at"],
        "clearedBy": plain["cleared_by"],
        "computedValue": plain["computed"],
    }


def _scope(change: ScopeChange, org_id: str, naming: Naming) -> dict[str, Any]:
    return {
        "node": {"id": naming(change.kind, org_id, change.id), "kind": change.kind},
        "cycleId": None if change.cycle_id is None else naming("Cycle", org_id, change.cycle_id),
        "previous": progress_data(change.previous, org_id, naming),
        "current": progress_data(change.current, org_id, naming),
    }


def scope_key(kind: str, scope_id: str) -> str:
    """How an endpoint names a scope it follows: its kind and own id (`KeyResult:<id>`)."""
    return f"{kind}:{scope_id}"


def scopes_moved(item: Item, scopes: Collection[str]) -> list[ScopeChange]:
    """The scope changes of an item that concern `scopes` (`scope_key`s; empty: every
    scope)."""
    if item.event is None:
        return []
    return [c for c in item.event.changes if not scopes or scope_key(c.kind, c.id) in scopes]


def notices_in(item: Item, scopes: Collection[str]) -> list[DueNotice]:
    """The check-in due notices of an item inside `scopes` (`scope_key`s; empty: every
    scope)."""
    if item.event is None:
        return []
    return [
        n
        for n in item.event.due
        if not scopes or any(scope_key(kind, i) in scopes for kind, i in n.scopes)
    ]


def event_type_of(item: Item) -> EventType:
    """What an item's message is: a key result due a check-in, or progress that moved."""
    if item.event is not None and item.event.due:
        return EventType.CHECK_IN_DUE
    return EventType.PROGRESS_CHANGED


def wanted(item: Item, events: Collection[str], scopes: Collection[str]) -> bool:
    """Whether an endpoint that takes `events` for `scopes` (empty: every scope) gets the
    item's message."""
    kind = event_type_of(item)
    if kind.value not in events:
        return False
    if kind is EventType.CHECK_IN_DUE:
        return bool(notices_in(item, scopes))
    return bool(scopes_moved(item, scopes))


def _notice(notice: DueNotice, org_id: str, naming: Naming) -> dict[str, Any]:
    return {
        "keyResultId": naming("KeyResult", org_id, notice.key_result_id),
        "owner": None if notice.owner is None else naming("Member", org_id, notice.owner),
        "dueAt": notice.due_at.isoformat().replace("+00:00", "Z"),
        "silentSince": notice.silent_since.isoformat().replace("+00:00", "Z"),
    }


def cloud_event(
    item: Item,
    *,
    event_type: str,
    naming: Naming,
    scopes: Collection[str] = (),
) -> dict[str, Any]:
    """The CloudEvent of one change, its `data.changes` limited to `scopes` (`scope_key`s; empty:
    every scope the change moved; a change that moved none has an empty list), and
    `data.due` its check-in due notices inside them."""
    change = item.change
    org_id = change.org_id
    event = item.event
    key_result = event.key_result_id if event is not None and event.key_result_id else None
    cause = event.cause_check_in_id if event is not None else None
    organization = naming("Organization", org_id, org_id)
    node = (
        naming(change.node_type, org_id, change.node_id)
        if change.node_type is not None and change.node_id is not None
        else None
    )
    return {
        "specversion": SPEC_VERSION,
        "id": event_id(org_id, change.sequence),
        "source": SOURCE + organization,
        "type": event_type,
        "subject": node,
        "time": change.at.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "sequence": str(change.sequence),
        "data": {
            "organizationId": organization,
            "sequence": change.sequence,
            "at": change.at.isoformat().replace("+00:00", "Z"),
            "kind": change.kind,
            "actor": change.actor,
            "nodeId": node,
            "keyResultId": None if key_result is None else naming("KeyResult", org_id, key_result),
            "causeCheckInId": None if cause is None else naming("CheckIn", org_id, cause),
            "changes": [_scope(c, org_id, naming) for c in scopes_moved(item, scopes)],
            "due": [_notice(n, org_id, naming) for n in notices_in(item, scopes)],
        },
    }
