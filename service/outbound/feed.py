"""An organization's changes with the progress events they made, from any position of its log.

Webhooks and the NATS stream consume a log from their own saved positions, which may lie far
behind the read model. `Feed` works the events out exactly as the subscriptions do
(`service.events.stream.event_of`, on the snapshots before and after each change): it holds a
snapshot at the newest position it reached and moves it forward change by change; a consumer
asking from another position gets the snapshot there by reading the read model's snapshot
backwards through the changes in between. The newest `KEPT` results are shared by every
consumer of the organization, so fifty endpoints cost one computation per change.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass

from service.events.event import Event
from service.events.stream import ResumeTooOld, event_of
from service.readmodel import ReadModel, Snapshot
from service.store.interface import Store
from service.store.records import Change

KEPT = 2000
"""Changes (with their events) kept per organization for consumers close behind."""
PAGE = 500
"""Changes read from the log at once."""
QUIET = 0.5
"""Seconds a read of the log that found nothing new answers for every consumer at the head,
unless a notice of a new change came in between."""


@dataclass(frozen=True, slots=True)
class Item:
    """One change and the event it made (None when it moved no scope)."""

    change: Change
    event: Event | None


class Feed:
    """The items of one organization's log (see the module's doc)."""

    def __init__(self, store: Store, reads: ReadModel, org_id: str) -> None:
        self.store = store
        self.reads = reads
        self.org_id = org_id
        self._head: Snapshot | None = None
        self._kept: OrderedDict[int, Item] = OrderedDict()
        self._lock = asyncio.Lock()
        self._quiet_since: float | None = None  # when a read at the head last found nothing
        self._notices = 0  # notices so far: a read that overlapped one proves nothing quiet

    async def after(self, position: int, *, limit: int) -> list[Item]:
        """The items after `position`, oldest first, at most `limit` (empty when the log has
        nothing newer). ResumeTooOld when the log no longer keeps the change after
        `position`."""
        async with self._lock:
            return await self._after(position, limit)

    async def _after(self, position: int, limit: int) -> list[Item]:
        kept = self._from_kept(position, limit)
        if len(kept) == limit:
            return kept
        head = self._head
        if head is not None and (kept or head.position == position):
            # Within or at the end of what is kept: read on from the head, unless a read just
            # now found nothing and no notice came since.
            quiet = self._quiet_since
            if not kept and quiet is not None and time.monotonic() - quiet < QUIET:
                return []
            notices = self._notices
            if not await self._walk(head, limit, keep=True) and self._notices == notices:
                self._quiet_since = time.monotonic()
            return self._from_kept(position, limit)
        start = await self._snapshot_at(position)
        if head is None or position > head.position:
            self._head = start
            self._kept.clear()
            await self._walk(start, limit, keep=True)
            return self._from_kept(position, limit)
        # Further back than anything kept: a walk of its own that leaves the head alone.
        return await self._walk(start, limit)

    def noticed(self) -> None:
        """A change was written: the next consumer at the head reads the log."""
        self._quiet_since = None
        self._notices += 1

    def _from_kept(self, position: int, limit: int) -> list[Item]:
        if position + 1 not in self._kept:
            return []
        found: list[Item] = []
        sequence = position + 1
        while sequence in self._kept and len(found) < limit:
            found.append(self._kept[sequence])
            sequence += 1
        return found

    async def _walk(self, start: Snapshot, limit: int, *, keep: bool = False) -> list[Item]:
        changes = await self.store.changes_after(self.org_id, start.position, limit=limit)
        made: list[Item] = []
        current = start
        for change in changes:
            if change.sequence != current.position + 1:
                raise ResumeTooOld(
                    f"the log of {self.org_id} no longer keeps change {current.position + 1}"
                )
            following = current.applied(change)
            item = Item(change, event_of(current, following, change))
            made.append(item)
            current = following
            if keep:
                self._kept[change.sequence] = item
                while len(self._kept) > KEPT:
                    self._kept.popitem(last=False)
        if keep:
            self._head = current
        return made

    async def _snapshot_at(self, position: int) -> Snapshot:
        """The organization as it stood after change `position`."""
        here = await self.reads.snapshot(self.org_id)
        if here is None:
            raise ResumeTooOld(f"there is no organization {self.org_id}")
        if here.position < position:
            raise ResumeTooOld(f"position {position} is ahead of the log ({here.position})")
        changes: list[Change] = []
        reached = position
        while reached < here.position:
            found = await self.store.changes_after(self.org_id, reached, limit=PAGE)
            found = [c for c in found if c.sequence <= here.position]
            if not found or found[0].sequence != reached + 1:
                raise ResumeTooOld(f"the log of {self.org_id} no longer keeps change {reached + 1}")
            changes += found
            reached = found[-1].sequence
        state = here
        for change in reversed(changes):
            state = state.reverted(change)
        return state


class Feeds:
    """The feeds of the organizations a worker delivers, the `capacity` most recently used kept
    (a feed holds a snapshot of its organization; one dropped is made again when needed)."""

    def __init__(self, store: Store, reads: ReadModel, *, capacity: int = 64) -> None:
        self.store = store
        self.reads = reads
        self.capacity = capacity
        self._feeds: OrderedDict[str, Feed] = OrderedDict()

    def of(self, org_id: str) -> Feed:
        """The organization's feed."""
        feed = self._feeds.get(org_id)
        if feed is None:
            feed = self._feeds[org_id] = Feed(self.store, self.reads, org_id)
            while len(self._feeds) > self.capacity:
                self._feeds.popitem(last=False)
        else:
            self._feeds.move_to_end(org_id)
        return feed

    def noticed(self, org_id: str) -> None:
        """A change of the organization was written (see `Feed.noticed`)."""
        feed = self._feeds.get(org_id)
        if feed is not None:
            feed.noticed()
