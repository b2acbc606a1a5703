"""Changes that time makes (issue 19): an objective's override that expires, and a check-in
dated a little ahead whose time comes (DOMAIN.md §6). Neither needs anybody to act, yet
subscribers, webhooks, NATS and the audit trail must hear of each, once: the scheduler writes
each as one change in the organization's log, with a dedup key made of what came due (the
objective and the expiry instant; the check-in), so that a retry, a restart or a second
instance finds the first in the log and writes nothing.

Neither changes any number read at any instant: the override already ends at its `expiresAt`
and the check-in already counts from its time; the change records that it was announced (the
override marked `expired`, the key result holding the check-in as counted), and its event says
what moved then.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from service.domain import arrivals
from service.domain import override as o
from service.okrs.commit import Draft, Unchanged, Writer
from service.okrs.common import put
from service.readmodel import Snapshot
from service.store import documents as d
from service.store.records import digest

EXPIRY = "objectiveProgressOverrideExpire"
"""The kind of the change announcing that an override expired."""
ARRIVAL = "checkInArrive"
"""The kind of the change announcing that an upcoming check-in's time came."""


def expiry_dedup(org_id: str, objective_id: str, expires_at: datetime) -> str:
    """The unique key of the change announcing that the objective's override expired then."""
    instant = d.to_millis(expires_at).isoformat()
    return "overrideExpiry:" + digest(org_id, objective_id, instant)


def arrival_dedup(org_id: str, check_in_id: str) -> str:
    """The unique key of the change announcing that the check-in's time came."""
    return "checkInArrival:" + digest(org_id, check_in_id)


async def note_expiry(
    *,
    writer: Writer,
    org_id: str,
    objective_id: str,
    expires_at: datetime,
    now: datetime,
) -> bool:
    """Write, once, that the objective's override expired at `expires_at`; nothing (False) when
    written before, not come yet, or when no override of the objective ends by expiring then
    (cleared before, replaced by a newer one, the objective deleted)."""
    at = d.to_millis(expires_at)
    dedup = expiry_dedup(org_id, objective_id, at)

    async def build(snapshot: Snapshot) -> Draft[bool] | Unchanged[bool]:
        objective = snapshot.objectives.get(objective_id)
        if objective is None or now < at:
            return Unchanged(False)
        due = [x for x in o.due_expiries(objective.overrides, now) if x.expires_at == at]
        if not due or await writer.store.change_by_dedup(dedup) is not None:
            return Unchanged(False)
        updated = replace(objective, overrides=o.note_expiry(objective.overrides, due[0]))
        ops = [put(snapshot, updated)]
        return Draft(EXPIRY, ops, True, "Objective", objective.id, dedup=dedup)

    written = await writer.commit(org_id, build, actor=None, at=now)
    return written.change is not None


async def note_arrival(
    *,
    writer: Writer,
    org_id: str,
    key_result_id: str,
    check_in_id: str,
    now: datetime,
) -> bool:
    """Write, once, that an upcoming check-in's time came: the key result holds it as counted.
    Nothing (False) when written before, not come yet, not the next of the key result's
    upcoming check-ins, or no longer upcoming (deleted, or counted by a later write to it)."""
    dedup = arrival_dedup(org_id, check_in_id)

    async def build(snapshot: Snapshot) -> Draft[bool] | Unchanged[bool]:
        key_result = snapshot.key_results.get(key_result_id)
        # One at a time, in the order they arrive: each change announces exactly one.
        due = arrivals.due_arrivals(key_result, now) if key_result is not None else []
        if key_result is None or due[:1] != [check_in_id]:
            return Unchanged(False)
        counted = arrivals.arrived(key_result, check_in_id)
        if counted is None or await writer.store.change_by_dedup(dedup) is not None:
            return Unchanged(False)
        ops = [put(snapshot, counted)]
        return Draft(ARRIVAL, ops, True, "KeyResult", key_result.id, dedup=dedup)

    written = await writer.commit(org_id, build, actor=None, at=now)
    return written.change is not None
