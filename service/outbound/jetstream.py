"""Every change of every organization, published to NATS JetStream from the change log.

`NatsPublisher` runs in every instance. For each organization it holds the store lease of
(`nats:<org>`), it reads the log after the organization's published position and publishes one
message per change, in sequence order, to `<prefix>.<org>.progress`: the change's CloudEvent
(`service.outbound.message`), with `Nats-Msg-Id` = `<org>:<sequence>` so that JetStream drops a
message it has already stored (a publish whose acknowledgement was lost, sent again). The
position is saved in the store after each acknowledged batch; on taking a lease the publisher
also asks JetStream for the subject's last message and starts after whichever is further, so a
restart never publishes a change twice, and a NATS outage loses nothing: the log keeps the
changes until the publisher gets through.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import re
import time
from collections.abc import Iterable

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext

from service.domain.errors import StoreUnavailable
from service.events.stream import ResumeTooOld
from service.outbound.feed import Feeds
from service.outbound.lease import Leases, stop, woken
from service.outbound.message import Naming, cloud_event, event_type_of
from service.outbound.model import Position
from service.readmodel import ReadModel
from service.store.interface import Store

logger = logging.getLogger(__name__)

SEQUENCE_HEADER = "Okrgraph-Sequence"
"""The change's sequence, on every message (also in the CloudEvent)."""
BATCH = 200
"""Changes published between two saves of the position."""
POLL = 1.0
"""Seconds between reads of every organization's log (between them, only the organizations a
notice named are read)."""
PARALLEL = 16
"""Organizations published at once."""
RETRY = 2.0
"""Seconds before trying again after NATS or the store failed."""
_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def subject_token(org_id: str) -> str:
    """The organization's id as one subject token (ids with other characters are encoded)."""
    if _SAFE.match(org_id):
        return org_id
    return "b64-" + base64.urlsafe_b64encode(org_id.encode()).decode().rstrip("=")


def message_id(org_id: str, sequence: int) -> str:
    """JetStream's de-duplication id of a change's message."""
    return f"{org_id}:{sequence}"


