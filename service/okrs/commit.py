"""How a use case writes: it drafts a change from the organization as it stands, and the change
is appended to the organization's log, then applied.

`Writer.commit(org_id, build)` brings the organization's snapshot up to its log, asks `build`
what to write (a `Draft`, or `Unchanged` when there is nothing to write), and appends the
change at the next sequence. Two writers that drafted from the same position race for one
sequence: the store takes one and refuses the other, which drafts again from the newer
position. So every change is checked against exactly the state it follows, without locks or
transactions, on any number of instances.

Appending is the write. What follows is catching up: the documents are brought to the change
(a failure there is left to the next reader, who applies it; the write stands), the read model
takes the change, and other instances are told (off the request path). A failure before or
while appending leaves the outcome unknown to the caller, who retries: a retried request finds
its first attempt's change (`Draft.dedup`, or the state it left) and ends where it would have.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from service.domain.errors import Conflict, NotFound, StoreUnavailable
from service.domain.model import Organization
from service.readmodel import ReadModel, Snapshot
from service.store import documents as d
from service.store.interface import Store
from service.store.records import Change, Op

logger = logging.getLogger(__name__)

R = TypeVar("R")

ATTEMPTS = 25
"""How often a writer drafts again after losing the race for a sequence before giving up."""


@dataclass(frozen=True, slots=True)
class Retention:
    """How much of each organization's log to keep: at least `days` of it and at least its
    `changes` newest changes (a change goes once it is older and further back than both).
    The log is pruned every `every` changes, in the background."""

    days: int = 7
    changes: int = 100_000
    every: int = 1000


@dataclass(frozen=True, slots=True)
class Draft(Generic[R]):
    """What a use case wants written: the operations, what they are about (`kind` names the
    mutation, `node_type`/`node_id` the object), and `result`, what the use case answers once
    it is written. `dedup` (optional) is unique in the log: a second change with it is
    refused, which is how two writers of one organization-wide name are kept apart."""

    kind: str
    ops: Sequence[Op]
    result: R
    node_type: str | None = None
    node_id: str | None = None
    dedup: str = ""


@dataclass(frozen=True, slots=True)
class Unchanged(Generic[R]):
    """Nothing to write: `result` is the answer as things stand."""

    result: R


@dataclass(frozen=True, slots=True)
class Written(Generic[R]):
    """What a commit did: the use case's result, the change (None when nothing was written),
    and the organization before and after it."""

    result: R
    change: Change | None
    before: Snapshot
    after: Snapshot


Build = Callable[[Snapshot], Awaitable[Draft[R] | Unchanged[R]]]


class Writer:
    """Appends use cases' changes to organizations' logs (one per process, or per request
    scope): see the module's doc."""

    def __init__(
        self,
        store: Store,
        reads: ReadModel,
        *,
        notify: Callable[[str, int], None] | None = None,
        allowed: Callable[[str], bool] | None = None,
        written: Callable[[Snapshot], None] | None = None,
        retention: Retention | None = None,
    ) -> None:
        self.store = store
        self.reads = reads
        self.notify = notify
        self.retention = retention
        self._pruning: set[asyncio.Task[None]] = set()
        self.allowed = allowed
        """Which organizations this writer may write (None: any); see `scoped`."""
        self.written = written
        """Told of the organization as each commit left it (the request reads that next)."""
        self._locks: dict[str, asyncio.Lock] = {}

    def scoped(
        self,
        store: Store,
        reads: ReadModel | None = None,
        *,
        allowed: Callable[[str], bool] | None = None,
        written: Callable[[Snapshot], None] | None = None,
    ) -> Writer:
        """This writer through another view of the store (a tenant's), another read model if
        given, writing only the organizations `allowed` says (another is NotFound, before
        anything of it is read); it shares this writer's order of writes per organization."""
        made = Writer(
            store,
            reads or self.reads,
            notify=self.notify,
            allowed=allowed,
            written=written,
            retention=self.retention,
        )
        made._locks = self._locks
        made._pruning = self._pruning
        return made

    async def commit(
        self,
        org_id: str,
        build: Build[R],
        *,
        actor: str | None,
        at: datetime,
        creating: Organization | None = None,
        field: str = "id",
    ) -> Written[R]:
        """Draft a change from the organization as it stands and write it (see the module's
        doc). `creating` is the organization a first change creates: it stands for the
        organization while there is none. NotFound on `field` (the input that named something
        of the organization) when there is no organization."""
        missing = NotFound("no such organization", field=(field,))
        if creating is None and self.allowed is not None and not self.allowed(org_id):
            raise missing
        async with self._lock(org_id):
            for _ in range(ATTEMPTS):
                before = await self.reads.snapshot(org_id)
                if before is None:
                    if creating is None:
                        raise missing
                    before = Snapshot.empty(creating)
                draft = await build(before)
                if isinstance(draft, Unchanged) or not draft.ops:
                    return self._done(Written(draft.result, None, before, before))
                change = Change(
                    org_id=org_id,
                    sequence=before.position + 1,
                    at=d.to_millis(at),
                    kind=draft.kind,
                    ops=tuple(draft.ops),
                    actor=actor,
                    node_type=draft.node_type,
                    node_id=draft.node_id,
                    dedup=draft.dedup,
                )
                try:
                    await self.store.append_change(change)
                except Conflict:
                    await self._settle(draft)
                    continue
                after = await self._follow(change)
                return self._done(Written(draft.result, change, before, after))
        raise StoreUnavailable(
            "too many writes to this organization at once; try again",
        )

    def _done(self, written: Written[R]) -> Written[R]:
        if self.written is not None:
            self.written(written.after)
        return written

    async def _settle(self, draft: Draft[R]) -> None:
        """After losing the race for a sequence or for the request's key: a change holding the
        key (the same request, written before) is applied, so that drafting again sees it."""
        if not draft.dedup:
            return
        found = await self.store.change_by_dedup(draft.dedup)
        if found is not None and not found.applied:
            await self.store.apply(found)

    async def _follow(self, change: Change) -> Snapshot:
        """Catch the documents and the read model up with a change just written."""
        org_id = change.org_id
        self.reads.writing(org_id, change.sequence)
        applied = False
        try:
            await self.store.apply(change)
            applied = True
        except StoreUnavailable:
            logger.warning(
                "change %s is written but not applied yet: the next read will", change.id
            )
        finally:
            after = self.reads.written(org_id, change, applied=applied)
        if self.notify is not None:
            self.notify(org_id, change.sequence)
        retention = self.retention
        if retention is not None and change.sequence % retention.every == 0:
            self._prune(org_id, change.at, retention)
        if after is None or after.position < change.sequence:
            # Another writer's change came first in this process's view: read the log.
            caught = await self._caught_up(org_id)
            if caught is not None:
                after = caught
        assert after is not None  # the organization exists: this change is in its log
        return after

    def _prune(self, org_id: str, at: datetime, retention: Retention) -> None:
        """Forget what the log need not keep any more, off the request path."""

        async def prune() -> None:
            try:
                await self.store.prune_changes(
                    org_id,
                    keep_last=retention.changes,
                    older_than=at - timedelta(days=retention.days),
                )
            except StoreUnavailable as error:
                logger.info("pruning the log of %s waits for the next time: %s", org_id, error)

        task = asyncio.create_task(prune())
        self._pruning.add(task)
        task.add_done_callback(self._pruning.discard)

    async def _caught_up(self, org_id: str) -> Snapshot | None:
        try:
            return await self.reads.snapshot(org_id)
        except StoreUnavailable:
            return self.reads.held(org_id)

    def _lock(self, org_id: str) -> asyncio.Lock:
        """One writer per organization at a time in this process: they would only race each
        other for the same sequence."""
        lock = self._locks.get(org_id)
        if lock is None:
            if len(self._locks) > 1024:
                for key in [k for k, v in self._locks.items() if not v.locked()]:
                    del self._locks[key]
            lock = self._locks[org_id] = asyncio.Lock()
        return lock
