"""Check-in reminders as the read model answers them: a cycle's key results due a check-in,
grouped by owner (`service.domain.reminders`), and the notices the scheduler writes."""

from __future__ import annotations

from datetime import datetime

from service.domain.model import KeyResult
from service.domain.reminders import DueCheckIn, OwnerDue, by_owner, due_check_ins
from service.readmodel.snapshot import Snapshot


def owner_of(key_result: KeyResult) -> str | None:
    """Who answers for a key result's check-ins: its owner's member id."""
    return key_result.owner_id


def due_in(snapshot: Snapshot, *, now: datetime, cycle_id: str | None = None) -> list[DueCheckIn]:
    """The key results due a check-in at `now`, in one cycle and the cycles inside it (every
    cycle when None), the longest due first."""
    inside = snapshot.cycles_inside(cycle_id) if cycle_id is not None else None
    key_results = [k for k in snapshot.key_result_list() if inside is None or k.cycle_id in inside]
    return due_check_ins(
        key_results,
        snapshot.cycles,
        now=now,
        policy=snapshot.organization.policy,
        owner_of=owner_of,
    )


def due_by_owner(snapshot: Snapshot, cycle_id: str, *, now: datetime) -> list[OwnerDue]:
    """`due_in` one cycle, grouped by owner, the unowned last."""
    return by_owner(due_in(snapshot, now=now, cycle_id=cycle_id))
