"""What the webhook mutations do (admins): decode their ids and scopes, call the outbound
administration, build their payload (see `schema.writes`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import strawberry

from schema import inputs as i
from schema import payloads as p
from schema.context import Context
from schema.ids import GlobalId, parse_global_id
from schema.types import Webhook, WebhookDelivery
from schema.writes import given, organizations_exist, target_id
from service.domain.errors import ErrorCode, InvalidInput
from service.outbound import admin as outbound
from service.outbound.model import EventType
from service.outbound.targets import Targets
from service.outbound.webhooks import Sender

SCOPE_TYPES = ("Organization", "Department", "Cycle", "Objective", "KeyResult")


def _scopes(ctx: Context, owner: GlobalId, values: list[strawberry.ID]) -> list[tuple[str, str]]:
    """The scopes named by global ids, as (kind, own id) in `owner`'s organization; one of
    another organization becomes an id it does not hold (NOT_FOUND)."""
    found: list[tuple[str, str]] = []
    for value in values:
        parsed = parse_global_id(value)
        if parsed is None or parsed.type_name not in SCOPE_TYPES:
            raise InvalidInput(
                f"{value[:80]!r} is not the id of a scope (key result, objective, cycle, "
                "department or organization)",
                field=("scopeIds",),
                code=ErrorCode.INVALID_ID,
            )
        if parsed.org_id != owner.org_id:
            found.append((parsed.type_name, f"~{parsed.local_id}"))
        else:
            found.append((parsed.type_name, parsed.local_id))
    return found


@contextlib.asynccontextmanager
async def _sender(ctx: Context) -> AsyncIterator[Sender]:
    """The instance's webhook sender, or one for this request outside a running app."""
    if ctx.outbound is not None:
        yield ctx.outbound.sender
        return
    made = Sender(Targets())
    try:
        yield made
    finally:
        await made.close()


def _targets(ctx: Context) -> Targets:
    return ctx.outbound.sender.targets if ctx.outbound is not None else Targets()


def _wake(ctx: Context) -> None:
    if ctx.outbound is not None:
        ctx.outbound.webhooks.changed()


async def webhook_create(ctx: Context, input: i.WebhookCreateInput) -> p.WebhookCreatePayload:
    org = target_id(ctx, input.organization_id, "Organization", field="organizationId")
    await organizations_exist(ctx, org)
    made = await outbound.create_webhook(
        store=ctx.store,
        reads=ctx.reads,
        targets=_targets(ctx),
        org_id=org.org_id,
        url=input.url,
        scopes=_scopes(ctx, org, input.scope_ids),
        events=[EventType[e.name] for e in input.events],
        secret=input.secret,
        actor=ctx.subject,
        now=ctx.now,
    )
    _wake(ctx)
    return p.WebhookCreatePayload(webhook=Webhook.from_domain(made), secret=made.secret)


async def webhook_update(
    ctx: Context, id: str, input: i.WebhookUpdateInput
) -> p.WebhookUpdatePayload:
    target = target_id(ctx, id, "Webhook", field="id")
    scope_ids = given(input.scope_ids)
    events = given(input.events)
    before = await ctx.store.get_webhook(target.org_id, target.local_id)
    changed = await outbound.update_webhook(
        store=ctx.store,
        reads=ctx.reads,
        targets=_targets(ctx),
        org_id=target.org_id,
        webhook_id=target.local_id,
        url=given(input.url),
        scopes=None if scope_ids is None else _scopes(ctx, target, scope_ids),
        events=None if events is None else [EventType[e.name] for e in events],
        secret=given(input.secret),
        rotate=input.rotate_secret,
        now=ctx.now,
    )
    _wake(ctx)
    rotated = before is not None and changed.secret != before.secret
    return p.WebhookUpdatePayload(
        webhook=Webhook.from_domain(changed), secret=changed.secret if rotated else None
    )


async def webhook_delete(ctx: Context, id: str) -> p.WebhookDeletePayload:
    target = target_id(ctx, id, "Webhook", field="id")
    await outbound.delete_webhook(store=ctx.store, org_id=target.org_id, webhook_id=target.local_id)
    _wake(ctx)
    return p.WebhookDeletePayload(deleted_id=strawberry.ID(id))


async def webhook_test(ctx: Context, id: str) -> p.WebhookTestPayload:
    target = target_id(ctx, id, "Webhook", field="id")
    async with _sender(ctx) as sender:
        delivery = await outbound.try_webhook(
            store=ctx.store, sender=sender, org_id=target.org_id, webhook_id=target.local_id
        )
    return p.WebhookTestPayload(delivery=WebhookDelivery.from_domain(delivery))


async def webhook_redeliver(ctx: Context, id: str, from_sequence: int) -> p.WebhookRedeliverPayload:
    target = target_id(ctx, id, "Webhook", field="id")
    changed = await outbound.redeliver(
        store=ctx.store,
        org_id=target.org_id,
        webhook_id=target.local_id,
        from_sequence=from_sequence,
    )
    _wake(ctx)
    return p.WebhookRedeliverPayload(webhook=Webhook.from_domain(changed))
