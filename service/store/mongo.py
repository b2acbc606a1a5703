"""The Store over MongoDB: PyMongo's async client in production, nx-27017 embedded, and
mongomock-motor in tests. It stays inside the subset STORE-NOTES.md measured on all three.

Every request goes through `_call`, which counts it and translates driver errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from pymongo import ReturnDocument, UpdateMany
from pymongo.errors import BulkWriteError

from service.domain.errors import Conflict
from service.domain.model import (
    ActionStep,
    CheckIn,
    Cycle,
    Department,
    Initiative,
    KeyResult,
    Objective,
    Organization,
)
from service.store import documents as d
from service.store.interface import Page, YearScope, reports_change
from service.store.reads import (
    CHECK_INS,
    COUNTERS,
    CYCLES,
    DEPARTMENTS,
    INDEXES,
    INITIATIVES,
    KEY_RESULTS,
    NEWEST_FIRST,
    OBJECTIVES,
    ORGS,
    STEPS,
    Doc,
    MongoReads,
)

_SCORED = {"key_results": KEY_RESULTS, "objectives": OBJECTIVES}


P = ParamSpec("P")
R = TypeVar("R")


def _org_of(first: object) -> str | None:
    """The organization a write names in its first argument: an id, an entity, or a batch."""
    if isinstance(first, str):
        return first
    if isinstance(first, Organization):
        return first.id
    if isinstance(first, Sequence):
        return _org_of(first[0]) if first else None
    org_id = getattr(first, "org_id", None)
    return org_id if isinstance(org_id, str) else None


def _moves_version(
    method: Callable[Concatenate[MongoStore, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[MongoStore, P], Coroutine[Any, Any, R]]:
    """A write that changes what `load_year` returns, or the organization itself or its
    departments, moves the organization's version on, so every instance's cached years and
    organization of it are read again (`YearCache`)."""

    async def write(self: MongoStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        result = await method(self, *args, **kwargs)
        # A write that reports it changed nothing (a closed cycle closed again, a retried
        # check-in) leaves the version alone, so it stores nothing at all.
        org_id = _org_of(args[0]) if args else None
        if org_id is not None and reports_change(result):
            await self._bump_version(org_id)
        return result

    write.__doc__ = method.__doc__
    return write


class MongoStore(MongoReads):
    """The `Store` Protocol over a database object of PyMongo's async API (or mongomock-motor's
    look-alike): `MongoStore(client["okrgraph"])`. The caller owns and closes the client."""

    async def ping(self) -> None:
        await self._call(lambda: self._db.command("ping"))

    async def ensure_indexes(self) -> None:
        for name, keys, unique in INDEXES:
            await self._create_index(name, keys, unique=unique)

    # Organizations -------------------------------------------------------------------------
    @_moves_version
    async def insert_organization(self, org: Organization) -> None:
        await self._insert(ORGS, d.organization_doc(org), f"the slug {org.slug!r} is taken already")

    @_moves_version
    async def update_organization(self, org: Organization) -> None:
        fields = d.organization_doc(org)
        del fields["_id"], fields["slug"]
        await self._set(ORGS, {"_id": org.id}, fields)

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

    # Departments ---------------------------------------------------------------------------
    @_moves_version
    async def insert_department(self, department: Department) -> None:
        await self._insert(
            DEPARTMENTS,
            d.department_doc(department),
            f"the organization has a department named {department.name!r} already",
        )

    async def list_departments(self, org_id: str) -> list[Department]:
        docs = await self._find(DEPARTMENTS, {"orgId": org_id}, sort=[("name", 1), ("_id", 1)])
        return [d.department_of(doc) for doc in docs]

    async def get_departments(self, org_id: str, ids: Sequence[str]) -> list[Department]:
        return [d.department_of(doc) for doc in await self._by_ids(DEPARTMENTS, org_id, ids)]

    # Cycles --------------------------------------------------------------------------------
    @_moves_version
    async def insert_cycles(self, cycles: Sequence[Cycle]) -> None:
        if not cycles:
            return
        docs = [d.cycle_doc(c) for c in cycles]
        try:
            # Ordered, so the clash stops the batch and `nInserted` says what went in before it.
            await self._call(
                lambda: self._coll(CYCLES).insert_many(docs, ordered=True),
                duplicate="the organization has one of these cycles already",
            )
        except Conflict as conflict:
            cause = conflict.__cause__
            written = len(docs)
            if isinstance(cause, BulkWriteError):
                written = int(cause.details.get("nInserted", len(docs)))
            by_org: dict[str, list[str]] = {}
            for doc in docs[:written]:
                by_org.setdefault(doc["orgId"], []).append(doc["_id"])
            for org_id, ids in by_org.items():
                await self._delete_many(CYCLES, {"orgId": org_id, "_id": {"$in": ids}})
            raise

    async def get_cycles(self, org_id: str, ids: Sequence[str]) -> list[Cycle]:
        return [d.cycle_of(doc) for doc in await self._by_ids(CYCLES, org_id, ids)]

    async def list_cycles(self, org_id: str, *, year: int | None = None) -> list[Cycle]:
        query: Doc = {"orgId": org_id}
        if year is not None:
            query["year"] = year
        order = [("startsAt", 1), ("endsAt", -1), ("_id", 1)]
        return [d.cycle_of(doc) for doc in await self._find(CYCLES, query, sort=order)]

    @_moves_version
    async def close_cycle(self, org_id: str, cycle_id: str, closed_at: datetime) -> bool:
        # A conditional replace, not `$set`: nx-27017 stores a datetime given to `$set` as text.
        docs = await self._find(CYCLES, {"_id": cycle_id, "orgId": org_id}, limit=1)
        if not docs or docs[0].get("closed"):
            return False
        doc = dict(docs[0])
        doc.update(closed=True, closedAt=d.to_millis(closed_at))
        query = {"_id": cycle_id, "orgId": org_id, "closed": False}
        result = await self._call(lambda: self._coll(CYCLES).replace_one(query, doc))
        return bool(result.modified_count)

    # Objectives ----------------------------------------------------------------------------
    @_moves_version
    async def insert_objective(self, objective: Objective) -> None:
        await self._insert(OBJECTIVES, d.objective_doc(objective))

    @_moves_version
    async def update_objective(self, objective: Objective) -> None:
        query = {"_id": objective.id, "orgId": objective.org_id}
        await self._set(OBJECTIVES, query, d.objective_fields(objective))

    @_moves_version
    async def delete_objective(self, org_id: str, objective_id: str) -> None:
        await self._delete_many(OBJECTIVES, {"_id": objective_id, "orgId": org_id})
        # Key results go last, so that a retry after a failure midway still finds them.
        kr_docs = await self._find(
            KEY_RESULTS, {"orgId": org_id, "objectiveId": objective_id}, projection={"_id": 1}
        )
        kr_ids = [doc["_id"] for doc in kr_docs]
        if kr_ids:
            await self._delete_many(CHECK_INS, {"orgId": org_id, "keyResultId": {"$in": kr_ids}})
            await self._forget_key_results(org_id, kr_ids)
            await self._delete_many(KEY_RESULTS, {"orgId": org_id, "_id": {"$in": kr_ids}})
        await self._delete_many(STEPS, {"orgId": org_id, "objectiveId": objective_id})

    async def _forget_key_results(self, org_id: str, kr_ids: list[str]) -> None:
        """Drop these ids from dependencies and initiatives."""
        gone = {"$in": kr_ids}
        await self._update_many(
            KEY_RESULTS, {"orgId": org_id, "dependsOn": gone}, {"$pull": {"dependsOn": gone}}
        )
        await self._update_many(
            INITIATIVES,
            {"orgId": org_id, "keyResultIds": gone},
            {"$pull": {"keyResultIds": gone}},
        )

    async def get_objectives(self, org_id: str, ids: Sequence[str]) -> list[Objective]:
        return [d.objective_of(doc) for doc in await self._by_ids(OBJECTIVES, org_id, ids)]

    async def find_objectives(
        self,
        org_id: str,
        *,
        cycle_ids: Sequence[str] | None = None,
        department_id: str | None = None,
        parent_ids: Sequence[str] | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> Page[Objective]:
        query: Doc = {"orgId": org_id}
        _add_in(query, "cycleId", cycle_ids)
        _add_in(query, "parentId", parent_ids)
        if department_id is not None:
            query["departmentId"] = department_id
        return await self._page(OBJECTIVES, query, d.objective_of, after=after, limit=limit)

    async def find_global_objective(self, org_id: str, year: int) -> Objective | None:
        years = await self._find(
            CYCLES, {"orgId": org_id, "year": year, "kind": "YEAR"}, projection={"_id": 1}
        )
        if not years:
            return None
        query = {"orgId": org_id, "cycleId": years[0]["_id"], "parentId": None}
        docs = await self._find(OBJECTIVES, query, sort=[("_id", 1)], limit=1)
        return d.objective_of(docs[0]) if docs else None

    async def count_team_objectives(self, org_id: str, cycle_id: str, department_id: str) -> int:
        query = {"orgId": org_id, "cycleId": cycle_id, "departmentId": department_id}
        return await self._count(OBJECTIVES, query)

    # Key results ---------------------------------------------------------------------------
    @_moves_version
    async def insert_key_result(self, key_result: KeyResult) -> None:
        await self._insert(KEY_RESULTS, d.key_result_doc(key_result))

    @_moves_version
    async def insert_key_results(self, key_results: Sequence[KeyResult]) -> None:
        if key_results:
            docs = [d.key_result_doc(kr) for kr in key_results]
            await self._call(lambda: self._coll(KEY_RESULTS).insert_many(docs))

    @_moves_version
    async def update_key_result(self, key_result: KeyResult) -> None:
        query: Doc = {"_id": key_result.id, "orgId": key_result.org_id}
        await self._set(KEY_RESULTS, query, d.key_result_editable(key_result))
        if key_result.last_check_in_at is None:
            # No check-in yet: the current value is the start value; the condition keeps a
            # check-in appended meanwhile.
            await self._set(
                KEY_RESULTS,
                {**query, "lastCheckInKey": d.NO_CHECK_IN},
                {"currentValue": float(key_result.start_value)},
            )

    @_moves_version
    async def delete_key_result(self, org_id: str, key_result_id: str) -> None:
        await self._delete_many(KEY_RESULTS, {"_id": key_result_id, "orgId": org_id})
        await self._delete_many(CHECK_INS, {"orgId": org_id, "keyResultId": key_result_id})
        await self._forget_key_results(org_id, [key_result_id])

    async def get_key_results(self, org_id: str, ids: Sequence[str]) -> list[KeyResult]:
        return [d.key_result_of(doc) for doc in await self._by_ids(KEY_RESULTS, org_id, ids)]

    async def find_key_results(
        self,
        org_id: str,
        *,
        objective_ids: Sequence[str] | None = None,
        department_id: str | None = None,
        cycle_ids: Sequence[str] | None = None,
        depends_on: Sequence[str] | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> Page[KeyResult]:
        query: Doc = {"orgId": org_id}
        _add_in(query, "objectiveId", objective_ids)
        _add_in(query, "cycleId", cycle_ids)
        _add_in(query, "dependsOn", depends_on)
        if department_id is not None:
            query["departmentId"] = department_id
        return await self._page(KEY_RESULTS, query, d.key_result_of, after=after, limit=limit)

    @_moves_version
    async def add_dependency(self, org_id: str, key_result_id: str, depends_on_id: str) -> None:
        await self._update_many(
            KEY_RESULTS,
            {"_id": key_result_id, "orgId": org_id},
            {"$addToSet": {"dependsOn": depends_on_id}},
        )

    @_moves_version
    async def remove_dependency(self, org_id: str, key_result_id: str, depends_on_id: str) -> None:
        await self._update_many(
            KEY_RESULTS,
            {"_id": key_result_id, "orgId": org_id},
            {"$pull": {"dependsOn": depends_on_id}},
        )

    @_moves_version
    async def set_scores(self, org_id: str, scores: dict[str, float], kind: str) -> None:
        if kind not in _SCORED:
            raise ValueError(f"kind is 'key_results' or 'objectives', not {kind!r}")
        if not scores:
            return
        # UpdateMany, not UpdateOne: mongomock-motor's bulk_write rejects UpdateOne's `sort`
        # under pymongo 4.20; on a filter by _id the two do the same.
        ops = [
            UpdateMany({"_id": item, "orgId": org_id}, {"$set": {"score": float(score)}})
            for item, score in scores.items()
        ]
        await self._call(lambda: self._coll(_SCORED[kind]).bulk_write(ops, ordered=False))

    # Check-ins -----------------------------------------------------------------------------
    @_moves_version
    async def append_check_in(self, check_in: CheckIn) -> tuple[CheckIn, bool]:
        doc = d.check_in_doc(check_in)
        try:
            await self._insert(CHECK_INS, doc, "a check-in with this id exists already")
        except Conflict:
            existing = await self._find(
                CHECK_INS, {"dedupKey": doc["dedupKey"], "orgId": check_in.org_id}, limit=1
            )
            if existing and check_in.idempotency_key is not None:
                return d.check_in_of(existing[0]), False
            raise
        current = d.current_of(doc)
        query = {
            "_id": check_in.key_result_id,
            "orgId": check_in.org_id,
            "lastCheckInKey": {"$lt": current["lastCheckInKey"]},
        }
        await self._set(KEY_RESULTS, query, current)
        return d.check_in_of(doc), True

    @_moves_version
    async def delete_check_in(self, org_id: str, check_in_id: str) -> CheckIn | None:
        query = {"_id": check_in_id, "orgId": org_id}
        deleted = await self._call(lambda: self._coll(CHECK_INS).find_one_and_delete(query))
        if deleted is None:
            return None
        gone = d.check_in_of(deleted)
        was_current = {
            "_id": gone.key_result_id,
            "orgId": org_id,
            "lastCheckInKey": d.newest_key(gone.recorded_at, gone.id),
        }
        newest = await self._find(
            CHECK_INS,
            {"orgId": org_id, "keyResultId": gone.key_result_id},
            sort=NEWEST_FIRST,
            limit=1,
        )
        if newest:
            await self._set(KEY_RESULTS, was_current, d.current_of(newest[0]))
            return gone
        krs = await self._find(KEY_RESULTS, was_current, projection={"startValue": 1}, limit=1)
        if krs:
            back = {
                "currentValue": float(krs[0]["startValue"]),
                "confidence": None,
                "lastCheckInKey": d.NO_CHECK_IN,
            }
            await self._set(KEY_RESULTS, was_current, back)
        return gone

    # Action plans and initiatives ----------------------------------------------------------
    async def insert_action_step(self, step: ActionStep) -> None:
        await self._insert(STEPS, d.action_step_doc(step))

    async def update_action_step(self, step: ActionStep) -> None:
        fields = d.action_step_doc(step)
        del fields["_id"], fields["orgId"]
        await self._set(STEPS, {"_id": step.id, "orgId": step.org_id}, fields)

    async def insert_initiative(self, initiative: Initiative) -> None:
        await self._insert(INITIATIVES, d.initiative_doc(initiative))

    async def link_initiative(self, org_id: str, initiative_id: str, key_result_id: str) -> None:
        await self._update_many(
            INITIATIVES,
            {"_id": initiative_id, "orgId": org_id},
            {"$addToSet": {"keyResultIds": key_result_id}},
        )

    async def unlink_initiative(self, org_id: str, initiative_id: str, key_result_id: str) -> None:
        await self._update_many(
            INITIATIVES,
            {"_id": initiative_id, "orgId": org_id},
            {"$pull": {"keyResultIds": key_result_id}},
        )

    # Scopes --------------------------------------------------------------------------------
    async def version(self, org_id: str) -> int:
        docs = await self._find(COUNTERS, {"_id": org_id, "orgId": org_id}, limit=1)
        return int(docs[0].get("version", 0)) if docs else 0

    async def _bump_version(self, org_id: str) -> None:
        query = {"_id": org_id, "orgId": org_id}
        await self._call(
            lambda: self._coll(COUNTERS).update_one(query, {"$inc": {"version": 1}}, upsert=True)
        )

    async def next_sequence(self, org_id: str) -> int:
        query = {"_id": org_id, "orgId": org_id}
        change = {"$inc": {"sequence": 1}}
        doc = await self._call(
            lambda: self._coll(COUNTERS).find_one_and_update(
                query, change, upsert=True, return_document=ReturnDocument.AFTER
            )
        )
        return int(doc["sequence"])

    async def load_year(self, org_id: str, year: int) -> YearScope:
        in_year = {"orgId": org_id, "year": year}
        cycle_docs, objective_docs, kr_docs = await asyncio.gather(
            self._find(CYCLES, in_year),
            self._find(OBJECTIVES, in_year),
            self._find(KEY_RESULTS, in_year),
        )
        cycles = {doc["_id"]: d.cycle_of(doc) for doc in cycle_docs}
        objectives = {doc["_id"]: d.objective_of(doc) for doc in objective_docs}
        loaded = [d.key_result_of(doc) for doc in kr_docs]
        key_results = {kr.id: kr for kr in loaded if kr.objective_id in objectives}
        # Upstream outside the year; not the year's own key results left out above.
        known = {kr.id for kr in loaded}
        upstream = sorted({u for kr in key_results.values() for u in kr.depends_on} - known)
        if upstream:
            for kr in map(d.key_result_of, await self._by_ids(KEY_RESULTS, org_id, upstream)):
                key_results[kr.id] = kr
            missing = sorted({kr.cycle_id for kr in key_results.values()} - set(cycles))
            if missing:
                for doc in await self._by_ids(CYCLES, org_id, missing):
                    cycles[doc["_id"]] = d.cycle_of(doc)
        return YearScope(cycles=cycles, objectives=objectives, key_results=key_results)


def _add_in(query: Doc, field: str, values: Sequence[str] | None) -> None:
    if values is not None:
        query[field] = {"$in": list(values)}
