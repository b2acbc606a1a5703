"""The request funnel of `MongoStore`, its small write helpers, and the read side: lookups by
id, finds and pages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar

from service.domain.errors import StoreUnavailable
from service.domain.model import CheckIn
from service.store import documents as d
from service.store.errors import DEFAULT_DUPLICATE, map_errors
from service.store.interface import Page

T = TypeVar("T")
Doc = d.Doc
Order = list[tuple[str, int]]

_OPERATION: ContextVar[str] = ContextVar("store_operation", default="other")


def current_operation() -> str:
    """The store method whose requests are being sent (for metrics): "other" outside one."""
    return _OPERATION.get()


@contextmanager
def operating(name: str) -> Iterator[None]:
    """Name the store method running inside the block (nested calls keep the outer name)."""
    if _OPERATION.get() != "other":
        yield
        return
    token = _OPERATION.set(name)
    try:
        yield
    finally:
        _OPERATION.reset(token)


BATCH = 5000
ORGS = "organizations"
DEPARTMENTS = "departments"
CYCLES = "cycles"
OBJECTIVES = "objectives"
KEY_RESULTS = "keyResults"
CHECK_INS = "checkIns"
STEPS = "actionSteps"
INITIATIVES = "initiatives"
MEMBERS = "members"
CHANGES = "changes"
LEASES = "leases"
POSITIONS = "outboundPositions"
WEBHOOKS = "webhooks"
DELIVERIES = "webhookDeliveries"
REMINDERS = "checkInReminders"

# Of two check-ins at the same millisecond the one recorded later (its change's sequence,
# `rev`) is the newer; ids settle what is left (check-ins from before the log).
NEWEST_FIRST: Order = [("recordedAt", -1), ("rev", -1), ("_id", -1)]

# (collection, keys, unique): the unique slug, change key and check-in key carry Conflicts.
INDEXES: list[tuple[str, Order, bool]] = [
    (ORGS, [("slug", 1)], True),
    (DEPARTMENTS, [("orgId", 1), ("name", 1)], False),
    (CYCLES, [("orgId", 1), ("year", 1)], False),
    (CHECK_INS, [("dedupKey", 1)], True),
    (CHECK_INS, [("orgId", 1), ("keyResultId", 1), ("recordedAt", -1)], False),
    (OBJECTIVES, [("orgId", 1), ("year", 1)], False),
    (KEY_RESULTS, [("orgId", 1), ("year", 1)], False),
    (STEPS, [("orgId", 1), ("objectiveId", 1)], False),
    (INITIATIVES, [("orgId", 1)], False),
    (MEMBERS, [("orgId", 1)], False),
    (CHANGES, [("dedup", 1)], True),
    (CHANGES, [("orgId", 1), ("seq", 1)], False),
    (CHANGES, [("orgId", 1), ("at", 1)], False),
    (CHANGES, [("orgId", 1), ("touched", 1)], False),
    (WEBHOOKS, [("orgId", 1)], False),
    (DELIVERIES, [("orgId", 1), ("webhookId", 1)], False),
]

# The collections whose documents carry the sequence of the change that wrote them (`rev`).
FENCED = (
    ORGS,
    DEPARTMENTS,
    CYCLES,
    OBJECTIVES,
    KEY_RESULTS,
    CHECK_INS,
    STEPS,
    INITIATIVES,
    MEMBERS,
)


class MongoReads:
    """Counts and maps every request in `_call`; helpers and the read methods of the Store."""

    def __init__(self, database: Any) -> None:
        self._db = database
        self._round_trips = 0
        # Told of every round trip (metrics); `current_operation()` names the store method.
        self.on_round_trip: Callable[[], None] | None = None

    @property
    def round_trips(self) -> int:
        """Requests sent since the store was made: one per operation, counted in `_call`."""
        return self._round_trips

    async def _call(
        self, operation: Callable[[], Awaitable[T]], *, duplicate: str = DEFAULT_DUPLICATE
    ) -> T:
        """Send one request: the only place that counts round trips and maps driver errors."""
        self._round_trips += 1
        if self.on_round_trip is not None:
            self.on_round_trip()
        try:
            with map_errors(duplicate=duplicate):
                return await operation()
        except StoreUnavailable:
            if _being_cancelled():
                # The driver makes a call cut off by a cancellation (a request's deadline) a
                # connection failure: it is the cancellation, not an outage.
                raise asyncio.CancelledError from None
            raise

    def _coll(self, name: str) -> Any:
        return self._db[name]

    # Helpers -------------------------------------------------------------------------------
    async def _find(
        self,
        name: str,
        query: Doc,
        *,
        sort: Order | None = None,
        limit: int = 0,
        projection: Doc | None = None,
    ) -> list[Doc]:
        async def run() -> list[Doc]:
            # One batch, not the server's default of 101 documents per getMore: a year of a
            # thousand key results then arrives in one command instead of ten.
            cursor = self._coll(name).find(query, projection).batch_size(BATCH)
            if sort:
                cursor = cursor.sort(sort)
            if limit:
                cursor = cursor.limit(limit)
            docs: list[Doc] = await cursor.to_list(None)
            return docs

        return await self._call(run)

    async def _count(self, name: str, query: Doc) -> int:
        count: int = await self._call(lambda: self._coll(name).count_documents(query))
        return count

    async def _by_ids(self, name: str, org_id: str, ids: Sequence[str]) -> list[Doc]:
        if not ids:
            return []
        return await self._find(name, {"_id": {"$in": list(dict.fromkeys(ids))}, "orgId": org_id})

    async def _page(
        self,
        name: str,
        query: Doc,
        convert: Callable[[Doc], T],
        *,
        after: str | None,
        limit: int | None,
        order: Order | None = None,
        after_query: Doc | None = None,
    ) -> Page[T]:
        """One page of `query` in `order` (by id unless given), continuing past `after_query`
        (the ids above `after` unless given); the total counts the whole of `query`."""
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        if after_query is None:
            after_query = {} if after is None else {"_id": {"$gt": after}}
        paged = {"$and": [query, after_query]} if after_query else query
        fetched = await self._find(
            name,
            paged,
            sort=order or [("_id", 1)],
            limit=0 if limit is None else limit + 1,
        )
        has_next = limit is not None and len(fetched) > limit
        items = fetched[:limit] if limit is not None else fetched
        if after_query or has_next:
            total = await self._count(name, query)
        else:
            total = len(items)  # the first page holds the whole list: no need to count it
        return Page(items=[convert(doc) for doc in items], total=total, has_next=has_next)

    # Writes shared by every entity ------------------------------------------------------
    async def _create_index(self, name: str, keys: Order, *, unique: bool) -> None:
        await self._call(lambda: self._coll(name).create_index(keys, unique=unique))

    async def _insert(self, name: str, doc: Doc, duplicate: str = DEFAULT_DUPLICATE) -> None:
        await self._call(lambda: self._coll(name).insert_one(doc), duplicate=duplicate)

    async def _set(
        self, name: str, query: Doc, fields: Doc, duplicate: str = DEFAULT_DUPLICATE
    ) -> int:
        result = await self._call(
            lambda: self._coll(name).update_one(query, {"$set": fields}), duplicate=duplicate
        )
        modified: int = result.modified_count
        return modified

    async def _update_many(self, name: str, query: Doc, update: Doc) -> None:
        await self._call(lambda: self._coll(name).update_many(query, update))

    async def _delete_many(self, name: str, query: Doc) -> None:
        await self._call(lambda: self._coll(name).delete_many(query))

    # Check-ins -----------------------------------------------------------------------------
    async def get_check_ins(self, org_id: str, ids: Sequence[str]) -> list[CheckIn]:
        return [d.check_in_of(doc) for doc in await self._by_ids(CHECK_INS, org_id, ids)]

    async def find_check_in(self, org_id: str, dedup_key: str) -> CheckIn | None:
        query = {"_id": d.keyed_check_in_id(dedup_key), "orgId": org_id, "dedupKey": dedup_key}
        docs = await self._find(CHECK_INS, query, limit=1)
        return d.check_in_of(docs[0]) if docs else None

    async def list_check_ins(
        self,
        org_id: str,
        key_result_ids: Sequence[str],
        *,
        until: datetime | None = None,
    ) -> list[CheckIn]:
        if not key_result_ids:
            return []
        query: Doc = {"orgId": org_id, "keyResultId": {"$in": list(key_result_ids)}}
        if until is not None:
            query["recordedAt"] = {"$lte": d.to_millis(until)}
        docs = await self._find(CHECK_INS, query, sort=NEWEST_FIRST)
        return [d.check_in_of(doc) for doc in docs]

    async def page_check_ins(
        self, org_id: str, key_result_id: str, *, after: str | None, limit: int
    ) -> Page[CheckIn]:
        query: Doc = {"orgId": org_id, "keyResultId": key_result_id}
        after_query: Doc = {}
        if after is not None:
            marks = await self._find(
                CHECK_INS,
                {**query, "_id": after},
                projection={"recordedAt": 1, "rev": 1},
                limit=1,
            )
            if not marks:
                return Page(items=[], total=await self._count(CHECK_INS, query), has_next=False)
            at, rev = marks[0]["recordedAt"], marks[0].get("rev", 0)
            after_query = {
                "$or": [
                    {"recordedAt": {"$lt": at}},
                    {"recordedAt": at, "rev": {"$lt": rev}},
                    {"recordedAt": at, "rev": rev, "_id": {"$lt": after}},
                ]
            }
        return await self._page(
            CHECK_INS,
            query,
            d.check_in_of,
            after=after,
            limit=limit,
            order=NEWEST_FIRST,
            after_query=after_query,
        )


def _being_cancelled() -> bool:
    """Whether the running task has been asked to stop (a deadline or a caller cancelled it)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
