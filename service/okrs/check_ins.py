"""Check-ins (DOMAIN.md §6): append-only history; the newest by `recordedAt` is the value."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from service.domain import calendar, rules
from service.domain.errors import ErrorCode, InvalidInput, NotFound, RuleViolation
from service.domain.model import CheckIn, KeyResult, Upcoming
from service.okrs.commit import Draft, Unchanged, Writer
from service.okrs.common import cycle, key_result, new_id, open_cycle, put
from service.readmodel import Snapshot
from service.store import documents as d
from service.store.reads import CHECK_INS
from service.store.records import Delete, Op, Put

# Clocks of clients and servers disagree a little; a check-in further ahead is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
MAX_NOTE = 5_000
MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True, slots=True)
class CheckInRecorded:
    """The check-in (the first one, on a retry), whether it was new, the key result as it is
    now, and the organization after."""

    check_in: CheckIn
    created: bool
    key_result: KeyResult
    snapshot: Snapshot


def with_check_in(key_result: KeyResult, check_in: CheckIn, now: datetime) -> KeyResult:
    """The key result with `check_in` recorded at `now`: its value when it is the newest by
    time whose time has come (of two at the same millisecond, the one recorded last, which this
    one is); kept as upcoming when it is dated ahead of `now` (DOMAIN.md §6)."""
    at = d.to_millis(check_in.recorded_at)
    settled = key_result.at(now)
    if at > now:
        entry = Upcoming(at, check_in.value, check_in.confidence, check_in.id)
        # Sorted by time, and at one time in the order written: the last one wins a tie.
        upcoming = sorted((*settled.upcoming, entry), key=lambda u: u.at)
        return replace(settled, upcoming=tuple(upcoming))
    last = settled.last_check_in_at
    if last is not None and at < last:
        return settled
    return replace(
        settled,
        current_value=check_in.value,
        confidence=check_in.confidence,
        last_check_in_at=at,
        last_check_in_id=check_in.id,
    )


def _same(
    found: CheckIn, value: float, at: datetime | None, confidence: float | None, note: str | None
) -> bool:
    """Whether a check-in found by its idempotency key is the one asked for again: the same
    value, confidence and note, and the same time when a time is given."""
    return (
        found.value == value
        and found.confidence == confidence
        and found.note == note
        and (at is None or d.to_millis(at) == found.recorded_at)
    )


async def record_check_in(
    *,
    writer: Writer,
    org_id: str,
    key_result_id: str,
    value: float,
    now: datetime,
    recorded_at: datetime | None = None,
    confidence: float | None = None,
    note: str | None = None,
    author: str | None = None,
    idempotency_key: str | None = None,
) -> CheckInRecorded:
    """Record a value, possibly back-filled (to the millisecond: finer digits are dropped). A
    retry with the same idempotency key and the same check-in returns the first one and stores
    nothing; the key sent with a different check-in is refused (IDEMPOTENCY_KEY_REUSED)."""
    checked_value = rules.amount(value, field="value")
    checked_confidence = rules.ratio(confidence, field="confidence")
    cleaned_note = rules.optional_text(note, field="note", limit=MAX_NOTE)
    key = rules.optional_text(idempotency_key, field="idempotencyKey", limit=MAX_IDEMPOTENCY_KEY)
    if recorded_at is not None:
        calendar.instant(recorded_at, field="recordedAt")
    at = d.to_millis(now if recorded_at is None else recorded_at)
    if at > now + CLOCK_SKEW:
        raise InvalidInput(
            "recordedAt is more than 5 minutes ahead: check-ins record what has happened",
            field=("recordedAt",),
            code=ErrorCode.INVALID_VALUE,
        )

    async def build(snapshot: Snapshot) -> Draft[CheckIn] | Unchanged[CheckIn]:
        target = key_result(snapshot, key_result_id)
        target_cycle = cycle(snapshot, target.cycle_id, field="keyResultId")
        open_cycle(target_cycle, field="keyResultId")
        if at < target_cycle.starts_at:
            raise InvalidInput(
                f"recordedAt is before {target_cycle.label} starts "
                f"({target_cycle.starts_on.isoformat()}): a value from before the cycle is the "
                "key result's startValue",
                field=("recordedAt",),
                code=ErrorCode.INVALID_VALUE,
            )
        dedup = ""
        if key is not None:
            dedup = d.idempotency_dedup(target.id, key)
            found = await writer.store.find_check_in(org_id, dedup)
            if found is not None:
                if not _same(found, checked_value, recorded_at, checked_confidence, cleaned_note):
                    raise RuleViolation(
                        "this idempotencyKey was sent before with a different check-in; nothing "
                        "was stored (use a new key for a new check-in)",
                        field=("idempotencyKey",),
                        code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
                    )
                return Unchanged(found)
        made = CheckIn(
            id=d.keyed_check_in_id(dedup) if dedup else new_id(),
            org_id=org_id,
            key_result_id=target.id,
            value=checked_value,
            recorded_at=at,
            confidence=checked_confidence,
            note=cleaned_note,
            author=author,
            idempotency_key=key,
            sequence=snapshot.position + 1,
        )
        ops: list[Op] = [Put(CHECK_INS, d.check_in_doc(made))]
        moved = with_check_in(target, made, now)
        if moved != target:
            ops.append(put(snapshot, moved))
        return Draft(
            "checkInCreate",
            ops,
            made,
            node_type="KeyResult",
            node_id=target.id,
            dedup=("checkIn:" + dedup) if dedup else "",
        )

    written = await writer.commit(org_id, build, actor=author, at=now, field="keyResultId")
    after = written.after
    return CheckInRecorded(
        check_in=written.result,
        created=written.change is not None,
        key_result=key_result(after, key_result_id),
        snapshot=after,
    )


async def delete_check_in(
    *, writer: Writer, org_id: str, check_in_id: str, now: datetime, actor: str | None = None
) -> CheckInRecorded:
    """Delete a check-in recorded by mistake; the current value is recomputed from the rest."""

    async def build(snapshot: Snapshot) -> Draft[CheckIn]:
        found = await writer.store.get_check_ins(org_id, [check_in_id])
        if not found:
            raise NotFound("no check-in with this id in the organization", field=("id",))
        gone = found[0]
        target = key_result(snapshot, gone.key_result_id, field="id")
        open_cycle(cycle(snapshot, target.cycle_id, field="id"), field="id")
        ops: list[Op] = [Delete(CHECK_INS, gone.id, d.check_in_doc(gone))]
        counted = target.last_check_in_id in (gone.id, None)
        if counted or any(u.check_in_id == gone.id for u in target.upcoming):
            history = await writer.store.list_check_ins(org_id, [target.id])
            moved = _current_of(target, [c for c in history if c.id != gone.id], now)
            if moved != target:
                ops.append(put(snapshot, moved))
        return Draft("checkInDelete", ops, gone, node_type="KeyResult", node_id=target.id)

    written = await writer.commit(org_id, build, actor=actor, at=now)
    gone = written.result
    return CheckInRecorded(
        check_in=gone,
        created=False,
        key_result=key_result(written.after, gone.key_result_id, field="id"),
        snapshot=written.after,
    )


def _current_of(target: KeyResult, rest: list[CheckIn], now: datetime) -> KeyResult:
    """The key result with its remaining check-ins (newest first) as its value at `now`: the
    newest whose time has come (the start value when none is left), the later ones upcoming."""
    due = [c for c in rest if c.recorded_at <= now]
    ahead = sorted(
        (c for c in rest if c.recorded_at > now), key=lambda c: (c.recorded_at, c.sequence)
    )
    upcoming = tuple(Upcoming(c.recorded_at, c.value, c.confidence, c.id) for c in ahead)
    if not due:
        return replace(
            target,
            current_value=target.start_value,
            confidence=None,
            last_check_in_at=None,
            last_check_in_id=None,
            upcoming=upcoming,
        )
    newest = due[0]
    return replace(
        target,
        current_value=newest.value,
        confidence=newest.confidence,
        last_check_in_at=newest.recorded_at,
        last_check_in_id=newest.id,
        upcoming=upcoming,
    )
