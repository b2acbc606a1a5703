"""Webhook endpoints and their deliveries (`service.outbound`): admins only."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry
from graphql import GraphQLError

from schema.connections import Connection, connection, window
from schema.context import Info
from schema.ids import GlobalId
from schema.nodes import Node, load_global
from schema.permissions import Admin
from schema.types.common import After, First, gid
from service.outbound import model


@strawberry.enum(description="What a webhook endpoint can subscribe to.")
class WebhookEventType(enum.Enum):
    PROGRESS_CHANGED = strawberry.enum_value(
        model.EventType.PROGRESS_CHANGED,
        description="A change moved the progress of a followed scope (CloudEvents type "
        "`com.okrgraph.progress.changed`).",
    )
    CHECK_IN_DUE = strawberry.enum_value(
        model.EventType.CHECK_IN_DUE,
        description="A key result inside a followed scope became due a check-in (CloudEvents "
        "type `com.okrgraph.checkin.due`, its notice in `data.due`).",
    )


@strawberry.enum(description="Where one message to an endpoint stands.")
class WebhookDeliveryStatus(enum.Enum):
    PENDING = strawberry.enum_value(
        model.DeliveryStatus.PENDING,
        description="Not accepted yet: the last attempt failed and another is scheduled.",
    )
    DELIVERED = strawberry.enum_value(
        model.DeliveryStatus.DELIVERED, description="The endpoint answered 2xx."
    )
    DEAD_LETTERED = strawberry.enum_value(
        model.DeliveryStatus.DEAD_LETTERED,
        description="Retried for 24 hours without success: the endpoint stopped here until "
        "`webhookRedeliver`.",
    )
    FAILED = strawberry.enum_value(
        model.DeliveryStatus.FAILED,
        description="A test message the endpoint did not accept (tests are not retried).",
    )


@strawberry.type(description="One message to a webhook endpoint and what became of it.")
class WebhookDelivery:
    sequence: int = strawberry.field(
        description="The change's sequence in the organization's log; 0 for a test message."
    )
    event_type: str = strawberry.field(description="The CloudEvents `type` of the message.")
    message_id: str = strawberry.field(
        description="The `webhook-id` header: the same on every attempt of the message."
    )
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="How many times it was sent.")
    response_code: int | None = strawberry.field(
        description="The HTTP status of the last attempt; null when there was no answer."
    )
    latency_ms: float | None = strawberry.field(
        description="Milliseconds the last attempt took, answer or not."
    )
    error: str | None = strawberry.field(description="Why the last attempt failed, if it did.")
    first_attempt_at: datetime = strawberry.field(description="When it was first sent.")
    last_attempt_at: datetime = strawberry.field(description="When it was last sent.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When it will be sent again; null once delivered or dead-lettered."
    )

    @classmethod
    def from_domain(cls, delivery: model.Delivery) -> WebhookDelivery:
        return cls(
            sequence=delivery.sequence,
            event_type=delivery.event_type,
            message_id=delivery.message_id,
            status=WebhookDeliveryStatus(delivery.status),
            attempts=delivery.attempts,
            response_code=delivery.response_code,
            latency_ms=delivery.latency_ms,
            error=delivery.error,
            first_attempt_at=delivery.first_attempt_at,
            last_attempt_at=delivery.last_attempt_at,
            next_attempt_at=delivery.next_attempt_at,
        )


@strawberry.type(
    description="An HTTP endpoint that receives the organization's changes as signed "
    "CloudEvents (Standard Webhooks), in sequence order, at least once."
)
class Webhook(Node):
    url: str = strawberry.field(description="Where messages are POSTed.")
    events: list[WebhookEventType] = strawberry.field(description="What it subscribes to.")
    created_at: datetime = strawberry.field(description="When it was made.")
    created_by: str | None = strawberry.field(description="Who made it (a token's subject).")
    dead_lettered: bool = strawberry.field(
        description="Delivery stopped at a message retried for 24 hours in vain; "
        "`webhookRedeliver` starts it again."
    )
    previous_secret_valid_until: datetime | None = strawberry.field(
        description="While a secret rotation lasts, messages are signed with the previous "
        "secret too, until then; null otherwise."
    )
    starts_after_sequence: int = strawberry.field(
        description="The log's position when it was made: it receives the changes after it."
    )
    domain: strawberry.Private[model.Webhook]

    @classmethod
    def from_domain(cls, webhook: model.Webhook) -> Webhook:
        return cls(
            id=gid("Webhook", webhook.org_id, webhook.id),
            url=webhook.url,
            events=[WebhookEventType(model.EventType(e)) for e in webhook.events],
            created_at=webhook.created_at,
            created_by=webhook.created_by,
            dead_lettered=webhook.dead,
            previous_secret_valid_until=webhook.previous_until
            if webhook.previous_secret is not None
            else None,
            starts_after_sequence=webhook.start_after,
            domain=webhook,
        )

    @strawberry.field(
        description="The scopes it follows (key results, objectives, cycles, departments, the "
        "organization); empty: every scope. A deleted scope is left out."
    )
    async def scopes(self, info: Info) -> list[Node]:
        found: list[Node] = []
        for scope in self.domain.scopes:
            kind, _, local = scope.partition(":")
            node = await load_global(info, GlobalId(kind, self.domain.org_id, local))
            if node is not None:
                found.append(node)
        return found

    @strawberry.field(
        description="Its messages, newest change first (test messages before them), with "
        "status, attempts, the last response code and latency."
    )
    async def deliveries(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[WebhookDelivery]:
        size, after_id = window(first, after)
        page = await info.context.store.page_deliveries(
            self.domain.org_id, self.domain.id, after=after_id, limit=size
        )
        return connection(page, WebhookDelivery.from_domain, lambda d: d.id, after=after)


def require_admin(info: Info) -> None:
    """Webhooks are the admins': a FORBIDDEN error for anyone else."""
    if not info.context.may(Admin.role):
        raise GraphQLError(Admin.message, extensions={"code": "FORBIDDEN"})


async def webhooks(info: Info, org_id: str) -> list[Webhook]:
    """The organization's endpoints (admins only)."""
    require_admin(info)
    if not info.context.visible(org_id):
        return []
    return [Webhook.from_domain(w) for w in await info.context.store.list_webhooks(org_id)]
