"""The Store over MongoDB: PyMongo's async client in production, nx-27017 embedded, and
mongomock-motor in tests. It stays inside the subset all three were measured to get right
(string ids, floats, no transactions, no `array_filters`, no change streams).

Every request goes through `_call`, which counts it and translates driver errors.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Sequence
from datetime import datetime

from pymongo.errors import BulkWriteError, DuplicateKeyError

from service.domain.errors import Conflict
from service.domain.model import Organization
from service.store import documents as d
from service.store.errors import is_duplicate
from service.store.interface import ChangeFilter, OrganizationDocuments, Page
from service.store.outbound import MongoOutbound
from service.store.reads import (
    CHANGES,
    CYCLES,
    DEPARTMENTS,
    FENCED,
    INDEXES,
    INITIATIVES,
    KEY_RESULTS,
    MEMBERS,
    OBJECTIVES,
    ORGS,
    STEPS,
    Doc,
)
from service.store.records import (
    Change,
    Delete,
    DeleteWhere,
    Put,
    change_doc,
    change_of,
    record_id,
)

logger = logging.getLogger(__name__)

TAKEN = "the change's sequence or request key is taken already"
FIRST_WINDOW = 8
"""Changes asked for at first when reading the log after a position."""


class MongoStore(MongoOutbound):
    """The `Store` Protocol over a database object of PyMongo's async API (or mongomock-motor's
    look-alike): `MongoStore(client["okrgraph"])`. The caller owns and closes the client."""

    async def ping(self) -> None:
        await self._call(lambda: self._db.command("ping"))

    async def ensure_indexes(self) -> None:
        for name, keys, unique in INDEXES:
            await self._create_index(name, keys, unique=unique)
        # Documents written before the change log get the fence every change checks (`rev`).
        for name in FENCED:
            await self._update_many(name, {"rev": {"$exists": False}}, {"$set": {"rev": 0}})

    # The change log ------------------------------------------------------------------------
    async def append_change(self, change: Change) -> None:
        await self._insert(CHANGES, change_doc(change), TAKEN)

    async def changes_after(self, org_id: str, sequence: int, *, limit: int) -> list[Change]:
        # Asked by `_id` (organization and sequence), in windows that grow while they come back
        # full: the usual answer, nothing new, is one lookup of a few ids, and the embedded
        # store answers `_id` lookups from its key while it scans the collection for any
        # other filter (7 ms at 20,000 changes, 0.4 ms by `_id`).
        found: list[Change] = []
        window = FIRST_WINDOW
        while len(found) < limit:
            start = found[-1].sequence if found else sequence
            wanted = [
                record_id(org_id, start + 1 + i) for i in range(min(window, limit - len(found)))
            ]
            docs = await self._find(CHANGES, {"_id": {"$in": wanted}})
            by_id = {doc["_id"]: doc for doc in docs}
            run = [by_id[i] for i in itertools.takewhile(by_id.__contains__, wanted)]
            found += [change_of(doc) for doc in run]
            if len(run) < len(wanted):
                break
            window *= 4
        return found

    async def last_change(self, org_id: str) -> Change | None:
        docs = await self._find(CHANGES, {"orgId": org_id}, sort=[("seq", -1)], limit=1)
        return change_of(docs[0]) if docs else None

    async def first_sequence(self, org_id: str) -> int | None:
        docs = await self._find(
            CHANGES, {"orgId": org_id}, sort=[("seq", 1)], limit=1, projection={"seq": 1}
        )
        return int(docs[0]["seq"]) if docs else None

    async def change_by_dedup(self, dedup: str) -> Change | None:
        docs = await self._find(CHANGES, {"dedup": dedup}, limit=1)
        return change_of(docs[0]) if docs else None

    async def apply(self, change: Change) -> None:
        pending: list[Put] = []  # new documents of one collection, inserted together
        for op in change.ops:
            if isinstance(op, Put) and op.before is None:
                if pending and pending[0].collection != op.collection:
                    await self._create_all(change, pending)
                    pending = []
                pending.append(op)
                continue
            if pending:
                await self._create_all(change, pending)
                pending = []
            await self._apply_one(change, op)
        if pending:
            await self._create_all(change, pending)
        await self._set(CHANGES, {"_id": change.id}, {"applied": True})

    async def _apply_one(self, change: Change, op: Put | Delete | DeleteWhere) -> None:
        org_id = change.org_id
        if isinstance(op, Put):
            await self._put(change, op)
        elif isinstance(op, Delete):
            await self._delete_many(op.collection, _owned(op.collection, org_id, op.id))
        else:
            query = {"orgId": org_id, op.field: {"$in": list(op.values)}}
            await self._delete_many(op.collection, query)

    async def _put(self, change: Change, op: Put) -> None:
        """Replace the document unless a later change wrote it already (its `rev` is not lower):
        then the filter matches nothing, the upsert's insert clashes on the id, and the later
        change's document stays."""
        query = {**_owned(op.collection, change.org_id, op.id), "rev": {"$lt": change.sequence}}
        doc = {**op.doc, "rev": change.sequence}
        try:
            await self._call(
                lambda: self._coll(op.collection).replace_one(query, doc, upsert=True),
                duplicate=TAKEN,
            )
        except Conflict as clash:
            if not isinstance(clash.__cause__, DuplicateKeyError):
                raise
            logger.debug("change %s left %s %s as a later change wrote it", change.id, *_at(op))

    async def _create_all(self, change: Change, ops: list[Put]) -> None:
        """New documents in one round trip; one that exists already (the change applied before,
        or partly) is left as it is."""
        if len(ops) == 1:
            await self._put(change, ops[0])
            return
        docs = [{**op.doc, "rev": change.sequence} for op in ops]
        try:
            await self._call(lambda: self._coll(ops[0].collection).insert_many(docs, ordered=False))
        except Conflict as clash:
            cause = clash.__cause__
            if not (isinstance(cause, BulkWriteError) and is_duplicate(cause)):
                raise

    async def page_changes(
        self,
        org_id: str,
        *,
        before: int | None,
        limit: int,
        where: ChangeFilter | None = None,
    ) -> Page[Change]:
        query: Doc = {"orgId": org_id}
        if where is not None:
            if where.actor is not None:
                query["actor"] = where.actor
            if where.kind is not None:
                query["kind"] = where.kind
            if where.node_id is not None:
                # `$in`, not equality: nx-27017 matches nothing by equality on an indexed array.
                query["touched"] = {"$in": [where.node_id]}
            span: Doc = {}
            if where.since is not None:
                span["$gte"] = d.to_millis(where.since)
            if where.until is not None:
                span["$lte"] = d.to_millis(where.until)
            if span:
                query["at"] = span
        after_query: Doc = {} if before is None else {"seq": {"$lt": before}}
        return await self._page(
            CHANGES,
            query,
            change_of,
            after=None,
            limit=limit,
            order=[("seq", -1)],
            after_query=after_query,
        )

    async def prune_changes(self, org_id: str, *, keep_last: int, older_than: datetime) -> int:
        newest = await self._find(
            CHANGES, {"orgId": org_id}, sort=[("seq", -1)], limit=1, projection={"seq": 1}
        )
        if not newest:
            return 0
        below = int(newest[0]["seq"]) - keep_last
        if below < 1:
            return 0
        query = {
            "orgId": org_id,
            "seq": {"$lte": below},
            "at": {"$lt": d.to_millis(older_than)},
            "applied": True,
        }
        result = await self._call(lambda: self._coll(CHANGES).delete_many(query))
        deleted: int = result.deleted_count
        return deleted

    # Documents ---------------------------------------------------------------------------
    async def load_organization(self, org_id: str) -> OrganizationDocuments | None:
        in_org = {"orgId": org_id}
        by_id = [("_id", 1)]
        (
            orgs,
            departments,
            cycles,
            objectives,
            key_results,
            steps,
            initiatives,
            members,
        ) = await asyncio.gather(
            self._find(ORGS, {"_id": org_id}, limit=1),
            self._find(DEPARTMENTS, in_org, sort=[("name", 1), ("_id", 1)]),
            self._find(CYCLES, in_org, sort=[("startsAt", 1), ("endsAt", -1), ("_id", 1)]),
            self._find(OBJECTIVES, in_org, sort=by_id),
            self._find(KEY_RESULTS, in_org, sort=by_id),
            self._find(STEPS, in_org, sort=[("objectiveId", 1), ("position", 1), *by_id]),
            self._find(INITIATIVES, in_org, sort=by_id),
            self._find(MEMBERS, in_org, sort=by_id),
        )
        if not orgs:
            return None
        return OrganizationDocuments(
            organization=d.organization_of(orgs[0]),
            departments=[d.department_of(doc) for doc in departments],
            cycles=[d.cycle_of(doc) for doc in cycles],
            objectives=[d.objective_of(doc) for doc in objectives],
            key_results=[d.key_result_of(doc) for doc in key_results],
            action_steps=[d.action_step_of(doc) for doc in steps],
            initiatives=[d.initiative_of(doc) for doc in initiatives],
            members=[d.member_of(doc) for doc in members],
        )

    async def organizations_with_legacy_owners(self) -> list[str]:
        found: set[str] = set()
        for name in (OBJECTIVES, KEY_RESULTS, STEPS):
            # `$gt ""` matches non-empty strings only: a member's document writes null there.
            docs = await self._find(name, {"owner": {"$gt": ""}}, projection={"orgId": 1})
            found.update(str(doc["orgId"]) for doc in docs)
        return sorted(found)

    async def get_organizations(self, ids: Sequence[str]) -> list[Organization]:
        if not ids:
            return []
        docs = await self._find(ORGS, {"_id": {"$in": list(ids)}})
        return [d.organization_of(doc) for doc in docs]

    async def get_organization_by_slug(self, slug: str) -> Organization | None:
        docs = await self._find(ORGS, {"slug": slug}, limit=1)
        return d.organization_of(docs[0]) if docs else None

    async def list_organizations(
        self, *, after: str | None, limit: int, ids: Sequence[str] | None = None
    ) -> Page[Organization]:
        query: Doc = {} if ids is None else {"_id": {"$in": list(ids)}}
        return await self._page(ORGS, query, d.organization_of, after=after, limit=limit)


def _owned(collection: str, org_id: str, doc_id: str) -> Doc:
    """The filter of one document of an organization (an organization is its own)."""
    if collection == ORGS:
        return {"_id": doc_id}
    return {"_id": doc_id, "orgId": org_id}


def _at(op: Put) -> tuple[str, str]:
    return op.collection, op.id
