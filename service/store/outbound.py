"""The outbound side of `MongoStore`: leases, consumers' positions in the logs, webhook
endpoints and their deliveries (`service.outbound`).

A lease is one document per name: taken when it is free, expired, or held by the taker already,
by one conditional update (or, the first time, an insert that at most one taker wins), so two
instances never hold it at once while their clocks agree to within the lease's margin.
Times in leases are integer milliseconds: they are written by `$set`, which nx-27017 would turn
into a string for a datetime. Webhooks and deliveries are written whole (replace or insert).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.domain.errors import Conflict
from service.outbound.model import Delivery, DeliveryStatus, Position, Webhook
from service.store import documents as d
from service.store.interface import Page
from service.store.reads import DELIVERIES, LEASES, POSITIONS, WEBHOOKS, Doc, MongoReads

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def millis(at: datetime) -> int:
    """Milliseconds since the epoch."""
    return (d.utc(at) - _EPOCH) // timedelta(milliseconds=1)


class MongoOutbound(MongoReads):
    """Leases, positions, webhooks and deliveries (see the module's doc)."""

    # Leases and positions ------------------------------------------------------------------
    async def take_lease(self, name: str, holder: str, *, now: datetime, seconds: float) -> bool:
        now_ms = millis(now)
        held = {"holder": holder, "until": now_ms + int(seconds * 1000)}
        query = {"_id": name, "$or": [{"holder": holder}, {"until": {"$lt": now_ms}}]}
        result = await self._call(lambda: self._coll(LEASES).update_one(query, {"$set": held}))
        if result.matched_count:
            return True
        try:
            await self._insert(LEASES, {"_id": name, **held})
        except Conflict:
            return False
        return True

    async def release_lease(self, name: str, holder: str) -> None:
        await self._set(LEASES, {"_id": name, "holder": holder}, {"until": 0})

    async def get_position(self, name: str) -> Position | None:
        docs = await self._find(POSITIONS, {"_id": name}, limit=1)
        if not docs:
            return None
        return Position(position=int(docs[0]["position"]), rewinds=int(docs[0].get("rewinds", 0)))

    async def save_position(self, name: str, position: Position) -> None:
        doc = {"_id": name, "position": position.position, "rewinds": position.rewinds}
        await self._call(lambda: self._coll(POSITIONS).replace_one({"_id": name}, doc, upsert=True))

    # Webhooks ------------------------------------------------------------------------------
    async def put_webhook(self, org_id: str, webhook: Webhook) -> None:
        if webhook.org_id != org_id:
            raise ValueError("a webhook is put in its own organization")
        doc = webhook_doc(webhook)
        query = {"_id": webhook.id, "orgId": org_id}
        await self._call(lambda: self._coll(WEBHOOKS).replace_one(query, doc, upsert=True))

    async def delete_webhook(self, org_id: str, webhook_id: str) -> bool:
        query = {"_id": webhook_id, "orgId": org_id}
        result = await self._call(lambda: self._coll(WEBHOOKS).delete_one(query))
        await self._delete_many(DELIVERIES, {"webhookId": webhook_id, "orgId": org_id})
        deleted: int = result.deleted_count
        return deleted > 0

    async def get_webhook(self, org_id: str, webhook_id: str) -> Webhook | None:
        docs = await self._find(WEBHOOKS, {"_id": webhook_id, "orgId": org_id}, limit=1)
        return webhook_of(docs[0]) if docs else None

    async def list_webhooks(self, org_id: str) -> list[Webhook]:
        docs = await self._find(WEBHOOKS, {"orgId": org_id}, sort=[("_id", 1)])
        return [webhook_of(doc) for doc in docs]

    async def all_webhooks(self, *, after: str | None, limit: int) -> list[Webhook]:
        query: Doc = {} if after is None else {"_id": {"$gt": after}}
        docs = await self._find(WEBHOOKS, query, sort=[("_id", 1)], limit=limit)
        return [webhook_of(doc) for doc in docs]

    async def put_delivery(self, org_id: str, delivery: Delivery) -> None:
        if delivery.org_id != org_id:
            raise ValueError("a delivery is put in its own organization")
        doc = delivery_doc(delivery)
        query = {"_id": delivery.id, "orgId": org_id}
        await self._call(lambda: self._coll(DELIVERIES).replace_one(query, doc, upsert=True))

    async def prune_deliveries(self, org_id: str, webhook_id: str, *, before: datetime) -> int:
        query = {
            "orgId": org_id,
            "webhookId": webhook_id,
            "status": {"$in": [DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value]},
            "lastAttemptAt": {"$lt": d.to_millis(before)},
        }
        result = await self._call(lambda: self._coll(DELIVERIES).delete_many(query))
        deleted: int = result.deleted_count
        return deleted

    async def page_deliveries(
        self, org_id: str, webhook_id: str, *, after: str | None, limit: int
    ) -> Page[Delivery]:
        query: Doc = {"orgId": org_id, "webhookId": webhook_id}
        after_query: Doc = {} if after is None else {"_id": {"$lt": after}}
        return await self._page(
            DELIVERIES,
            query,
            delivery_of,
            after=after,
            limit=limit,
            order=[("_id", -1)],
            after_query=after_query,
        )


def _time(value: datetime | None) -> datetime | None:
    return None if value is None else d.to_millis(value)


def _back(value: object) -> datetime | None:
    return d.utc(value) if isinstance(value, datetime) else None


def webhook_doc(webhook: Webhook) -> Doc:
    return {
        "_id": webhook.id,
        "orgId": webhook.org_id,
        "url": webhook.url,
        "scopes": list(webhook.scopes),
        "events": list(webhook.events),
        "secret": webhook.secret,
        "createdAt": d.to_millis(webhook.created_at),
        "startAfter": webhook.start_after,
        "createdBy": webhook.created_by,
        "previousSecret": webhook.previous_secret,
        "previousUntil": _time(webhook.previous_until),
        "dead": webhook.dead,
        "rewinds": webhook.rewinds,
        "rewindTo": webhook.rewind_to,
    }


def webhook_of(doc: Doc) -> Webhook:
    return Webhook(
        id=doc["_id"],
        org_id=doc["orgId"],
        url=doc["url"],
        scopes=tuple(doc.get("scopes") or ()),
        events=tuple(doc.get("events") or ()),
        secret=doc["secret"],
        created_at=d.utc(doc["createdAt"]),
        start_after=int(doc.get("startAfter", 0)),
        created_by=doc.get("createdBy"),
        previous_secret=doc.get("previousSecret"),
        previous_until=_back(doc.get("previousUntil")),
        dead=bool(doc.get("dead", False)),
        rewinds=int(doc.get("rewinds", 0)),
        rewind_to=int(doc.get("rewindTo", 0)),
    )


def delivery_doc(delivery: Delivery) -> Doc:
    return {
        "_id": delivery.id,
        "webhookId": delivery.webhook_id,
        "orgId": delivery.org_id,
        "seq": delivery.sequence,
        "type": delivery.event_type,
        "messageId": delivery.message_id,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "firstAttemptAt": d.to_millis(delivery.first_attempt_at),
        "lastAttemptAt": d.to_millis(delivery.last_attempt_at),
        "responseCode": delivery.response_code,
        "latencyMs": delivery.latency_ms,
        "error": delivery.error,
        "nextAttemptAt": _time(delivery.next_attempt_at),
    }


def delivery_of(doc: Doc) -> Delivery:
    code = doc.get("responseCode")
    latency = doc.get("latencyMs")
    return Delivery(
        id=doc["_id"],
        webhook_id=doc["webhookId"],
        org_id=doc["orgId"],
        sequence=int(doc["seq"]),
        event_type=doc["type"],
        message_id=doc["messageId"],
        status=DeliveryStatus(doc["status"]),
        attempts=int(doc["attempts"]),
        first_attempt_at=d.utc(doc["firstAttemptAt"]),
        last_attempt_at=d.utc(doc["lastAttemptAt"]),
        response_code=None if code is None else int(code),
        latency_ms=None if latency is None else float(latency),
        error=doc.get("error"),
        next_attempt_at=_back(doc.get("nextAttemptAt")),
    )
