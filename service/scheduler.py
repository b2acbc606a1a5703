"""The scheduler of what time makes due (issue 19), from exactly one instance at a time: a
`checkInDue` notice for each key result as it becomes due a check-in, the expiry of an
objective's progress override, and the arrival of a check-in dated a little ahead
(`service.okrs.due_changes`).

The instance that holds the `reminders` lease in the store (see `service.outbound.lease`: taken
for 15 s, renewed while it runs, free again 15 s after its holder died) reads each organization
as it stands and writes what is due now, each one change in the organization's log whose dedup
key names what came due (the key result and the instant it became due; the objective and its
override's expiry; the check-in), so whatever happens (two instances that both believe they
hold the lease for a moment, a restart in the middle of a pass), each is written once: a second
attempt finds the first in the log and writes nothing.

When: a pass runs every `interval` seconds (OKRGRAPH_REMINDER_INTERVAL, 60 by default), or
sooner when something is known to come due before then (an override's expiry, a check-in's
time), at that instant, though never sooner than `SOONEST` seconds after the last pass: an
expiry or an arrival is announced within about a second of its time, not up to a minute late.

Scale: a pass does not read through the shared read model (its least-recently-used
organizations are the ones requests need; a pass over every organization would push them out):
it has a read model of its own, of `capacity` organizations, which nothing settles (it holds
each key result's upcoming check-ins as written). It remembers for each organization the log
position it read and the next instant anything of it can come due, and skips an organization
whose log has not moved until then (one store call). A pass writes at most `batch` changes; the
rest are written by the next pass, which then comes at once (after `SOONEST`).

A key result that became due longer ago than `window` (the log's retention, which is what lets
an attempt find the first one) and was never announced (the service was down all that time) is
listed by `Organization.checkInsDue` but not announced late.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from service.domain import arrivals
from service.domain import override as o
from service.domain.errors import StoreUnavailable
from service.domain.reminders import due_at
from service.okrs.commit import Writer
from service.okrs.due_changes import arrival_dedup, expiry_dedup, note_arrival, note_expiry
from service.okrs.reminders import notice_dedup, notify_due
from service.outbound.lease import Leases, stop, utc_now, woken
from service.readmodel import ReadModel, Snapshot
from service.readmodel.reminders import due_in
from service.store.interface import Store

logger = logging.getLogger(__name__)

LEASE = "reminders"
"""The store lease whose holder writes the notices."""
INTERVAL = 60.0
"""Seconds between two passes."""
PAGE = 500
"""Organizations read from the store at once."""
REMEMBERED = 100_000
"""Changes this process remembers as written, so that it does not ask the log about them
again on every pass."""
SOONEST = 1.0
"""The fewest seconds between two passes."""
BATCH = 1000
"""The most changes one pass writes."""
CAPACITY = 64
"""Organizations the scheduler's own read model holds."""


@dataclass(frozen=True, slots=True)
class _Seen:
    """An organization as the last pass left it: its log position, and the next instant
    anything of it comes due (None: nothing will, as it stands)."""

    position: int
    next_due: datetime | None


