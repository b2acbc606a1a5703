"""What outbound delivery keeps: webhook endpoints, their deliveries, and positions in a log.

Webhooks are kept beside the change log, not in it: an endpoint holds its signing secrets,
and the log is what the audit trail shows to editors. Nothing about an endpoint moves
progress, so the log loses nothing by not holding it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class DeliveryStatus(enum.StrEnum):
    """Where one message to one endpoint stands."""

    PENDING = "PENDING"
    """Not delivered yet: the last attempt failed and another is scheduled."""
    DELIVERED = "DELIVERED"
    """The endpoint answered 2xx."""
    DEAD_LETTERED = "DEAD_LETTERED"
    """Retried for the whole retry window without success: the endpoint stops there."""
    FAILED = "FAILED"
    """A test delivery the endpoint did not accept (test deliveries are not retried)."""


class EventType(enum.StrEnum):
    """The kinds of message an endpoint can subscribe to."""

    PROGRESS_CHANGED = "com.okrgraph.progress.changed"
    """A change moved the progress of a subscribed scope."""
    CHECK_IN_DUE = "com.okrgraph.checkin.due"
    """A key result inside a subscribed scope became due a check-in."""


TEST_EVENT = "com.okrgraph.webhook.test"
"""The type of the message `webhookTest` sends."""


@dataclass(frozen=True, slots=True)
class Webhook:
    """An HTTP endpoint that receives an organization's events.

    `scopes` are the scopes it follows (key results, objectives, cycles, departments, the
    organization), each as `<kind>:<id>` (`message.scope_key`); empty means every scope.
    `secret` signs every message; during a rotation `previous_secret` signs too, until
    `previous_until`. Deliveries start after the change `start_after` (the log's position when
    the endpoint was made). `dead` says delivery stopped at a dead-lettered message;
    `webhookRedeliver` asks to start again from `rewind_to` and counts the asks in `rewinds`,
    so the instance delivering sees a new one.
    """

    id: str
    org_id: str
    url: str
    scopes: tuple[str, ...]
    events: tuple[str, ...]
    secret: str
    created_at: datetime
    start_after: int
    created_by: str | None = None
    previous_secret: str | None = None
    previous_until: datetime | None = None
    dead: bool = False
    rewinds: int = 0
    rewind_to: int = 0

    def secrets(self, now: datetime) -> tuple[str, ...]:
        """The secrets that sign a message sent at `now`: the current one, and the previous
        one while the rotation lasts."""
        if (
            self.previous_secret is not None
            and self.previous_until is not None
            and now < self.previous_until
        ):
            return (self.secret, self.previous_secret)
        return (self.secret,)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to one endpoint and what became of it so far. `sequence` is the change's
    (0 for a test message); `message_id` is the `webhook-id` every attempt of it carries."""

    id: str
    webhook_id: str
    org_id: str
    sequence: int
    event_type: str
    message_id: str
    status: DeliveryStatus
    attempts: int
    first_attempt_at: datetime
    last_attempt_at: datetime
    response_code: int | None = None
    latency_ms: float | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None


def delivery_id(webhook_id: str, sequence: int) -> str:
    """The id of the delivery of change `sequence` to an endpoint: one record per change, so
    newer changes sort after older ones."""
    return f"{webhook_id}:{sequence:012d}"


@dataclass(frozen=True, slots=True)
class Position:
    """How far a consumer of a log got (`position`: the last sequence it is done with), and how
    many rewinds it has followed."""

    position: int
    rewinds: int = 0
