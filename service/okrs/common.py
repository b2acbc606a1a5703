"""What every use case shares: new ids, lookups in a snapshot that fail with NotFound, and the
operations that write entities."""

from __future__ import annotations

import enum
import os
import threading
import time
from collections.abc import Collection
from dataclasses import replace
from typing import Any

from service.domain import members
from service.domain.errors import ErrorCode, NotFound, RuleViolation
from service.domain.model import Cycle, Department, KeyResult, Member, Objective
from service.readmodel import Snapshot
from service.readmodel.snapshot import doc_of
from service.store.reads import (
    CHECK_INS,
    CYCLES,
    DEPARTMENTS,
    KEY_RESULTS,
    MEMBERS,
    OBJECTIVES,
    ORGS,
    STEPS,
)
from service.store.reads import INITIATIVES as INITIATIVES_
from service.store.records import Delete, DeleteWhere, Op, Put


class Keep(enum.Enum):
    """Marks an optional argument left out, where None means "clear it"."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


_RANDOM_BITS = 80
_last_id = [0, 0]  # the milliseconds and random part of this process's newest id
_ids = threading.Lock()


def new_id() -> str:
    """A 32-hex-digit id that sorts by creation time (48-bit milliseconds, then 80 random bits).

    Ids made by one process always increase: within one millisecond the random part of the
    next id is the last one plus one (as ULIDs do), so "by creation" holds for things created
    in the same millisecond too."""
    with _ids:
        ms = time.time_ns() // 1_000_000
        last_ms, last_random = _last_id
        random = last_random + 1
        if ms > last_ms or random >= 1 << _RANDOM_BITS:
            ms = max(ms, last_ms + 1)  # a clock that went back does not go back here
            random = int.from_bytes(os.urandom(_RANDOM_BITS // 8), "big")
        else:
            ms = last_ms
        _last_id[:] = [ms, random]
    return f"{ms:012x}{random:020x}"


def department(snapshot: Snapshot, department_id: str, *, field: str) -> Department:
    """A department of the organization, or NotFound on `field`."""
    found = snapshot.departments.get(department_id)
    if found is None:
        raise NotFound("no department with this id in the organization", field=(field,))
    return found


def cycle(snapshot: Snapshot, cycle_id: str, *, field: str = "cycleId") -> Cycle:
    """A cycle of the organization, or NotFound on `field`."""
    found = snapshot.cycles.get(cycle_id)
    if found is None:
        raise NotFound("no cycle with this id in the organization", field=(field,))
    return found


def objective(snapshot: Snapshot, objective_id: str, *, field: str = "objectiveId") -> Objective:
    """An objective of the organization, or NotFound on `field`."""
    found = snapshot.objectives.get(objective_id)
    if found is None:
        raise NotFound("no objective with this id in the organization", field=(field,))
    return found


def key_result(snapshot: Snapshot, key_result_id: str, *, field: str = "keyResultId") -> KeyResult:
    """A key result of the organization, or NotFound on `field`."""
    found = snapshot.key_results.get(key_result_id)
    if found is None:
        raise NotFound("no key result with this id in the organization", field=(field,))
    return found


def member(snapshot: Snapshot, member_id: str, *, field: str = "id") -> Member:
    """A member of the organization, or NotFound on `field`."""
    found = snapshot.members.get(member_id)
    if found is None:
        raise NotFound("no member with this id in the organization", field=(field,))
    return found


def owner(snapshot: Snapshot, member_id: str | None, *, field: str = "owner") -> str | None:
    """The owner an input names: None (no owner), or an active member of the organization
    (NOT_FOUND for an unknown id, MEMBER_INACTIVE for a deactivated member)."""
    if member_id is None:
        return None
    return members.active_owner(snapshot.members.get(member_id), field=field).id


def open_cycle(cycle_: Cycle, *, field: str = "cycleId") -> None:
    """Closed cycles are history: their OKRs no longer change."""
    if cycle_.closed:
        raise RuleViolation(
            f"cycle {cycle_.label} is closed; its OKRs are frozen",
            field=(field,),
            code=ErrorCode.CYCLE_CLOSED,
        )


# Writing entities -----------------------------------------------------------------------------

_COLLECTIONS = {
    "Organization": ORGS,
    "Department": DEPARTMENTS,
    "Cycle": CYCLES,
    "Objective": OBJECTIVES,
    "KeyResult": KEY_RESULTS,
    "ActionStep": STEPS,
    "Initiative": INITIATIVES_,
    "Member": MEMBERS,
}


def collection_of(entity: Any) -> str:
    """The collection an entity of a snapshot is kept in."""
    return _COLLECTIONS[type(entity).__name__]


def put(snapshot: Snapshot, entity: Any) -> Put:
    """Write an entity whole: created, or in place of the one of its id the snapshot holds."""
    collection = collection_of(entity)
    if collection == ORGS:
        return Put(ORGS, doc_of(ORGS, entity), doc_of(ORGS, snapshot.organization))
    found = snapshot_table(snapshot, collection).get(entity.id)
    before = doc_of(collection, found) if found is not None else None
    return Put(collection, doc_of(collection, entity), before)


def created(entity: Any) -> Put:
    """Write a new entity (an organization's first write creates the organization itself)."""
    collection = collection_of(entity)
    return Put(collection, doc_of(collection, entity))


def delete(entity: Any) -> Delete:
    """Delete an entity the snapshot holds."""
    collection = collection_of(entity)
    return Delete(collection, entity.id, doc_of(collection, entity))


def snapshot_table(snapshot: Snapshot, collection: str) -> Any:
    """The snapshot's entities of one collection, by id."""
    return {
        DEPARTMENTS: snapshot.departments,
        CYCLES: snapshot.cycles,
        OBJECTIVES: snapshot.objectives,
        KEY_RESULTS: snapshot.key_results,
        STEPS: snapshot.action_steps,
        INITIATIVES_: snapshot.initiatives,
        MEMBERS: snapshot.members,
    }[collection]


def removed_key_results(
    snapshot: Snapshot, gone: list[KeyResult], *, objectives: Collection[str] = ()
) -> list[Op]:
    """What deleting key results (and the `objectives` deleted with them) writes: the key
    results, their check-ins, their places in others' dependencies and in initiatives, and the
    links of other key results aligned with those objectives (one write per key result)."""
    ids = {k.id for k in gone}
    ops: list[Op] = [delete(k) for k in gone]
    if ids:
        ops.append(DeleteWhere(CHECK_INS, "keyResultId", tuple(sorted(ids))))
    for other in snapshot.key_result_list():
        if other.id in ids:
            continue
        updated = other
        if ids.intersection(other.depends_on):
            kept = tuple(u for u in other.depends_on if u not in ids)
            updated = replace(updated, depends_on=kept)
        if any(link.objective_id in objectives for link in other.aligned):
            links = tuple(link for link in other.aligned if link.objective_id not in objectives)
            updated = replace(updated, aligned=links)
        if updated is not other:
            ops.append(put(snapshot, updated))
    for initiative in snapshot.initiative_list():
        if ids.intersection(initiative.key_result_ids):
            kept = tuple(k for k in initiative.key_result_ids if k not in ids)
            ops.append(put(snapshot, replace(initiative, key_result_ids=kept)))
    return ops
