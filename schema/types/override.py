"""ProgressOverride: an objective's progress set by hand, with who set it, when, why and until
when (GitLab issue 382433)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from service.domain import model


@strawberry.type(
    description="An objective's progress set by hand: it stands in for the computed progress "
    "from `setAt` until `expiresAt`, `clearedAt`, or the next override, whichever comes first."
)
class ProgressOverride:
    value: float = strawberry.field(description="The progress set, in [0, 1].")
    reason: str = strawberry.field(description="Why it was set by hand.")
    set_by: str | None = strawberry.field(description="Who set it (the token's subject).")
    set_at: datetime = strawberry.field(description="When it was set.")
    expires_at: datetime | None = strawberry.field(
        description="When it stops holding by itself; null: until cleared."
    )
    cleared_at: datetime | None = strawberry.field(
        description="When it was cleared; null while it was not."
    )
    cleared_by: str | None = strawberry.field(description="Who cleared it, if it was.")

    @classmethod
    def from_domain(cls, override: model.Override) -> ProgressOverride:
        return cls(
            value=override.value,
            reason=override.reason,
            set_by=override.set_by,
            set_at=override.set_at,
            expires_at=override.expires_at,
            cleared_at=override.cleared_at,
            cleared_by=override.cleared_by,
        )
