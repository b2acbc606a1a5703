"""Managing an organization's webhook endpoints: the use cases behind the webhook mutations.

Endpoints are written straight to their own collection, not through the change log (see
`service.outbound.model`), each write one whole document; every mutation here is safe to retry
(a create retried makes a second endpoint, as a person retrying would; the others end where the
first attempt would have).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from service.domain.errors import ErrorCode, InvalidInput, NotFound
from service.okrs.common import new_id
from service.outbound.message import scope_key
from service.outbound.model import Delivery, EventType, Webhook
from service.outbound.signing import new_secret, secret_key
from service.outbound.targets import TargetRefused, Targets
from service.outbound.webhooks import Sender, send_test
from service.readmodel import ReadModel, Snapshot
from service.store.interface import Store

ROTATION = timedelta(hours=24)
"""How long the previous secret keeps signing after a new one is set."""
MAX_WEBHOOKS = 50
"""Endpoints an organization may have."""
MAX_SCOPES = 100
"""Scopes one endpoint may follow."""


async def _checked_url(targets: Targets, url: str) -> str:
    cleaned = url.strip()
    try:
        await targets.check(cleaned)
    except TargetRefused as refused:
        raise InvalidInput(str(refused), field=("url",), code=ErrorCode.TARGET_REFUSED) from None
    return cleaned


def _checked_scopes(snapshot: Snapshot, scopes: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """The scopes (kind, own id) as an endpoint keeps them; NotFound for one the organization
    does not hold."""
    if len(scopes) > MAX_SCOPES:
        raise InvalidInput(f"an endpoint follows at most {MAX_SCOPES} scopes", field=("scopeIds",))
    held: dict[str, Collection[str]] = {
        "Organization": (snapshot.organization.id,),
        "KeyResult": snapshot.key_results,
        "Objective": snapshot.objectives,
        "Cycle": snapshot.cycles,
        "Department": snapshot.departments,
    }
    for kind, scope_id in scopes:
        if scope_id not in held.get(kind, ()):
            raise NotFound("no such scope in the organization", field=("scopeIds",))
    return tuple(dict.fromkeys(scope_key(kind, scope_id) for kind, scope_id in scopes))


def _checked_events(events: Sequence[EventType]) -> tuple[str, ...]:
    if not events:
        raise InvalidInput("an endpoint subscribes to at least one event", field=("events",))
    return tuple(dict.fromkeys(e.value for e in events))


def _checked_secret(secret: str | None) -> str:
    if secret is None:
        return new_secret()
    if secret_key(secret) is None:
        raise InvalidInput(
            "a secret is `whsec_` followed by the base64 of 24 to 64 random bytes",
            field=("secret",),
        )
    return secret


async def _organization(reads: ReadModel, org_id: str, field: str) -> Snapshot:
    snapshot = await reads.snapshot(org_id)
    if snapshot is None:
        raise NotFound("no such organization", field=(field,))
    return snapshot


async def _webhook(store: Store, org_id: str, webhook_id: str) -> Webhook:
    found = await store.get_webhook(org_id, webhook_id)
    if found is None:
        raise NotFound("no such webhook", field=("id",))
    return found


async def create_webhook(
    *,
    store: Store,
    reads: ReadModel,
    targets: Targets,
    org_id: str,
    url: str,
    scopes: Sequence[tuple[str, str]],
    events: Sequence[EventType],
    secret: str | None,
    actor: str | None,
    now: datetime,
) -> Webhook:
    """A new endpoint, receiving the changes written from now on."""
    snapshot = await _organization(reads, org_id, "organizationId")
    made = Webhook(
        id=new_id(),
        org_id=org_id,
        url=await _checked_url(targets, url),
        scopes=_checked_scopes(snapshot, scopes),
        events=_checked_events(events),
        secret=_checked_secret(secret),
        created_at=now,
        start_after=snapshot.position,
        created_by=actor,
    )
    if len(await store.list_webhooks(org_id)) >= MAX_WEBHOOKS:
        raise InvalidInput(
            f"an organization has at most {MAX_WEBHOOKS} webhooks", field=("organizationId",)
        )
    await store.put_webhook(org_id, made)
    return made


async def update_webhook(
    *,
    store: Store,
    reads: ReadModel,
    targets: Targets,
    org_id: str,
    webhook_id: str,
    url: str | None,
    scopes: Sequence[tuple[str, str]] | None,
    events: Sequence[EventType] | None,
    secret: str | None,
    rotate: bool,
    now: datetime,
) -> Webhook:
    """Change an endpoint; a new secret (given, or made when `rotate`) signs from now on, and
    the one it replaces keeps signing for `ROTATION` so receivers can switch."""
    current = await _webhook(store, org_id, webhook_id)
    changed = current
    if url is not None:
        changed = replace(changed, url=await _checked_url(targets, url))
    if scopes is not None:
        snapshot = await _organization(reads, org_id, "id")
        changed = replace(changed, scopes=_checked_scopes(snapshot, scopes))
    if events is not None:
        changed = replace(changed, events=_checked_events(events))
    if secret is not None or rotate:
        fresh = _checked_secret(secret)
        if fresh != current.secret:
            changed = replace(
                changed,
                secret=fresh,
                previous_secret=current.secret,
                previous_until=now + ROTATION,
            )
    if changed != current:
        await store.put_webhook(org_id, changed)
    return changed


async def delete_webhook(*, store: Store, org_id: str, webhook_id: str) -> str:
    """Delete an endpoint and its deliveries; its id."""
    if not await store.delete_webhook(org_id, webhook_id):
        raise NotFound("no such webhook", field=("id",))
    return webhook_id


async def redeliver(*, store: Store, org_id: str, webhook_id: str, from_sequence: int) -> Webhook:
    """Deliver again from change `from_sequence` on (and revive a dead-lettered endpoint)."""
    current = await _webhook(store, org_id, webhook_id)
    if from_sequence < 1:
        raise InvalidInput("a sequence starts at 1", field=("fromSequence",))
    oldest = await store.first_sequence(org_id)
    last = await store.last_change(org_id)
    newest = last.sequence if last is not None else 0
    if from_sequence > newest + 1:
        raise InvalidInput(f"the organization's log ends at {newest}", field=("fromSequence",))
    if oldest is not None and from_sequence < oldest:
        raise InvalidInput(f"the log keeps changes from {oldest} on", field=("fromSequence",))
    changed = replace(current, dead=False, rewinds=current.rewinds + 1, rewind_to=from_sequence)
    await store.put_webhook(org_id, changed)
    return changed


async def try_webhook(*, store: Store, sender: Sender, org_id: str, webhook_id: str) -> Delivery:
    """Send the endpoint a test message now and answer how it went."""
    current = await _webhook(store, org_id, webhook_id)
    return await send_test(sender, store, current, test_id=new_id())
