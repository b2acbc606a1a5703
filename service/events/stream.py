"""Progress events from the change log, for this process's subscribers.

Every change to an organization is in its log; the read model applies the log in order, and
`EventStream` follows the organizations someone here subscribes to: for each change applied it
works out how every scope the change touched moved (`service.readmodel.scopes.moves`, at the
change's whole second, so every instance computes the same event) and hands the event to the
organization's subscribers. A change written here is applied at once; one written on another
instance arrives when this instance reads the log: on a notice from the bus (Redis carries log
positions, not events), or at the next poll, which also covers a bus that is away. Either way
each subscriber gets every change that moved anything, in sequence order, once.

A subscriber may resume after the last sequence it saw (`after`): the changes since are
replayed first, from the events kept in memory or, further back, from the log itself (the
snapshot read backwards, change by change), then it goes live. A position the log no longer
keeps is refused with `ResumeTooOld`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator

from service.domain.errors import StoreUnavailable
from service.events.bus import NoticeBus
from service.events.due import before_and_after_due
from service.events.event import Event
from service.events.reminders import notices_of
from service.events.subscription import Fanout, Subscription
from service.okrs.due_changes import ARRIVAL, EXPIRY
from service.readmodel import ReadModel, Snapshot
from service.readmodel.scopes import moves, scopes_of_key_result, unevaluated, whole_second
from service.store.interface import Store
from service.store.reads import CHECK_INS, REMINDERS
from service.store.records import Change

logger = logging.getLogger(__name__)

KEPT = 256
"""Changes whose events are kept in memory per followed organization, for resuming."""
POLL = 5.0
"""Seconds between reads of the logs of followed organizations (a safety net for notices)."""
POLL_DEGRADED = 1.0
"""The same while the bus cannot carry notices."""


class ResumeTooOld(Exception):
    """The log no longer holds the changes after the position a subscriber resumes from."""


def event_of(before: Snapshot, after: Snapshot, change: Change) -> Event | None:
    """The event of one change: the progress it moved, or the check-in due notice it wrote
    (None when it did neither)."""
    if any(change.puts(REMINDERS)):
        return _due_event(after, change)
    cause = next((p.id for p in change.puts(CHECK_INS)), None)
    if change.kind in (EXPIRY, ARRIVAL):
        # What came due already counts at the change's instant in the snapshot before it: the
        # event compares the organization without it and with it (`service.events.due`).
        compared = before_and_after_due(after, change)
        if compared is None:
            return None
        before, after = compared.before, compared.after
        cause = compared.cause
    moved = moves(before, after, change)
    if not moved:
        return None
    return Event.from_changes(
        org_id=change.org_id,
        sequence=change.sequence,
        at=change.at,
        key_result_id=(change.node_id or "") if change.node_type == "KeyResult" else "",
        changes=moved,
        cause_check_in_id=cause if change.kind in ("checkInCreate", ARRIVAL) else None,
    )


def _due_event(after: Snapshot, change: Change) -> Event | None:
    """The event of a check-in due notice: the key result and every scope that holds it."""
    key_result = after.key_results.get(change.node_id or "")
    if key_result is None:
        return None
    scopes = tuple((str(s.kind), s.id) for s in scopes_of_key_result(after, key_result))
    return Event(
        org_id=change.org_id,
        sequence=change.sequence,
        at=change.at,
        key_result_id=key_result.id,
        due=notices_of(change, scopes),
    )


class _Followed:
    """One organization this process follows: its subscribers' recent events, and the changes
    whose events wait for a large year's evaluation (`waiting`, in order, worked by `working`)."""

    def __init__(self) -> None:
        self.recent: deque[tuple[int, Event | None]] = deque(maxlen=KEPT)
        self.catching_up: asyncio.Task[None] | None = None
        self.waiting: deque[tuple[Snapshot, Snapshot, Change]] = deque()
        self.working: asyncio.Task[None] | None = None


