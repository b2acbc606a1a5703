"""CheckInDue: the key results one owner is due to check in (issue 19, check-in reminders)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Info
from schema.types import member
from service.domain.reminders import DueCheckIn, OwnerDue

if TYPE_CHECKING:
    from schema.types.key_result import KeyResult
    from schema.types.member import Member


def iso_duration(span: timedelta) -> str:
    """A duration in ISO 8601 (`P3DT4H5M6S`), to the second."""
    seconds = max(int(span.total_seconds()), 0)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    if not days and not time:
        return "PT0S"
    return f"P{f'{days}D' if days else ''}{f'T{time}' if time else ''}"


@strawberry.type(description="One key result due a check-in, and how late it is.")
class DueKeyResult:
    due_since: datetime = strawberry.field(
        description="When it became due: a check-in cadence after `lastCheckInAt` (or after "
        "its silence began)."
    )
    silent_since: datetime = strawberry.field(
        description="Its last check-in, or, without one, its cycle's start (or its creation, "
        "if later)."
    )
    late: str = strawberry.field(description="How long it has been due, in ISO 8601 (P3DT4H).")
    late_seconds: float = strawberry.field(description="How long it has been due, in seconds.")
    org_id: strawberry.Private[str]
    key_result_id: strawberry.Private[str]

    @strawberry.field(
        description="The key result.",
        graphql_type=Annotated["KeyResult", strawberry.lazy("schema.types.key_result")],
    )
    async def key_result(self, info: Info) -> KeyResult:
        from schema.types.common import snapshot_of
        from schema.types.key_result import KeyResult

        held = await snapshot_of(info, self.org_id)
        return KeyResult.from_domain(held.key_results[self.key_result_id])

    @classmethod
    def from_domain(cls, due: DueCheckIn, org_id: str) -> DueKeyResult:
        return cls(
            due_since=due.since,
            silent_since=due.last,
            late=iso_duration(due.late),
            late_seconds=due.late.total_seconds(),
            org_id=org_id,
            key_result_id=due.key_result_id,
        )


@strawberry.type(
    description="The key results one owner is due to check in (those of nobody are grouped "
    "too, with a null owner), the longest due first."
)
class CheckInDue:
    due_since: datetime = strawberry.field(description="When the longest-due of them became due.")
    late: str = strawberry.field(
        description="How long the longest-due of them has been due, in ISO 8601 (P3DT4H)."
    )
    late_seconds: float = strawberry.field(
        description="How long the longest-due of them has been due, in seconds."
    )
    key_results: list[DueKeyResult] = strawberry.field(
        description="The key results due, the longest due first."
    )
    org_id: strawberry.Private[str]
    owner_id: strawberry.Private[str | None]

    @strawberry.field(
        description="The member who answers for them; null: nobody.",
        graphql_type=Annotated["Member", strawberry.lazy("schema.types.member")] | None,
    )
    def owner(self, info: Info) -> Member | Awaitable[Member | None] | None:
        return member.owner(info, self.org_id, self.owner_id)

    @classmethod
    def from_domain(cls, group: OwnerDue, org_id: str) -> CheckInDue:
        return cls(
            org_id=org_id,
            owner_id=group.owner,
            due_since=group.since,
            late=iso_duration(group.late),
            late_seconds=group.late.total_seconds(),
            key_results=[DueKeyResult.from_domain(d, org_id) for d in group.due],
        )
