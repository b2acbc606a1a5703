"""After a write is stored, tell subscribers how progress moved (never for a refused write)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from service.domain.errors import StoreUnavailable
from service.events import Event, EventBus
from service.okrs.common import ProgressChange
from service.store.interface import Store

logger = logging.getLogger(__name__)


async def publish_changes(
    *,
    store: Store,
    bus: EventBus | None,
    org_id: str,
    key_result_id: str,
    changes: Sequence[ProgressChange],
    at: datetime,
    cause_check_in_id: str | None = None,
) -> Event | None:
    """Number the change with the organization's next sequence and publish it; the event, or
    None when there is no bus or nothing to say. The write is already stored, so a failure here
    is logged, never raised: the caller's mutation succeeded, and subscribers see the gap in
    the sequence and re-query."""
    if bus is None or not changes:
        return None
    try:
        sequence = await store.next_sequence(org_id)
    except StoreUnavailable:
        logger.warning("no event for a change in %s: the store could not number it", org_id)
        return None
    event = Event.from_changes(
        org_id=org_id,
        sequence=sequence,
        at=at,
        key_result_id=key_result_id,
        changes=changes,
        cause_check_in_id=cause_check_in_id,
    )
    await bus.publish(org_id, event)
    return event
