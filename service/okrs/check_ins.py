"""Check-ins (DOMAIN.md §6): append-only history; the newest by `recordedAt` is the value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from service.domain import rules
from service.domain.errors import ErrorCode, InvalidInput
from service.domain.model import CheckIn, KeyResult
from service.domain.rollup import Evaluation
from service.okrs.common import (
    ProgressChange,
    Scope,
    check_in,
    cycle,
    key_result,
    new_id,
    open_cycle,
    organization,
    scopes_of_key_result,
    tracked,
)
from service.store.cache import YearCache
from service.store.interface import Store

# Clocks of clients and servers disagree a little; a check-in further ahead is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
MAX_NOTE = 5_000
MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True, slots=True)
class CheckInRecorded:
    """The check-in (the first one, on a retry), whether it was new, and what moved."""

    check_in: CheckIn
    created: bool
    key_result: KeyResult
    changes: tuple[ProgressChange, ...] = ()


async def record_check_in(
    *,
    store: Store,
    org_id: str,
    key_result_id: str,
    value: float,
    now: datetime,
    recorded_at: datetime | None = None,
    confidence: float | None = None,
    note: str | None = None,
    author: str | None = None,
    idempotency_key: str | None = None,
    cache: YearCache | None = None,
) -> CheckInRecorded:
    """Record a value, possibly back-filled; a retry with the same idempotency key returns the
    first check-in and stores nothing."""
    checked_value = rules.finite(value, field="value")
    checked_confidence = rules.ratio(confidence, field="confidence")
    cleaned_note = rules.optional_text(note, field="note", limit=MAX_NOTE)
    key = rules.optional_text(idempotency_key, field="idempotencyKey", limit=MAX_IDEMPOTENCY_KEY)
    at = now if recorded_at is None else recorded_at
    if at.tzinfo is None:
        raise InvalidInput("recordedAt needs a time zone", field=("recordedAt",))
    if at > now + CLOCK_SKEW:
        raise InvalidInput(
            "recordedAt is in the future: check-ins record what has happened",
            field=("recordedAt",),
            code=ErrorCode.INVALID_VALUE,
        )
    target = await key_result(store, org_id, key_result_id)
    open_cycle(await cycle(store, org_id, target.cycle_id), field="keyResultId")
    org = await organization(store, org_id)
    made = CheckIn(
        id=new_id(),
        org_id=org_id,
        key_result_id=target.id,
        value=checked_value,
        recorded_at=at,
        confidence=checked_confidence,
        note=cleaned_note,
        author=author,
        idempotency_key=key,
    )

    def scopes(evaluation: Evaluation) -> list[Scope]:
        return scopes_of_key_result(evaluation, target)

    (stored, created), moved, after = await tracked(
        store=store,
        org=org,
        year=target.year,
        now=now,
        write=lambda: store.append_check_in(made),
        scopes=scopes,
        changed_key_result=target.id,
        cache=cache,
    )
    return CheckInRecorded(
        check_in=stored,
        created=created,
        key_result=await _as_stored(store, after, target),
        changes=moved if created else (),
    )


async def delete_check_in(
    *, store: Store, org_id: str, check_in_id: str, now: datetime, cache: YearCache | None = None
) -> CheckInRecorded:
    """Delete a check-in recorded by mistake; the current value is recomputed from the rest."""
    found = await check_in(store, org_id, check_in_id)
    target = await key_result(store, org_id, found.key_result_id, field="id")
    open_cycle(await cycle(store, org_id, target.cycle_id), field="id")
    org = await organization(store, org_id)

    def scopes(evaluation: Evaluation) -> list[Scope]:
        return scopes_of_key_result(evaluation, target)

    _, moved, after = await tracked(
        store=store,
        org=org,
        year=target.year,
        now=now,
        write=lambda: store.delete_check_in(org_id, found.id),
        scopes=scopes,
        changed_key_result=target.id,
        cache=cache,
    )
    current = await _as_stored(store, after, target)
    return CheckInRecorded(check_in=found, created=False, key_result=current, changes=moved)


async def _as_stored(store: Store, after: Evaluation, target: KeyResult) -> KeyResult:
    """The key result as the store holds it after a check-in: `tracked` read it back into the
    year it evaluated after the write; read again only if that year did not hold it."""
    found = after.key_results.get(target.id)
    if found is not None:
        return found
    return await key_result(store, target.org_id, target.id)
