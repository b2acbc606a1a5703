"""The read model: every organization a process serves, as a snapshot that follows its log.

`ReadModel.snapshot(org_id)` answers the organization as its log stands now: it reads the log
after the position it holds (one small read, usually empty) and applies what it finds, so a
write made on any instance costs the next reader here that read and the changes themselves,
however large the organization. Only the first use (or one after an eviction, or after falling
too far behind) loads the organization's documents.

Whoever finds a change not applied to the documents yet (its writer crashed, or lost the store
in between) applies it before going on, so the documents never stay behind the log.

A read model kept for the process is shared by every request (`capacity` organizations, least
recently used out first, never one that is followed); one made for a single request is "no
cache". Both read the same way: there is no other read path.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from service.domain.model import CheckIn, Organization
from service.readmodel.history import newest_first
from service.readmodel.snapshot import Snapshot
from service.store.interface import Store
from service.store.records import Change

logger = logging.getLogger(__name__)

PAGE = 500
"""Changes read from the log at once while catching up."""
RELOAD_AFTER = 2000
"""An organization nobody follows that is further behind than this is loaded again instead."""
STALE_AFTER = 3600.0
"""Seconds after which an organization nobody follows, not read since, is loaded again instead
of caught up. The log's retention keeps every change at least a day, so the changes after a
position read within the hour are all still there; an older position may be followed by a
pruned stretch, which reads as nothing new."""

CHECK_IN_CAPACITY = 500_000
"""Check-ins the read model holds at most, over every organization (about 450 bytes each:
the 960-key-result bench organization's 28,800 check-ins take 12.6 MB)."""

Listener = Callable[[Snapshot, Snapshot, Change], None]
"""Told of each change applied to a followed organization: the snapshot before, the snapshot
after, and the change."""


@dataclass(slots=True)
class _Entry:
    """One organization: its snapshot, and the catch-up that brings it forward."""

    snapshot: Snapshot | None = None
    started: int = 0
    finished: int = 0
    running: asyncio.Future[None] | None = None
    unapplied: set[int] = field(default_factory=set)
    writing: set[int] = field(default_factory=set)
    listeners: list[Listener] = field(default_factory=list)
    checked: float = 0.0
    """When the snapshot was last brought up to the log (the event loop's clock)."""


class ReadModel:
    """Snapshots of organizations, each brought up to its log on use."""

    def __init__(
        self, store: Store, *, capacity: int = 256, check_in_capacity: int = CHECK_IN_CAPACITY
    ) -> None:
        self.store = store
        self.capacity = capacity
        self.check_in_capacity = check_in_capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._slugs: OrderedDict[str, str] = OrderedDict()
        self.loads = 0
        """How many times an organization's documents were loaded (cold reads)."""
        self.applied = 0
        """How many changes were applied to snapshots from the log."""

    # Reading -------------------------------------------------------------------------------

    async def snapshot(self, org_id: str) -> Snapshot | None:
        """The organization as its log stands now (every change written before this call is
        in it), or None when there is no such organization."""
        entry = self._entry(org_id)
        asked = entry.started
        # A catch-up that started before this call may have read the log before a write this
        # caller already saw acknowledged: wait for one that starts later.
        while entry.finished <= asked:
            if entry.running is None:
                await self._run(org_id, entry)
            else:
                await asyncio.shield(entry.running)
        self._touch(org_id)
        return entry.snapshot

    async def check_ins(
        self, held: Snapshot, key_result_ids: Sequence[str]
    ) -> dict[str, tuple[CheckIn, ...]]:
        """The check-ins of key results of `held` (a snapshot this read model gave), newest
        first: those read before at its position at once, the others in one store read, then
        kept with the snapshot (and carried forward by the log's changes) when the store held
        every change up to its position when asked and the size bound allows."""
        history = held.history
        found = {k: v for k in key_result_ids if (v := history.get(k)) is not None}
        missing = [k for k in dict.fromkeys(key_result_ids) if k not in found]
        if not missing:
            return found
        entry = self._entries.get(held.org_id)
        # A change of this process not yet applied to the documents would be missing from
        # what the store answers, and nothing would bring it in later.
        complete = entry is not None and not any(
            s <= held.position for s in (*entry.writing, *entry.unapplied)
        )
        read: dict[str, list[CheckIn]] = {k: [] for k in missing}
        for c in await self.store.list_check_ins(held.org_id, missing):
            read[c.key_result_id].append(c)
        if complete and history.count + sum(map(len, read.values())) <= self.check_in_capacity:
            history.hold(read)
            self._bound_check_ins(held.org_id)
            found.update({k: history.get(k) or () for k in missing})
        else:
            found.update({k: newest_first(v) for k, v in read.items()})
        return found

    def held_check_ins(self) -> int:
        """How many check-ins the snapshots held now keep."""
        return sum(e.snapshot.history.count for e in self._entries.values() if e.snapshot)

    def _bound_check_ins(self, keep: str) -> None:
        """Forget the check-ins of the least recently used organizations (other than `keep`)
        while more than `check_in_capacity` are held."""
        surplus = self.held_check_ins() - self.check_in_capacity
        for org_id, entry in self._entries.items():
            if surplus <= 0:
                return
            if org_id != keep and entry.snapshot is not None:
                surplus -= entry.snapshot.history.clear()

    def settled(self, held: Snapshot, settled: Snapshot) -> None:
        """`settled` is `held` with every upcoming check-in counted (their time has come): hold
        it instead, with what it has made, so that later readers need not settle it again."""
        entry = self._entries.get(held.org_id)
        if entry is not None and entry.snapshot is held and not settled.ahead():
            entry.snapshot = settled

    def held(self, org_id: str) -> Snapshot | None:
        """The snapshot held now, without reading the log (None when none is held)."""
        entry = self._entries.get(org_id)
        return entry.snapshot if entry is not None else None

    async def organization_id(self, slug: str) -> str | None:
        """The id of the organization with this slug (slugs never change, so once found it is
        kept); None when there is none."""
        found = self._slugs.get(slug)
        if found is not None:
            self._slugs.move_to_end(slug)
            return found
        org = await self.store.get_organization_by_slug(slug)
        if org is None:
            return None
        self.remember_slug(org)
        return org.id

    def remember_slug(self, org: Organization) -> None:
        """Keep an organization's slug (its creator knows it before the documents do)."""
        self._slugs[org.slug] = org.id
        self._slugs.move_to_end(org.slug)
        while len(self._slugs) > max(self.capacity, 1) * 4:
            self._slugs.popitem(last=False)

    # Writing through ------------------------------------------------------------------------

    def writing(self, org_id: str, sequence: int) -> None:
        """A writer of this process appended change `sequence` and is applying it: catching up
        meanwhile need not apply it too."""
        self._entry(org_id).writing.add(sequence)

    def written(self, org_id: str, change: Change, *, applied: bool) -> Snapshot | None:
        """A writer of this process wrote `change` (applied to the documents, or not: then the
        next catch-up tries again). The snapshot follows it when it held the position before;
        otherwise the next read catches up from the log."""
        entry = self._entry(org_id)
        entry.writing.discard(change.sequence)
        if not applied:
            entry.unapplied.add(change.sequence)
        current = entry.snapshot
        if current is not None and current.position == change.sequence - 1:
            self._advance(entry, current, change)
        elif current is None and change.sequence == 1:
            created = _created(change)
            if created is not None:
                entry.snapshot = Snapshot.empty(created).applied(change)
                self.applied += 1
        return entry.snapshot

    # Following ------------------------------------------------------------------------------

    def follow(self, org_id: str, listener: Listener) -> None:
        """Tell `listener` of every change applied to the organization from now on, one by
        one; a followed organization is never evicted nor loaded again past changes."""
        self._entry(org_id).listeners.append(listener)

    def unfollow(self, org_id: str, listener: Listener) -> None:
        """Stop telling `listener`."""
        entry = self._entries.get(org_id)
        if entry is not None and listener in entry.listeners:
            entry.listeners.remove(listener)

    async def catch_up(self, org_id: str) -> Snapshot | None:
        """Bring the organization forward to its log (what a notice of a new change asks)."""
        return await self.snapshot(org_id)

    def followed(self) -> list[str]:
        """The organizations someone follows."""
        return [org_id for org_id, entry in self._entries.items() if entry.listeners]

    # Inside ---------------------------------------------------------------------------------

    def _entry(self, org_id: str) -> _Entry:
        entry = self._entries.get(org_id)
        if entry is None:
            entry = self._entries[org_id] = _Entry()
            self._evict()
        return entry

    def _touch(self, org_id: str) -> None:
        if org_id in self._entries:
            self._entries.move_to_end(org_id)

    def _evict(self) -> None:
        surplus = len(self._entries) - self.capacity
        for org_id in list(self._entries):
            if surplus <= 0:
                break
            entry = self._entries[org_id]
            if entry.listeners or entry.running is not None or entry.unapplied:
                continue
            del self._entries[org_id]
            surplus -= 1

    async def _run(self, org_id: str, entry: _Entry) -> None:
        entry.started += 1
        number = entry.started
        running = entry.running = asyncio.get_running_loop().create_future()
        try:
            await self._catch_up(org_id, entry)
        except BaseException as error:
            running.set_exception(error)
            running.exception()  # retrieved here: the waiters raise it themselves
            raise
        else:
            running.set_result(None)
        finally:
            entry.running = None
            entry.finished = max(entry.finished, number)

    async def _catch_up(self, org_id: str, entry: _Entry) -> None:
        await self._apply_unapplied(entry)
        current = entry.snapshot
        now = asyncio.get_running_loop().time()
        if current is None or (not entry.listeners and now - entry.checked > STALE_AFTER):
            entry.snapshot = await self._load(org_id)
        else:
            await self._read_log(org_id, entry, current)
        entry.checked = now

    async def _read_log(self, org_id: str, entry: _Entry, current: Snapshot) -> None:
        read = 0
        while True:
            found = await self.store.changes_after(org_id, current.position, limit=PAGE)
            read += len(found)
            if len(found) == PAGE and not entry.listeners and read >= RELOAD_AFTER:
                entry.snapshot = await self._load(org_id)
                return
            for change in found:
                await self._roll_forward(entry, change)
                current = self._advance(entry, current, change)
            if len(found) < PAGE:
                return

    async def _apply_unapplied(self, entry: _Entry) -> None:
        """Changes this process wrote but could not apply: applied now, in order."""
        current = entry.snapshot
        if not entry.unapplied or current is None:
            return
        for sequence in sorted(entry.unapplied):
            pending = await self.store.changes_after(current.org_id, sequence - 1, limit=1)
            if pending and pending[0].sequence == sequence and not pending[0].applied:
                await self.store.apply(pending[0])
            entry.unapplied.discard(sequence)

    async def _roll_forward(self, entry: _Entry, change: Change) -> None:
        if not change.applied and change.sequence not in entry.writing:
            logger.info("applying change %s, which its writer left unapplied", change.id)
            await self.store.apply(change)

    def _advance(self, entry: _Entry, current: Snapshot, change: Change) -> Snapshot:
        after = current.applied(change)
        entry.snapshot = after
        self.applied += 1
        for listener in list(entry.listeners):
            try:
                listener(current, after, change)
            except Exception:
                logger.exception("a follower of %s failed on change %s", change.org_id, change.id)
        return after

    async def _load(self, org_id: str) -> Snapshot | None:
        """The organization from its documents, at the end of its log: the newest change is
        applied first (only the newest can be left unapplied: every writer applies what it
        finds before writing), then the documents are read, then every change written
        meanwhile is applied again over them (whole puts and deletes: applying twice is
        harmless)."""
        self.loads += 1
        newest = await self.store.last_change(org_id)
        if newest is not None and not newest.applied:
            await self.store.apply(newest)
        documents = await self.store.load_organization(org_id)
        if documents is None:
            return None
        loaded = Snapshot.of(newest.sequence if newest is not None else 0, documents)
        self.remember_slug(loaded.organization)
        while True:
            found = await self.store.changes_after(org_id, loaded.position, limit=PAGE)
            for change in found:
                loaded = loaded.applied(change)
            if len(found) < PAGE:
                return loaded


def _created(change: Change) -> Organization | None:
    """The organization a first change creates, if it does."""
    from service.store import documents as d
    from service.store.reads import ORGS

    for put in change.puts(ORGS):
        return d.organization_of(put.doc)
    return None
