"""The check-in reminder scheduler: writes a `checkInDue` notice for each key result as it
becomes due a check-in (issue 19), from exactly one instance at a time.

Every `interval` seconds the instance that holds the `reminders` lease in the store (see
`service.outbound.lease`: taken for 15 s, renewed while it runs, free again 15 s after its
holder died) reads each organization as it stands and writes the notices of the key results due
now (`service.okrs.reminders.notify_due`). A notice is a change in the organization's log whose
dedup key is the key result and the instant it became due, so whatever happens (two instances
that both believe they hold the lease for a moment, a restart in the middle of a pass), each
notice is written once: a second attempt finds the first in the log and writes nothing.

A key result that became due longer ago than `window` (the log's retention, which is what lets
an attempt find the first one) and was never announced (the service was down all that time) is
listed by `Organization.checkInsDue` but not announced late.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from service.domain.errors import StoreUnavailable
from service.okrs.commit import Writer
from service.okrs.reminders import notice_dedup, notify_due
from service.outbound.lease import Leases, stop, utc_now, woken
from service.readmodel import ReadModel
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
"""Notices this process remembers as written, so that it does not ask the log about them
again on every pass."""


class ReminderScheduler:
    """Writes check-in due notices (see the module's doc)."""

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
    ) -> None:
        self.store = store
        self.reads = reads
        self.writer = writer
        self.leases = leases if leases is not None else Leases(store, clock=clock)
        self.interval = interval
        self.window = window
        self.clock = clock
        self.written = 0
        """Notices this instance wrote."""
        self._known: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Run a pass every `interval` seconds in the background."""
        self._task = asyncio.create_task(self._run(), name="okrgraph-reminders")

    async def close(self) -> None:
        """Stop, and give the lease up so that another instance takes over at once."""
        self._stopping.set()
        if self._task is not None:
            await stop([self._task])
            self._task = None
        await self.leases.release_all()

    async def _run(self) -> None:
        # The first pass waits an interval too: an instance that starts (or restarts) does not
        # race the holder for the lease while it is still being renewed.
        while True:
            await woken(self._stopping, self.interval)
            if self._stopping.is_set():
                return
            try:
                await self.run_once()
            except StoreUnavailable as error:
                logger.info("check-in reminders wait for the store: %s", error)

    async def run_once(self) -> int:
        """One pass, when this instance holds the lease (else nothing): every notice due and not
        yet written is written. Returns how many this pass wrote."""
        if not await self.leases.hold(LEASE):
            return 0
        count = 0
        after: str | None = None
        while True:
            page = await self.store.list_organizations(after=after, limit=PAGE)
            for org in page.items:
                # Renewed as it goes; a holder that lost the lease stops before the next one.
                if not await self.leases.hold(LEASE):
                    return count
                count += await self._organization(org.id)
            if not page.has_next or not page.items:
                return count
            after = page.items[-1].id

    async def _organization(self, org_id: str) -> int:
        snapshot = await self.reads.snapshot(org_id)
        if snapshot is None:
            return 0
        now = self.clock()
        count = 0
        for due in due_in(snapshot.at(now), now=now):
            dedup = notice_dedup(org_id, due.key_result_id, due.since)
            if due.since < now - self.window or dedup in self._known:
                continue
            wrote = await notify_due(
                writer=self.writer,
                org_id=org_id,
                key_result_id=due.key_result_id,
                due=due.since,
                now=now,
            )
            self._remember(dedup)
            count += wrote
        self.written += count
        return count

    def _remember(self, dedup: str) -> None:
        if len(self._known) >= REMEMBERED:
            self._known.clear()
        self._known.add(dedup)
