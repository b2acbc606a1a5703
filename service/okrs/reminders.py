"""Check-in due notices: the change that says a key result became due a check-in.

Each notice is one change in the organization's log (`checkInDue`), with a dedup key made of
the key result and the instant it became due: the log refuses a second change with it, so two
schedulers, or one restarted, never write a notice twice. The change puts one document in the
`checkInReminders` collection (what was due, whose, since when); events, webhooks and the audit
trail read it from the change.
"""

from __future__ import annotations

from datetime import datetime

from service.domain.reminders import clock_start, due_at
from service.okrs.commit import Draft, Unchanged, Writer
from service.readmodel import Snapshot
from service.readmodel.reminders import owner_of
from service.store import documents as d
from service.store.reads import REMINDERS
from service.store.records import Put, digest

KIND = "checkInDue"
"""The kind of a due notice's change."""


def notice_dedup(org_id: str, key_result_id: str, due: datetime) -> str:
    """The unique key of the notice that a key result became due at `due`."""
    return "checkInDue:" + digest(org_id, key_result_id, d.to_millis(due).isoformat())


async def notify_due(
    *,
    writer: Writer,
    org_id: str,
    key_result_id: str,
    due: datetime,
    now: datetime,
) -> bool:
    """Write the notice that a key result became due at `due`, once: nothing is written (False)
    when it was written before, or when the key result is no longer due at that instant (checked
    in meanwhile, deleted, its cycle closed, the cadence changed)."""
    dedup = notice_dedup(org_id, key_result_id, due)

    async def build(snapshot: Snapshot) -> Draft[bool] | Unchanged[bool]:
        key_result = snapshot.key_results.get(key_result_id)
        cycle = snapshot.cycles.get(key_result.cycle_id) if key_result is not None else None
        if key_result is None or cycle is None:
            return Unchanged(False)
        if due_at(key_result, cycle, snapshot.organization.policy) != due or now < due:
            return Unchanged(False)
        if await writer.store.change_by_dedup(dedup) is not None:
            return Unchanged(False)
        doc = {
            "_id": digest("notice", dedup)[:32],
            "orgId": org_id,
            "keyResultId": key_result.id,
            "ownerId": owner_of(key_result),
            "dueAt": d.to_millis(due),
            "silentSince": d.to_millis(clock_start(key_result, cycle)),
        }
        return Draft(KIND, [Put(REMINDERS, doc)], True, "KeyResult", key_result.id, dedup=dedup)

    written = await writer.commit(org_id, build, actor=None, at=now)
    return written.change is not None