class NatsPublisher:
    """Publishes the organizations' logs to JetStream (see the module's doc)."""

    def __init__(
        self,
        store: Store,
        reads: ReadModel,
        *,
        url: str,
        naming: Naming,
        prefix: str = "okrgraph",
        stream: str = "OKRGRAPH",
        leases: Leases | None = None,
        poll: float = POLL,
        batch: int = BATCH,
    ) -> None:
        self.store = store
        self.reads = reads
        self.url = url
        self.naming = naming
        self.prefix = prefix
        self.stream = stream
        self.leases = leases or Leases(store)
        self.poll = poll
        self.batch = batch
        self._client: Client | None = None
        self._js: JetStreamContext | None = None
        self._feeds = Feeds(store, reads)
        self._positions: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._noticed: set[str] = set()
        self.published = 0
        """Messages acknowledged by JetStream since the start."""

    def subject(self, org_id: str) -> str:
        """Where an organization's changes are published."""
        return f"{self.prefix}.{subject_token(org_id)}.progress"

    async def start(self) -> None:
        """Start publishing in the background (NATS need not be reachable yet)."""
        self._task = asyncio.create_task(self._run(), name="okrgraph-nats-publisher")

    async def close(self) -> None:
        """Stop, give the leases up and disconnect."""
        self._closed = True
        if self._task is not None:
            await stop([self._task])
            self._task = None
        await self.leases.release_all()
        client, self._client, self._js = self._client, None, None
        if client is not None:
            with contextlib.suppress(nats.errors.Error, OSError, TimeoutError):
                await client.close()

    def noticed(self, org_id: str, sequence: int) -> None:
        """A change was written (here or elsewhere): publish it without waiting for the poll."""
        self._feeds.noticed(org_id)
        self._noticed.add(org_id)
        self._wake.set()

    async def _run(self) -> None:
        scanned = 0.0
        while not self._closed:
            self._wake.clear()
            noticed, self._noticed = self._noticed, set()
            try:
                js = await self._jetstream()
                if time.monotonic() - scanned >= self.poll:
                    # Every organization now and then: a notice can be lost (a bus away).
                    scanned = time.monotonic()
                    await self._publish_all(js)
                else:
                    await self._publish_each(js, noticed)
            except (nats.errors.Error, OSError, TimeoutError) as error:
                logger.warning("publishing to NATS waits: %s", error)
                self._noticed |= noticed
                await self._reset()
                await asyncio.sleep(RETRY)
                continue
            except StoreUnavailable as error:
                logger.info("publishing to NATS waits for the store: %s", error)
                self._noticed |= noticed
                await asyncio.sleep(RETRY)
                continue
            await woken(self._wake, self.poll)

    async def _jetstream(self) -> JetStreamContext:
        if self._js is not None and self._client is not None and self._client.is_connected:
            return self._js
        await self._reset()
        client = await nats.connect(
            self.url, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False
        )
        js = client.jetstream(timeout=5)
        try:
            await js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            await js.add_stream(name=self.stream, subjects=[f"{self.prefix}.*.progress"])
        self._client, self._js = client, js
        return js

    async def _reset(self) -> None:
        """Forget the connection and every position (they are read again on reconnecting)."""
        client, self._client, self._js = self._client, None, None
        self._positions.clear()
        if client is not None:
            with contextlib.suppress(nats.errors.Error, OSError, TimeoutError):
                await client.close()

    async def _publish_all(self, js: JetStreamContext) -> None:
        after: str | None = None
        while True:
            page = await self.store.list_organizations(after=after, limit=500)
            await self._publish_each(js, [org.id for org in page.items])
            if not page.has_next or not page.items:
                return
            after = page.items[-1].id

    async def _publish_each(self, js: JetStreamContext, org_ids: Iterable[str]) -> None:
        """Publish the organizations side by side (each in its own order), `PARALLEL` at once:
        one organization's store calls do not wait for another's."""
        limit = asyncio.Semaphore(PARALLEL)

        async def one(org_id: str) -> None:
            async with limit:
                await self._publish(js, org_id)

        await asyncio.gather(*(one(org_id) for org_id in org_ids))

    async def _publish(self, js: JetStreamContext, org_id: str) -> None:
        name = f"nats:{org_id}"
        if not await self.leases.hold(name):
            self._positions.pop(org_id, None)
            return
        position = self._positions.get(org_id)
        if position is None:
            position = await self._start_position(js, org_id)
        feed = self._feeds.of(org_id)
        while self.leases.holds(name):
            try:
                items = await feed.after(position, limit=self.batch)
            except ResumeTooOld as gone:
                oldest = await self.store.first_sequence(org_id)
                if oldest is None or oldest - 1 <= position:
                    return
                logger.error(
                    "NATS skips changes %s..%s of %s: %s", position + 1, oldest - 1, org_id, gone
                )
                position = oldest - 1
                continue
            if not items:
                break
            subject = self.subject(org_id)
            for item in items:
                sequence = item.change.sequence
                body = cloud_event(item, event_type=event_type_of(item), naming=self.naming)
                await js.publish(
                    subject,
                    json.dumps(body, separators=(",", ":")).encode(),
                    headers={
                        "Nats-Msg-Id": message_id(org_id, sequence),
                        SEQUENCE_HEADER: str(sequence),
                    },
                )
                self.published += 1
                position = sequence
                self._positions[org_id] = position
            await self.store.save_position(name, Position(position))
            if len(items) < self.batch or not await self.leases.hold(name):
                break  # at the log's head (or no longer this instance's to publish)
        self._positions[org_id] = position

    async def _start_position(self, js: JetStreamContext, org_id: str) -> int:
        """Where publishing resumes: after the saved position, or after the subject's last
        message when JetStream got further (the position was not saved in time)."""
        saved = await self.store.get_position(f"nats:{org_id}")
        position = saved.position if saved is not None else 0
        try:
            last = await js.get_last_msg(self.stream, self.subject(org_id))
        except nats.js.errors.NotFoundError:
            return position
        headers = last.headers or {}
        published = headers.get(SEQUENCE_HEADER)
        if published is not None and published.isdigit():
            position = max(position, int(published))
        return position
