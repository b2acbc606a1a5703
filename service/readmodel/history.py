"""Check-in history held with a snapshot: the check-ins of the key results read so far.

A key result's check-ins are read from the store the first time a request asks for them at a
snapshot, then kept with that snapshot and carried to the next one by the log's changes (a
check-in put or deleted, the check-ins of deleted key results deleted), exactly as the store
applies them: a put replaces a check-in unless a later change wrote it (`rev` fence), a delete
is whole. So a key result's history, forecast and check-in pages cost no store call once read,
on any backend, and follow every write however it was made (a mutation, carry-over, CSV or
JSON import).

Each key result's check-ins are newest first, the order of the store's pages: by recorded time,
then by the change that recorded them (`sequence`), then by id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from service.domain.model import CheckIn
from service.store import documents as d
from service.store.reads import CHECK_INS
from service.store.records import Delete, DeleteWhere, Op, Put

KEY_RESULT_FIELD = "keyResultId"

_Table = Callable[[str], "dict[str, CheckIn] | None"]
"""A key result's check-ins as a working copy (None when they are not held)."""


def newest_first(check_ins: Iterable[CheckIn]) -> tuple[CheckIn, ...]:
    """Check-ins in the order of the store's pages: newest first, later changes first."""
    return tuple(sorted(check_ins, key=_order, reverse=True))


def _order(check_in: CheckIn) -> tuple[datetime, int, str]:
    return check_in.recorded_at, check_in.sequence, check_in.id


class HeldCheckIns:
    """The check-ins of the key results read so far at one position (key result id to its
    check-ins, newest first); a key result absent here has not been read yet. Shared by the
    snapshots of one position (`Snapshot.at`); the next position gets its own."""

    __slots__ = ("by_key_result", "count")

    def __init__(self, by_key_result: dict[str, tuple[CheckIn, ...]] | None = None) -> None:
        self.by_key_result: dict[str, tuple[CheckIn, ...]] = by_key_result or {}
        self.count = sum(len(v) for v in self.by_key_result.values())
        """How many check-ins are held (the read model's size bound counts them)."""

    def get(self, key_result_id: str) -> tuple[CheckIn, ...] | None:
        """A key result's check-ins, newest first; None when they have not been read."""
        return self.by_key_result.get(key_result_id)

    def hold(self, found: Mapping[str, Iterable[CheckIn]]) -> int:
        """Keep the check-ins read for key results not held yet; the number of check-ins
        added."""
        added = 0
        for key_result_id, check_ins in found.items():
            if key_result_id not in self.by_key_result:
                kept = self.by_key_result[key_result_id] = newest_first(check_ins)
                added += len(kept)
        self.count += added
        return added

    def clear(self) -> int:
        """Forget every check-in held (a size bound dropped them); the number forgotten."""
        dropped = self.count
        self.by_key_result = {}
        self.count = 0
        return dropped

    def carried(self, sequence: int, ops: Iterable[Op]) -> HeldCheckIns:
        """What is held after the change `sequence` made of `ops`: the key results it touches
        recomputed, the others shared."""
        held = self.by_key_result
        if not held:
            return HeldCheckIns()
        working: dict[str, dict[str, CheckIn]] = {}

        def table(key_result_id: str) -> dict[str, CheckIn] | None:
            found = working.get(key_result_id)
            if found is None and key_result_id in held:
                found = working[key_result_id] = {c.id: c for c in held[key_result_id]}
            return found

        for op in ops:
            if op.collection != CHECK_INS:
                continue
            if isinstance(op, DeleteWhere):
                if op.field != KEY_RESULT_FIELD:
                    return HeldCheckIns()  # not a shape any write makes: read again
                for key_result_id in op.values:
                    if key_result_id in held:
                        working[key_result_id] = {}
            elif isinstance(op, Put):
                made = d.check_in_of({**op.doc, "rev": sequence})
                if op.before is not None and op.before.get(KEY_RESULT_FIELD) != made.key_result_id:
                    _discard(table(str(op.before.get(KEY_RESULT_FIELD))), op.id)
                into = table(made.key_result_id)
                if into is not None:
                    old = into.get(made.id)
                    if old is None or old.sequence < sequence:
                        into[made.id] = made
            else:
                _delete(op, held, table)
        made_held = dict(held)
        for key_result_id, check_ins in working.items():
            made_held[key_result_id] = newest_first(check_ins.values())
        return HeldCheckIns(made_held)


def _delete(
    op: Delete,
    held: Mapping[str, tuple[CheckIn, ...]],
    table: _Table,
) -> None:
    """A check-in deleted (whatever its `rev`, as the store deletes it)."""
    if op.before is not None:
        _discard(table(str(op.before.get(KEY_RESULT_FIELD))), op.id)
        return
    for key_result_id, check_ins in held.items():
        if any(c.id == op.id for c in check_ins):
            _discard(table(key_result_id), op.id)


def _discard(into: dict[str, CheckIn] | None, check_in_id: str) -> None:
    if into is not None:
        into.pop(check_in_id, None)
