"""The audit trail: every change of an organization's log, as people read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from schema.connections import Connection, connection, window
from schema.context import Info
from schema.ids import GlobalId, parse_global_id, to_global_id
from schema.nodes import Node, load_global
from schema.permissions import Editor
from schema.types.common import gid
from service.domain import calendar
from service.domain.errors import DomainError
from service.store import interface
from service.store.reads import CHECK_INS, CYCLES, KEY_RESULTS, OBJECTIVES
from service.store.records import Change as Record
from service.store.records import Delete, Doc, Put

# Document fields that are the store's bookkeeping, not values anyone set.
_BOOKKEEPING = frozenset({"_id", "orgId", "rev", "dedupKey", "slot", "lastCheckInKey", "emailKey"})


@strawberry.input(description="Which changes of the audit trail to list; all when left out.")
class ChangeFilter:
    actor: str | None = strawberry.field(default=None, description="Only this actor's changes.")
    kind: str | None = strawberry.field(
        default=None, description="Only changes of this kind, e.g. `checkInCreate`."
    )
    since: datetime | None = strawberry.field(default=None, description="Made at or after.")
    until: datetime | None = strawberry.field(default=None, description="Made at or before.")
    node_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only changes that touched this object."
    )


# The type of what a field of a stored object names, by the object's collection; ids read as
# global ids, the form every id of the API takes.
_REFERENCES: dict[str, str] = {
    "keyResultId": "KeyResult",
    "keyResultIds": "KeyResult",
    "dependsOn": "KeyResult",
    "objectiveId": "Objective",
    "cycleId": "Cycle",
    "departmentId": "Department",
    "ownerId": "Member",
}
_OWN_KIND: dict[str, str] = {
    KEY_RESULTS: "KeyResult",
    OBJECTIVES: "Objective",
    CYCLES: "Cycle",
}
_OWN_REFERENCES = ("parentId", "carriedOverFrom")  # objects of the object's own kind


def _global(org_id: str, type_name: str, value: Any) -> Any:
    if isinstance(value, str):
        return to_global_id(type_name, org_id, value)
    if isinstance(value, list):
        return [_global(org_id, type_name, v) for v in value]
    return value  # null stays null


def _referenced(org_id: str, collection: str, fields: dict[str, Any] | None) -> Any:
    """`fields` with every id they hold as a global id."""
    if fields is None:
        return None
    found = dict(fields)
    for name, value in fields.items():
        type_name = _REFERENCES.get(name)
        if type_name is None and name in _OWN_REFERENCES:
            type_name = _OWN_KIND.get(collection)
        if type_name is not None:
            found[name] = _global(org_id, type_name, value)
        elif name == "aligned" and isinstance(value, list):
            found[name] = [_referenced(org_id, collection, link) for link in value]
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _fields(doc: Doc | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    return {k: _plain(v) for k, v in doc.items() if k not in _BOOKKEEPING}


def before_and_after(record: Record) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The values of the change's object before and after it: every field of an object created
    or deleted, the fields that moved of one changed; a check-in's values as `checkIn`."""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    for op in record.ops:
        if not isinstance(op, Put | Delete):
            continue
        if op.collection == CHECK_INS:
            entry = _referenced(
                record.org_id, CHECK_INS, _fields(op.doc if isinstance(op, Put) else op.before)
            )
            if isinstance(op, Put):
                after = {**(after or {}), "checkIn": entry}
            else:
                before = {**(before or {}), "checkIn": entry}
            continue
        if op.id != record.node_id:
            continue
        old = _fields(op.before)
        new = _fields(op.doc) if isinstance(op, Put) else None
        if old is not None and new is not None:
            moved = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
            old = {k: v for k, v in old.items() if k in moved}
            new = {k: v for k, v in new.items() if k in moved}
        if old is not None:
            before = {**(before or {}), **_referenced(record.org_id, op.collection, old)}
        if new is not None:
            after = {**(after or {}), **_referenced(record.org_id, op.collection, new)}
    return before, after


@strawberry.type(description="One change to an organization: who made it, when, what it touched.")
class Change(Node):
    sequence: int = strawberry.field(
        description="Its place in the organization's log: 1, 2, 3, … with no gaps."
    )
    at: datetime = strawberry.field(description="When it was written.")
    actor: str | None = strawberry.field(
        description="Who made it: the subject of their token (null without authentication)."
    )
    kind: str = strawberry.field(
        description="What was done: the mutation (`checkInCreate`, `keyResultUpdate`, …) or "
        "the command (`organizationImport`)."
    )
    before: JSON | None = strawberry.field(
        description="The object's values before: the fields it changed (every field of an "
        "object it deleted); null for an object it created. Ids in it are global ids."
    )
    after: JSON | None = strawberry.field(
        description="The object's values after: the fields it changed (every field of an "
        "object it created); null for an object it deleted. Ids in it are global ids."
    )
    record: strawberry.Private[Record]

    @classmethod
    def from_record(cls, record: Record) -> Change:
        before, after = before_and_after(record)
        return cls(
            id=gid("Change", record.org_id, str(record.sequence)),
            sequence=record.sequence,
            at=record.at,
            actor=record.actor,
            kind=record.kind,
            before=cast(JSON, before),
            after=cast(JSON, after),
            record=record,
        )

    @strawberry.field(description="The object it is about, as it is now; null once deleted.")
    async def node(self, info: Info) -> Node | None:
        record = self.record
        if record.node_type is None or record.node_id is None:
            return None
        return await load_global(info, GlobalId(record.node_type, record.org_id, record.node_id))


async def changes(
    info: Info, org_id: str, first: int | None, after: str | None, chosen: ChangeFilter | None
) -> Connection[Change]:
    """A page of the organization's audit trail, newest first."""
    if not info.context.may(Editor.role):
        raise GraphQLError(Editor.message, extensions={"code": "FORBIDDEN"})
    size, after_id = window(first, after)
    before = int(after_id) if after_id is not None and after_id.isdigit() else None
    where = None
    if chosen is not None:
        for name, at in (("since", chosen.since), ("until", chosen.until)):
            if at is not None:
                try:
                    calendar.instant(at, field=name)
                except DomainError as error:
                    raise GraphQLError(
                        error.message, extensions={"code": error.code.value}
                    ) from error
        node = parse_global_id(chosen.node_id) if chosen.node_id else None
        where = interface.ChangeFilter(
            actor=chosen.actor,
            kind=chosen.kind,
            since=chosen.since,
            until=chosen.until,
            node_id=node.local_id if node is not None else chosen.node_id,
        )
    if not info.context.visible(org_id):
        page = interface.Page[Record](items=[], total=0, has_next=False)
    else:
        page = await info.context.store.page_changes(org_id, before=before, limit=size, where=where)
    return connection(page, Change.from_record, lambda r: str(r.sequence), after=after)
