"""Webhook delivery from the change log: signed CloudEvents, retried, in order per endpoint.

`WebhookDeliverer` runs in every instance. Each endpoint is delivered by whichever instance
holds its store lease (`webhook:<id>`), in a task of its own, so a slow or failing endpoint
holds up nothing but itself: not other endpoints, and never a write (delivery reads the log,
the write does not wait for it).

An endpoint's task reads the log after the endpoint's saved position (`Feed`), skips changes
that moved none of its scopes, and sends each remaining one until the endpoint answers 2xx;
only then does it go on to the next, so an endpoint sees its messages in sequence order. A
failed attempt (an error, a timeout, a non-2xx answer, a redirect) is tried again after an
exponential backoff with jitter, until `RetryPolicy.give_up` (24 h) has passed since the first
attempt; the attempt that fails after that dead-letters the message, and the endpoint stops
there until `webhookRedeliver`. Every attempt of one message carries the same `webhook-id`, so
receivers can drop repeats: delivery is at least once (a lease handed over mid-attempt can send
a message again, never skip one).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx

from service.domain.errors import StoreUnavailable
from service.events.stream import ResumeTooOld
from service.outbound.feed import Feeds, Item
from service.outbound.lease import Leases, stop, utc_now, woken
from service.outbound.message import Naming, cloud_event, event_type_of, wanted
from service.outbound.model import (
    TEST_EVENT,
    Delivery,
    DeliveryStatus,
    Position,
    Webhook,
    delivery_id,
)
from service.outbound.signing import signature
from service.outbound.targets import TargetRefused, Targets
from service.readmodel import ReadModel
from service.store.interface import Store

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/cloudevents+json"
USER_AGENT = "okrgraph-webhooks/1"
POLL = 1.0
"""Seconds between looks at the endpoints and their logs when no notice arrives."""
BATCH = 100
"""Changes read from the log at once per endpoint."""
DELIVERIES_KEPT = timedelta(days=7)
"""How long the record of a delivered message is kept (pending and dead-lettered ones stay)."""
PRUNE_EVERY = 500
"""Deliveries between two prunings of an endpoint's records (of the endpoint then sending)."""
GRACE = 2.0
"""Seconds an endpoint's task has on shutdown to finish the message it is sending."""
ERROR_TEXT = 500
"""Characters of an error kept with a delivery."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try a failed message again: after `first`, doubling each time up to `cap`,
    each delay drawn between half and all of it (jitter), until `give_up` has passed since the
    first attempt."""

    first: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(hours=1)
    give_up: timedelta = timedelta(hours=24)

    def delay(self, attempts: int, draw: Callable[[], float] = random.random) -> timedelta:
        """How long to wait after the `attempts`-th failed attempt."""
        full = min(self.cap, self.first * (1 << min(attempts - 1, 40)))
        return full * (0.5 + draw() / 2)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one HTTP attempt got: the status code (None when there was no answer)."""

    ok: bool
    code: int | None
    latency_ms: float
    error: str | None


class Sender:
    """Sends one signed message to an endpoint (shared by the deliverer and `webhookTest`)."""

    def __init__(
        self,
        targets: Targets,
        *,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.targets = targets
        self.timeout = timeout
        self.clock = clock
        self._client = client
        self._owned = client is None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                timeout=self.timeout,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
                trust_env=False,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None and self._owned:
            await self._client.aclose()
            self._client = None

    async def send(self, webhook: Webhook, message_id: str, body: bytes) -> Attempt:
        """One attempt: check the target, sign, POST; never raises for the endpoint's faults."""
        started = time.perf_counter()
        try:
            target = await self.targets.check(webhook.url)
            now = self.clock()
            stamp = int(now.timestamp())
            headers = {
                "content-type": CONTENT_TYPE,
                "user-agent": USER_AGENT,
                "webhook-id": message_id,
                "webhook-timestamp": str(stamp),
                "webhook-signature": signature(message_id, stamp, body, webhook.secrets(now)),
            }
            if target.host is not None:
                headers["host"] = target.host
            extensions = {} if target.server_name is None else {"sni_hostname": target.server_name}
            response = await self._http().post(
                target.url, content=body, headers=headers, extensions=extensions
            )
        except TargetRefused as refused:
            return Attempt(False, None, _since(started), f"refused: {refused}"[:ERROR_TEXT])
        except httpx.HTTPError as error:
            text = f"{type(error).__name__}: {error}"
            return Attempt(False, None, _since(started), text[:ERROR_TEXT])
        code = response.status_code
        if 200 <= code < 300:
            return Attempt(True, code, _since(started), None)
        reason = "redirects are not followed" if 300 <= code < 400 else f"answered {code}"
        return Attempt(False, code, _since(started), reason)


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def encode(body: dict[str, object]) -> bytes:
    """A message's JSON body."""
    return json.dumps(body, separators=(",", ":")).encode()