class EventStream:
    """Events of the organizations this process's subscribers watch (see the module's doc)."""

    def __init__(
        self, reads: ReadModel, store: Store, bus: NoticeBus | None = None, *, poll: float = POLL
    ) -> None:
        self.reads = reads
        self.store = store
        self.bus = bus
        self.poll = poll
        self._fanout = Fanout()
        self._followed: dict[str, _Followed] = {}
        self._poller: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self) -> None:
        """Listen to the bus's notices and start polling the followed organizations."""
        if self.bus is not None:
            self.bus.listen(self.noticed)
        self._poller = asyncio.create_task(self._poll(), name="okrgraph-event-poll")

    def end_subscriptions(self) -> None:
        """End every subscription (each gets its `complete`); the stream goes on."""
        self._fanout.finish_all()

    async def close(self) -> None:
        """End every subscription and stop."""
        self._closed = True
        self._fanout.finish_all()
        tasks = [t for t in (self._poller,) if t is not None]
        tasks += [f.catching_up for f in self._followed.values() if f.catching_up is not None]
        tasks += [f.working for f in self._followed.values() if f.working is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for org_id in list(self._followed):
            self._unfollow(org_id)

    def subscribe(
        self,
        org_id: str,
        *,
        after: int | None = None,
        max_queued: int = 100,
        scope: str | None = None,
    ) -> Subscription:
        """The organization's events from now on (after the change `after`, when given, with
        the changes since replayed first); with `scope`, only the live ones that moved that
        scope. Enter it (`async with`) to start receiving; entering raises ResumeTooOld when
        the log no longer reaches back to `after`."""
        return Subscription(
            org_id,
            max_queued=max_queued,
            attach=lambda s: self._attach(s, after),
            detach=self._detach,
            scope=scope,
        )

    def noticed(self, org_id: str, sequence: int) -> None:
        """Another instance wrote change `sequence`: read the log, if it concerns us."""
        followed = self._followed.get(org_id)
        held = self.reads.held(org_id)
        if followed is None or (held is not None and held.position >= sequence):
            return
        self._catch_up(org_id, followed)

    # Subscribers ----------------------------------------------------------------------------

    async def _attach(self, subscription: Subscription, after: int | None) -> None:
        if self._closed:
            raise RuntimeError("the event stream is closed")
        org_id = subscription.org_id
        if await self.reads.snapshot(org_id) is None:
            return
        # No await from here to `add`: every change applied from now on reaches the subscriber
        # live, and everything up to `here` is the replay's.
        self._follow(org_id)
        here = self.reads.held(org_id)
        self._fanout.add(subscription)
        if after is None or here is None:
            subscription.start_after(here.position if here is not None else 0)
            return
        if after > here.position:
            raise ResumeTooOld(
                f"afterSequence {after} is ahead of the organization's log ({here.position})"
            )
        subscription.replay(await self._replay(org_id, after, here), up_to=here.position)

    def _detach(self, subscription: Subscription) -> None:
        if self._fanout.remove(subscription):
            self._unfollow(subscription.org_id)

    def _follow(self, org_id: str) -> None:
        if org_id not in self._followed:
            self._followed[org_id] = _Followed()
            self.reads.follow(org_id, self._changed)

    def _unfollow(self, org_id: str) -> None:
        followed = self._followed.pop(org_id, None)
        self.reads.unfollow(org_id, self._changed)
        if followed is not None and followed.catching_up is not None:
            followed.catching_up.cancel()
        if followed is not None and followed.working is not None:
            followed.working.cancel()

    def _changed(self, before: Snapshot, after: Snapshot, change: Change) -> None:
        followed = self._followed.get(change.org_id)
        if followed is None:
            return
        if followed.waiting or unevaluated(before, after, change):
            # A large year is evaluated in a worker thread first (and every later change of
            # the organization waits its turn): the event loop goes on serving meanwhile.
            followed.waiting.append((before, after, change))
            if followed.working is None or followed.working.done():
                followed.working = asyncio.create_task(self._work(followed))
            return
        self._announce(followed, event_of(before, after, change), change)

    def _announce(self, followed: _Followed, event: Event | None, change: Change) -> None:
        followed.recent.append((change.sequence, event))
        if event is not None:
            self._fanout.deliver(change.org_id, event)

    async def _work(self, followed: _Followed) -> None:
        """The events of the waiting changes, in order, each year evaluated off the loop."""
        while followed.waiting:
            before, after, change = followed.waiting[0]
            instant = whole_second(change.at)
            for year in unevaluated(before, after, change):
                await year.evaluated_soon(instant)
            followed.waiting.popleft()
            self._announce(followed, event_of(before, after, change), change)

    async def _replay(self, org_id: str, after: int, here: Snapshot) -> list[Event]:
        """The events of the changes after `after` up to `here`: kept, or worked out again from
        the log."""
        if after == here.position:
            return []  # the subscriber saw everything: nothing to replay
        followed = self._followed.get(org_id)
        if followed is not None and followed.recent:
            kept = [(s, e) for s, e in followed.recent if after < s <= here.position]
            first = followed.recent[0][0]
            if first <= after + 1 and (not kept or kept[-1][0] == here.position):
                return [e for _, e in kept if e is not None]
        changes: list[Change] = []
        position = after
        while position < here.position:
            found = await self.store.changes_after(org_id, position, limit=500)
            found = [c for c in found if c.sequence <= here.position]
            if not found:
                break
            changes += found
            position = found[-1].sequence
        if not changes or changes[0].sequence != after + 1 or position != here.position:
            oldest = await self.store.first_sequence(org_id)
            raise ResumeTooOld(
                f"the log keeps changes from {oldest} on; afterSequence {after} is older: "
                "query the current state and subscribe again"
            )
        # Read backwards from `here` to the position after `after`, then forwards, change by
        # change: the events are the ones the changes made.
        states = [here]
        for change in reversed(changes):
            states.append(states[-1].reverted(change))
        states.reverse()
        made = [event_of(states[i], states[i + 1], c) for i, c in enumerate(changes)]
        return [e for e in made if e is not None]

    # Catching up ----------------------------------------------------------------------------

    def _catch_up(self, org_id: str, followed: _Followed) -> None:
        if followed.catching_up is not None and not followed.catching_up.done():
            return
        followed.catching_up = asyncio.create_task(self._read_log(org_id))

    async def _read_log(self, org_id: str) -> None:
        try:
            await self.reads.catch_up(org_id)
        except StoreUnavailable as error:
            logger.info("could not read the log of %s: %s", org_id, error)

    async def _poll(self) -> None:
        while True:
            healthy = self.bus is None or self.bus.health().ok
            await asyncio.sleep(self.poll if healthy else min(self.poll, POLL_DEGRADED))
            for org_id, followed in list(self._followed.items()):
                self._catch_up(org_id, followed)


@contextlib.asynccontextmanager
async def listening(stream: EventStream, org_id: str) -> AsyncIterator[Subscription]:
    """A subscription to an organization's live events (for tests and tools)."""
    async with stream.subscribe(org_id) as subscription:
        yield subscription