class ReminderScheduler:
    """Writes what time makes due (see the module's doc)."""

    def __init__(
        self,
        store: Store,
        reads: ReadModel,
        writer: Writer,
        *,
        leases: Leases | None = None,
        interval: float = INTERVAL,
        window: timedelta = timedelta(days=7),
        clock: Callable[[], datetime] = utc_now,
        capacity: int = CAPACITY,
        batch: int = BATCH,
    ) -> None:
        self.store = store
        self.reads = reads
        """The shared read model: told of a change written to an organization it holds, so
        that this instance's subscribers hear it at once; never asked to read one."""
        self.own = ReadModel(store, capacity=capacity)
        """The scheduler's own read model (see the module's doc)."""
        self.writer = writer.scoped(store, self.own)
        self.leases = leases if leases is not None else Leases(store, clock=clock)
        self.interval = interval
        self.window = window
        self.clock = clock
        self.batch = batch
        self.written = 0
        """Changes this instance wrote."""
        self.next_due: datetime | None = None
        """The earliest instant the last pass knows something comes due."""
        self._left = batch
        self._seen: dict[str, _Seen] = {}
        self._known: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Run passes in the background (see the module's doc for when)."""
        self._task = asyncio.create_task(self._run(), name="okrgraph-reminders")

    async def close(self) -> None:
        """Stop, and give the lease up so that another instance takes over at once."""
        self._stopping.set()
        if self._task is not None:
            await stop([self._task])
            self._task = None
        await self.leases.release_all()

    def wait(self) -> float:
        """Seconds until the next pass: the interval, or less when something comes due sooner
        (or the last pass left work over), never less than `SOONEST`."""
        wait = self.interval
        if self._left <= 0:
            wait = 0.0
        elif self.next_due is not None:
            wait = min(wait, (self.next_due - self.clock()).total_seconds())
        return max(min(SOONEST, self.interval), wait)

    async def _run(self) -> None:
        # The first pass waits an interval too: an instance that starts (or restarts) does not
        # race the holder for the lease while it is still being renewed.
        await woken(self._stopping, self.interval)
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except StoreUnavailable as error:
                logger.info("check-in reminders wait for the store: %s", error)
            await woken(self._stopping, self.wait())

    async def run_once(self) -> int:
        """One pass, when this instance holds the lease (else nothing): everything due and not
        yet written is written, up to `batch` changes. Returns how many this pass wrote."""
        self._left = self.batch
        self.next_due = None
        if not await self.leases.hold(LEASE):
            return 0
        count = 0
        after: str | None = None
        while True:
            page = await self.store.list_organizations(after=after, limit=PAGE)
            for org in page.items:
                # Renewed as it goes; a holder that lost the lease stops before the next one.
                if self._left <= 0 or not await self.leases.hold(LEASE):
                    return count
                count += await self._organization(org.id)
            if not page.has_next or not page.items:
                return count
            after = page.items[-1].id

    async def _organization(self, org_id: str) -> int:
        now = self.clock()
        seen = self._seen.get(org_id)
        if seen is not None and (seen.next_due is None or now < seen.next_due):
            last = await self.store.last_change(org_id)
            if last is not None and last.sequence == seen.position:
                self._soonest(seen.next_due)
                return 0
        snapshot = await self.own.snapshot(org_id)
        if snapshot is None:
            return 0
        count = await self._notices(snapshot, now)
        count += await self._expiries(snapshot, now)
        count += await self._arrivals(snapshot, now)
        self.written += count
        # As this pass leaves it (its own writes included: a write by anybody else moves the
        # log past it, and the next pass reads the organization again).
        held = self.own.held(org_id) if count else snapshot
        if self._left <= 0 or held is None:
            self._seen.pop(org_id, None)  # the batch may have left some over: read it again
            self._soonest(now)
        else:
            upcoming = next_due(held, now)
            self._seen[org_id] = _Seen(held.position, upcoming)
            self._soonest(upcoming)
        if count and self.reads.held(org_id) is not None:
            await self.reads.catch_up(org_id)  # this instance's subscribers hear it now
        return count

    def _soonest(self, at: datetime | None) -> None:
        if at is not None and (self.next_due is None or at < self.next_due):
            self.next_due = at

    async def _notices(self, snapshot: Snapshot, now: datetime) -> int:
        count = 0
        org_id = snapshot.org_id
        for due in due_in(snapshot.at(now), now=now):
            dedup = notice_dedup(org_id, due.key_result_id, due.since)
            if due.since < now - self.window or dedup in self._known or self._left <= 0:
                continue
            wrote = await notify_due(
                writer=self.writer,
                org_id=org_id,
                key_result_id=due.key_result_id,
                due=due.since,
                now=now,
            )
            count += self._did(dedup, wrote)
        return count

    async def _expiries(self, snapshot: Snapshot, now: datetime) -> int:
        count = 0
        org_id = snapshot.org_id
        for objective in snapshot.objectives.values():
            for expired in o.due_expiries(objective.overrides, now):
                assert expired.expires_at is not None  # an expiry has an instant
                dedup = expiry_dedup(org_id, objective.id, expired.expires_at)
                if expired.expires_at < now - self.window or dedup in self._known:
                    continue
                if self._left <= 0:
                    return count
                wrote = await note_expiry(
                    writer=self.writer,
                    org_id=org_id,
                    objective_id=objective.id,
                    expires_at=expired.expires_at,
                    now=now,
                )
                count += self._did(dedup, wrote)
        return count

    async def _arrivals(self, snapshot: Snapshot, now: datetime) -> int:
        count = 0
        org_id = snapshot.org_id
        for key_result in snapshot.ahead():
            # In the order they arrive: each is written once the one before it is.
            for check_in_id in arrivals.due_arrivals(key_result, now):
                dedup = arrival_dedup(org_id, check_in_id)
                if dedup in self._known:
                    continue
                if self._left <= 0:
                    return count
                wrote = await note_arrival(
                    writer=self.writer,
                    org_id=org_id,
                    key_result_id=key_result.id,
                    check_in_id=check_in_id,
                    now=now,
                )
                count += self._did(dedup, wrote)
        return count

    def _did(self, dedup: str, wrote: bool) -> int:
        """Count one attempt (against the batch) and remember it as done."""
        self._left -= 1
        if len(self._known) >= REMEMBERED:
            self._known.clear()
        self._known.add(dedup)
        return int(wrote)


def next_due(snapshot: Snapshot, now: datetime) -> datetime | None:
    """The next instant after `now` anything of the organization comes due as it stands: a key
    result due a check-in, an override's expiry, an upcoming check-in's time."""
    found: list[datetime] = []
    policy = snapshot.organization.policy
    for key_result in snapshot.key_results.values():
        cycle = snapshot.cycles.get(key_result.cycle_id)
        due = due_at(key_result.at(now), cycle, policy) if cycle is not None else None
        if due is not None and due > now:
            found.append(due)
        arriving = arrivals.next_arrival(key_result, now)
        if arriving is not None:
            found.append(arriving)
    for objective in snapshot.objectives.values():
        expiring = o.next_expiry(objective.overrides, now)
        if expiring is not None:
            found.append(expiring)
    return min(found, default=None)