def message_id(webhook_id: str, sequence: int) -> str:
    """The `webhook-id` of change `sequence`'s message to an endpoint (every attempt's)."""
    return f"msg_{webhook_id}_{sequence}"


def position_name(webhook_id: str) -> str:
    """The name of an endpoint's lease and saved position."""
    return f"webhook:{webhook_id}"


class WebhookDeliverer:
    """Delivers every endpoint this instance holds the lease of (see the module's doc)."""

    def __init__(
        self,
        store: Store,
        reads: ReadModel,
        sender: Sender,
        *,
        naming: Naming,
        leases: Leases | None = None,
        retry: RetryPolicy | None = None,
        poll: float = POLL,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.reads = reads
        self.sender = sender
        self.naming = naming
        self.leases = leases or Leases(store)
        self.retry = retry or RetryPolicy()
        self.poll = poll
        self.clock = clock
        self._hooks: dict[str, Webhook] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wakes: dict[str, asyncio.Event] = {}
        self._feeds = Feeds(store, reads)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.sent = 0
        """Messages endpoints accepted since the start."""

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="okrgraph-webhooks")

    async def close(self) -> None:
        """Stop: each endpoint's task finishes the message it is sending (for up to `GRACE`
        seconds, so its outcome and position are kept), then everything is cancelled."""
        self._closed = True
        for wake in self._wakes.values():
            wake.set()
        if self._task is not None:
            await stop([self._task])
        await stop(list(self._tasks.values()), grace=GRACE)
        self._task = None
        self._tasks.clear()
        await self.leases.release_all()
        await self.sender.close()

    def noticed(self, org_id: str, sequence: int) -> None:
        """A change was written: the endpoints of the organization look at the log now."""
        self._feeds.noticed(org_id)
        for hook in self._hooks.values():
            if hook.org_id == org_id and hook.id in self._wakes:
                self._wakes[hook.id].set()
        self._wake.set()

    def changed(self) -> None:
        """An endpoint was created, changed or deleted: look at the endpoints now."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._closed:
            self._wake.clear()
            try:
                await self._share_out()
            except StoreUnavailable as error:
                logger.info("webhook delivery waits for the store: %s", error)
            await woken(self._wake, self.poll)

    async def _share_out(self) -> None:
        """Take the leases of endpoints nobody delivers, and start a task for each."""
        found: dict[str, Webhook] = {}
        after: str | None = None
        while True:
            page = await self.store.all_webhooks(after=after, limit=500)
            found.update((h.id, h) for h in page)
            if len(page) < 500:
                break
            after = page[-1].id
        before, self._hooks = self._hooks, found
        for hook_id, task in list(self._tasks.items()):
            if task.done():
                del self._tasks[hook_id]
        for hook_id, wake in self._wakes.items():
            if before.get(hook_id) != found.get(hook_id):
                wake.set()  # the task sees the endpoint's new settings (or its deletion) now
        for hook in found.values():
            if hook.id in self._tasks:
                continue
            if await self.leases.hold(position_name(hook.id)):
                self._wakes[hook.id] = asyncio.Event()
                self._tasks[hook.id] = asyncio.create_task(
                    self._deliver(hook.id), name=f"okrgraph-webhook-{hook.id}"
                )

    async def _deliver(self, hook_id: str) -> None:
        name = position_name(hook_id)
        position: Position | None = None  # read from the store at first, then kept here
        try:
            while not self._closed and await self.leases.hold(name):
                hook = self._hooks.get(hook_id)
                if hook is None:
                    return
                wake = self._wakes[hook_id]
                wake.clear()
                try:
                    if position is None:
                        position = await self.store.get_position(name) or Position(hook.start_after)
                    worked, position = await self._step(hook, position)
                except StoreUnavailable as error:
                    logger.info("webhook %s waits for the store: %s", hook_id, error)
                    worked, position = False, None
                if not worked:
                    await woken(wake, self.poll)
        finally:
            self._wakes.pop(hook_id, None)
            await self.leases.release(name)

    async def _step(self, hook: Webhook, position: Position) -> tuple[bool, Position]:
        """Deliver what is due of one endpoint from `position`: whether anything was done,
        and the position reached (saved)."""
        name = position_name(hook.id)
        if hook.rewinds > position.rewinds:
            # webhookRedeliver asked to start again from a sequence (and to revive it).
            position = Position(max(hook.rewind_to - 1, 0), hook.rewinds)
            await self.store.save_position(name, position)
        if hook.dead:
            return False, position
        try:
            items = await self._feeds.of(hook.org_id).after(position.position, limit=BATCH)
        except ResumeTooOld as gone:
            oldest = await self.store.first_sequence(hook.org_id)
            if oldest is None or oldest - 1 <= position.position:
                return False, position
            logger.error("webhook %s skips changes the log no longer keeps: %s", hook.id, gone)
            position = replace(position, position=oldest - 1)
            await self.store.save_position(name, position)
            return True, position
        if not items:
            return False, position
        saved = position

        async def save() -> None:
            # Once per batch, and before waiting to retry: a position lost with the process
            # costs messages sent again (with their webhook-ids), never messages skipped.
            nonlocal saved
            if position != saved:
                await self.store.save_position(name, position)
                saved = position

        try:
            for item in items:
                due = wanted(item, hook.events, hook.scopes)
                if due and not await self._send(hook, item, save):
                    return True, position
                position = replace(position, position=item.change.sequence)
                if self._closed or not self.leases.holds(name) or self._stale(hook):
                    break
        finally:
            await save()
        return True, position

    def _stale(self, hook: Webhook) -> bool:
        """The endpoint changed or went since this step began."""
        return self._hooks.get(hook.id) != hook

    async def _send(
        self, hook: Webhook, item: Item, before_waiting: Callable[[], Awaitable[None]]
    ) -> bool:
        """Send one message until it is accepted (True); False when the endpoint was
        dead-lettered, changed, or this instance lost the lease meanwhile."""
        sequence = item.change.sequence
        body = encode(
            cloud_event(
                item,
                event_type=event_type_of(item),
                naming=self.naming,
                scopes=hook.scopes,
            )
        )
        msg_id = message_id(hook.id, sequence)
        first = self.clock()
        attempts = 0
        name = position_name(hook.id)
        while True:
            attempts += 1
            attempt = await self.sender.send(hook, msg_id, body)
            now = self.clock()
            status = DeliveryStatus.DELIVERED if attempt.ok else DeliveryStatus.PENDING
            wait = None if attempt.ok else self.retry.delay(attempts)
            if wait is not None and now - first >= self.retry.give_up:
                status, wait = DeliveryStatus.DEAD_LETTERED, None
            record = Delivery(
                id=delivery_id(hook.id, sequence),
                webhook_id=hook.id,
                org_id=hook.org_id,
                sequence=sequence,
                event_type=event_type_of(item).value,
                message_id=msg_id,
                status=status,
                attempts=attempts,
                first_attempt_at=first,
                last_attempt_at=now,
                response_code=attempt.code,
                latency_ms=attempt.latency_ms,
                error=attempt.error,
                next_attempt_at=None if wait is None else now + wait,
            )
            await self.store.put_delivery(hook.org_id, record)
            if attempt.ok:
                self.sent += 1
                if self.sent % PRUNE_EVERY == 0:
                    await self.store.prune_deliveries(
                        hook.org_id, hook.id, before=now - DELIVERIES_KEPT
                    )
                return True
            if status is DeliveryStatus.DEAD_LETTERED:
                logger.warning("webhook %s dead-lettered change %s", hook.id, sequence)
                current = await self.store.get_webhook(hook.org_id, hook.id)
                if current is not None:
                    await self.store.put_webhook(hook.org_id, replace(current, dead=True))
                    self._hooks[hook.id] = replace(current, dead=True)
                return False
            assert wait is not None
            await before_waiting()
            if not await self._pause(hook, name, wait):
                return False

    async def _pause(self, hook: Webhook, name: str, wait: timedelta) -> bool:
        """Wait before the next attempt, renewing the lease; False when the lease was lost or
        the endpoint changed (the task starts over with what is current)."""
        until = time.monotonic() + wait.total_seconds()
        wake = self._wakes.get(hook.id) or asyncio.Event()
        while (left := until - time.monotonic()) > 0:
            await woken(wake, min(left, max(self.leases.seconds / 4, 0.01)))
            wake.clear()
            if self._closed or not await self.leases.hold(name) or self._stale(hook):
                return False
        return True


async def send_test(sender: Sender, store: Store, hook: Webhook, *, test_id: str) -> Delivery:
    """Send the endpoint a test message now (once, not retried) and keep the delivery."""
    now = sender.clock()
    msg_id = f"msg_{hook.id}_test_{test_id}"
    organization = hook.org_id
    body = encode(
        {
            "specversion": "1.0",
            "id": f"{organization}:test:{test_id}",
            "source": f"/okrgraph/webhooks/{hook.id}",
            "type": TEST_EVENT,
            "time": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "data": {"webhookUrl": hook.url, "message": "okrgraph webhook test"},
        }
    )
    attempt = await sender.send(hook, msg_id, body)
    record = Delivery(
        id=f"{hook.id}:test:{test_id}",
        webhook_id=hook.id,
        org_id=hook.org_id,
        sequence=0,
        event_type=TEST_EVENT,
        message_id=msg_id,
        status=DeliveryStatus.DELIVERED if attempt.ok else DeliveryStatus.FAILED,
        attempts=1,
        first_attempt_at=now,
        last_attempt_at=sender.clock(),
        response_code=attempt.code,
        latency_ms=attempt.latency_ms,
        error=attempt.error,
    )
    await store.put_delivery(hook.org_id, record)
    return record
