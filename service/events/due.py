"""The two sides of a change that time made (`service.okrs.due_changes`): an override that
expired, an upcoming check-in whose time came.

What came due already counts at the change's instant in the snapshot before it (the override
ends at its `expiresAt`, the check-in counts from its time), so comparing the snapshots before
and after the change at that instant shows nothing. The event compares instead the
organization as the change left it with the one thing that came due left out (the override
still holding, the check-in not yet counted) and with it in: exactly what moved when it came
due, whatever else the snapshots hold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from service.domain import arrivals
from service.domain import override as o
from service.okrs.due_changes import ARRIVAL, EXPIRY
from service.readmodel import Snapshot
from service.store import documents as d
from service.store.reads import KEY_RESULTS, OBJECTIVES
from service.store.records import Change, Doc, Put


@dataclass(frozen=True, slots=True)
class Compared:
    """The organization without and with what came due, and the check-in that came (None for
    an expiry)."""

    before: Snapshot
    after: Snapshot
    cause: str | None


def _put(change: Change, collection: str) -> Put | None:
    return next((p for p in change.puts(collection) if p.id == change.node_id), None)


def _with(snapshot: Snapshot, change: Change, collection: str, doc: Doc) -> Snapshot:
    """`snapshot` (as `change` left it) with one document in place of the change's."""
    return snapshot.applied(replace(change, ops=(Put(collection, doc),)))


def before_and_after_due(after: Snapshot, change: Change) -> Compared | None:
    """See the module's doc; None when the change is not one of these, or its object is gone."""
    if change.kind == EXPIRY:
        return _expiry(after, change)
    if change.kind == ARRIVAL:
        return _arrival(after, change)
    return None


def _expiry(after: Snapshot, change: Change) -> Compared | None:
    put = _put(change, OBJECTIVES)
    objective = after.objectives.get(change.node_id or "")
    if put is None or put.before is None or objective is None:
        return None
    previous = d.objective_of(put.before).overrides
    noted = [
        now
        for was, now in zip(previous, objective.overrides, strict=False)
        if now.expired and not was.expired
    ]
    if not noted:
        return None
    holding = replace(objective, overrides=o.still_holding(objective.overrides, noted[0]))
    return Compared(_with(after, change, OBJECTIVES, d.objective_doc(holding)), after, None)


def _arrival(after: Snapshot, change: Change) -> Compared | None:
    put = _put(change, KEY_RESULTS)
    key_result = after.key_results.get(change.node_id or "")
    if put is None or put.before is None or key_result is None:
        return None
    previous = d.key_result_of(put.before)
    if not previous.upcoming:
        return None
    check_in_id = previous.upcoming[0].check_in_id
    without = arrivals.before_arrival(previous, check_in_id)
    assert without is not None  # it is the first of the upcoming ones
    # Both sides leave out the check-ins after this one: they arrive with changes of their own.
    came = replace(key_result, upcoming=())
    return Compared(
        _with(after, change, KEY_RESULTS, d.key_result_doc(without)),
        _with(after, change, KEY_RESULTS, d.key_result_doc(came)),
        check_in_id,
    )
