"""What the change log holds: one `Change` per write, and the document operations that apply it.

Every write to an organization is first appended to its log as a change with the next sequence
number; appending is the moment the write happens. The change carries everything needed to
apply it: whole documents to put (with the document each replaces, so the change can also be
read backwards for the audit trail and for replays) and ids to delete. Applying a change is
idempotent, so anyone who finds it not yet applied (its writer crashed, or lost the store in
between) can apply it again and land where the writer would have.

The operations are written as JSON in the log record (`bson.json_util`, which keeps datetimes):
one string field behaves alike on every backend, where nested documents with dates do not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bson import json_util
from bson.json_util import JSONMode, JSONOptions

Doc = dict[str, Any]

_JSON = JSONOptions(json_mode=JSONMode.RELAXED, tz_aware=True, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Put:
    """Store `doc` whole (create it, or replace what was there); `before` is the document it
    replaces, None for a new one."""

    collection: str
    doc: Doc
    before: Doc | None = None

    @property
    def id(self) -> str:
        """The id of the document put."""
        return str(self.doc["_id"])


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete one document; `before` is the document deleted."""

    collection: str
    id: str
    before: Doc | None = None


@dataclass(frozen=True, slots=True)
class DeleteWhere:
    """Delete the documents of a collection the read model does not hold (check-ins) whose
    `field` is one of `values`: what goes with deleted key results."""

    collection: str
    field: str
    values: tuple[str, ...]


Op = Put | Delete | DeleteWhere


def digest(*parts: str) -> str:
    """A fixed-length key made of caller-given parts: safe in a unique index on every backend
    (nx-27017 cuts index keys at a NUL character) and the same for the same parts."""
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(len(part).to_bytes(4, "big"))
        hashed.update(part.encode("utf-8", "surrogatepass"))
    return hashed.hexdigest()


@dataclass(frozen=True, slots=True)
class Change:
    """One write to an organization, at its place in the organization's log.

    `kind` names what was done (the mutation's name, `checkInCreate`, or the command's), `actor`
    who did it (a token's subject), `node_type`/`node_id` the object it is about. `dedup` is
    unique across every log: two changes can never share it (a check-in's idempotency key, an
    organization's slug; by default the change's own id). `applied` says whether the documents
    hold it yet.
    """

    org_id: str
    sequence: int
    at: datetime
    kind: str
    ops: tuple[Op, ...]
    actor: str | None = None
    node_type: str | None = None
    node_id: str | None = None
    dedup: str = ""
    applied: bool = False
    touched: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.sequence < 1:
            raise ValueError("a change's sequence starts at 1")
        if not self.dedup:
            object.__setattr__(self, "dedup", f"seq:{self.id}")
        if not self.touched:
            object.__setattr__(self, "touched", touched_ids(self.ops))

    @property
    def id(self) -> str:
        """The change's id: its organization and sequence, sortable within the organization."""
        return record_id(self.org_id, self.sequence)

    def puts(self, collection: str) -> Iterator[Put]:
        """The documents this change puts in `collection`."""
        for op in self.ops:
            if isinstance(op, Put) and op.collection == collection:
                yield op


def record_id(org_id: str, sequence: int) -> str:
    """The `_id` of a change record."""
    return f"{org_id}:{sequence:012d}"


def touched_ids(ops: Iterable[Op]) -> tuple[str, ...]:
    """The ids of every document the operations put or delete, in order, once each."""
    found: dict[str, None] = {}
    for op in ops:
        if isinstance(op, Put | Delete):
            found[op.id] = None
    return tuple(found)


def ops_to_json(ops: Iterable[Op]) -> str:
    """The operations as the log stores them."""
    plain: list[Doc] = []
    for op in ops:
        if isinstance(op, Put):
            plain.append({"op": "put", "c": op.collection, "doc": op.doc, "before": op.before})
        elif isinstance(op, Delete):
            plain.append({"op": "delete", "c": op.collection, "id": op.id, "before": op.before})
        else:
            plain.append(
                {"op": "deleteWhere", "c": op.collection, "f": op.field, "in": list(op.values)}
            )
    return json_util.dumps(plain, json_options=_JSON)


def ops_from_json(text: str) -> tuple[Op, ...]:
    """The operations back from `ops_to_json`; ValueError when the text is not such a list."""
    try:
        plain = json_util.loads(text, json_options=_JSON)
        made: list[Op] = []
        for item in plain:
            match item["op"]:
                case "put":
                    made.append(Put(item["c"], item["doc"], item.get("before")))
                case "delete":
                    made.append(Delete(item["c"], item["id"], item.get("before")))
                case "deleteWhere":
                    made.append(DeleteWhere(item["c"], item["f"], tuple(item["in"])))
                case other:
                    raise ValueError(f"unknown operation {other!r}")
        return tuple(made)
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a change's operations: {error!r}") from error


def change_doc(change: Change) -> Doc:
    """The log record of a change."""
    return {
        "_id": change.id,
        "orgId": change.org_id,
        "seq": change.sequence,
        "at": change.at,
        "kind": change.kind,
        "actor": change.actor,
        "nodeType": change.node_type,
        "nodeId": change.node_id,
        "touched": list(change.touched),
        "dedup": change.dedup,
        "ops": ops_to_json(change.ops),
        "applied": change.applied,
    }


def change_of(doc: Doc) -> Change:
    """A change back from its log record."""
    at: datetime = doc["at"]
    return Change(
        org_id=doc["orgId"],
        sequence=int(doc["seq"]),
        at=at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC),
        kind=doc["kind"],
        ops=ops_from_json(doc["ops"]),
        actor=doc.get("actor"),
        node_type=doc.get("nodeType"),
        node_id=doc.get("nodeId"),
        dedup=doc["dedup"],
        applied=bool(doc.get("applied", False)),
        touched=tuple(doc.get("touched") or ()),
    )
