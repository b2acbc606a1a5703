"""The organization's settings of the OKR method."""

from __future__ import annotations

import strawberry

from service.domain import model


@strawberry.type(description="The organization's settings of the OKR method.")
class Policy:
    on_track_ratio: float = strawberry.field(
        description="ON_TRACK at or above this share of the expected progress (default 0.75)."
    )
    at_risk_ratio: float = strawberry.field(
        description="AT_RISK at or above this share of the expected progress (default 0.5)."
    )
    max_objectives_per_team: int = strawberry.field(
        description="The most objectives a team may have in a quarter, the MONTH cycles inside "
        "it included (default 5)."
    )
    min_objectives_per_team: int = strawberry.field(
        description="Fewer objectives than this is reported by the health report (default 3)."
    )
    roi_threshold: float = strawberry.field(
        description="Initiatives with a return below this are discard candidates (default 0)."
    )
    stale_after_days: int = strawberry.field(
        description="Days a key result without any check-in stays PENDING after its cycle "
        "starts (or after it is created, if later), before it is paced at its start value; and "
        "the days a check-in stays fresh: a key result silent for longer is stale (default 14)."
    )
    check_in_cadence_days: int = strawberry.field(
        description="How often each key result should be checked in, in days: one whose last "
        "check-in (or its cycle's start, or its creation if later) is older is due, listed by "
        "`Organization.checkInsDue` and announced once by a `checkInDue` event (default 7)."
    )

    @classmethod
    def from_domain(cls, policy: model.Policy) -> Policy:
        return cls(
            on_track_ratio=policy.on_track_ratio,
            at_risk_ratio=policy.at_risk_ratio,
            max_objectives_per_team=policy.max_objectives_per_team,
            min_objectives_per_team=policy.min_objectives_per_team,
            roi_threshold=policy.roi_threshold,
            stale_after_days=policy.stale_after_days,
            check_in_cadence_days=policy.check_in_cadence_days,
        )
