"""GraphQL enums, each value described; values equal the domain enums' values."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TypeVar

import strawberry


@strawberry.enum(description="The length of a planning cycle.")
class CycleKind(enum.Enum):
    YEAR = strawberry.enum_value("YEAR", description="A calendar year; holds the global objective.")
    QUARTER = strawberry.enum_value("QUARTER", description="One of the year's four quarters.")
    MONTH = strawberry.enum_value("MONTH", description="A month inside a quarter.")


@strawberry.enum(
    description="How a key result's value turns into progress in [0, 1]: INCREASE and "
    "DECREASE move in proportion from start to target, the others are reached (1) or not (0)."
)
class KeyResultKind(enum.Enum):
    INCREASE = strawberry.enum_value(
        "INCREASE", description="Grow from the start value to the target (target > start)."
    )
    DECREASE = strawberry.enum_value(
        "DECREASE", description="Shrink from the start value to the target (target < start)."
    )
    AT_LEAST = strawberry.enum_value(
        "AT_LEAST", description="Stay at or above the target: achieved or not."
    )
    AT_MOST = strawberry.enum_value(
        "AT_MOST", description="Stay at or below the target: achieved or not."
    )
    MILESTONE = strawberry.enum_value("MILESTONE", description="Done (1) or not done (0).")


@strawberry.enum(
    description="Where progress stands against the pace of its cycle: progress compared with "
    "`expected`, the share of the cycle elapsed, by the organization's policy ratios."
)
class ProgressStatus(enum.Enum):
    NOT_STARTED = strawberry.enum_value("NOT_STARTED", description="Its cycle has not begun yet.")
    PENDING = strawberry.enum_value(
        "PENDING",
        description="No check-in yet, inside the grace period: fewer than the policy's "
        "staleAfterDays since the cycle started, or since the key result was created if later "
        "(past it, a silent key result is paced at its start value). An objective with nothing "
        "under it is PENDING too.",
    )
    ON_TRACK = strawberry.enum_value(
        "ON_TRACK", description="Progress at or above the policy's on-track share of expected."
    )
    AT_RISK = strawberry.enum_value(
        "AT_RISK",
        description="Below on-track pace, or on pace but held back by a direct upstream key "
        "result that is AT_RISK or OFF_TRACK itself (blockedBy): lateness flows down a chain.",
    )
    OFF_TRACK = strawberry.enum_value(
        "OFF_TRACK", description="Progress below the policy's at-risk share of expected."
    )
    ACHIEVED = strawberry.enum_value("ACHIEVED", description="The target is reached.")


@strawberry.enum(description="Why a mutation was refused; the `code` of a UserError.")
class UserErrorCode(enum.Enum):
    NOT_MEASURABLE = strawberry.enum_value(
        "NOT_MEASURABLE",
        description="A key result without a number to move: no target, or target equal to start.",
    )
    TOO_MANY_OBJECTIVES = strawberry.enum_value(
        "TOO_MANY_OBJECTIVES",
        description="A team would have more objectives in the cycle than the policy allows.",
    )
    DUPLICATE_GLOBAL_OBJECTIVE = strawberry.enum_value(
        "DUPLICATE_GLOBAL_OBJECTIVE", description="The year has its global objective already."
    )
    CYCLE_MISMATCH = strawberry.enum_value(
        "CYCLE_MISMATCH",
        description="A parent objective outside the year, or in a cycle that does not contain it.",
    )
    DEPENDENCY_CYCLE = strawberry.enum_value(
        "DEPENDENCY_CYCLE", description="The dependency would make a key result wait on itself."
    )
    INVALID_VALUE = strawberry.enum_value(
        "INVALID_VALUE",
        description="A number out of range or not finite, a date in the future, a bad cursor.",
    )
    INVALID_TEXT = strawberry.enum_value(
        "INVALID_TEXT", description="Text empty, blank or longer than allowed (500 characters)."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="The id names nothing this organization can see."
    )
    INVALID_ID = strawberry.enum_value(
        "INVALID_ID", description="Not an id of this API, or the id of another type of object."
    )
    DUPLICATE = strawberry.enum_value(
        "DUPLICATE", description="Clashes with something that exists: a slug, a name, a cycle."
    )
    CYCLE_CLOSED = strawberry.enum_value(
        "CYCLE_CLOSED", description="The cycle is closed; its OKRs and check-ins are frozen."
    )
    HAS_CHILDREN = strawberry.enum_value(
        "HAS_CHILDREN", description="The objective still has child objectives."
    )
    INVALID_PARENT = strawberry.enum_value(
        "INVALID_PARENT", description="The parent would put the objective inside its own subtree."
    )
    IDEMPOTENCY_KEY_REUSED = strawberry.enum_value(
        "IDEMPOTENCY_KEY_REUSED",
        description="The idempotency key was sent before with a different check-in: nothing "
        "was stored (a key belongs to one check-in of one key result).",
    )
    TARGET_REFUSED = strawberry.enum_value(
        "TARGET_REFUSED",
        description="A webhook URL the service will not call: not http(s), or a host that "
        "resolves to a loopback, link-local or private address outside the allow-list.",
    )
    MEMBER_INACTIVE = strawberry.enum_value(
        "MEMBER_INACTIVE",
        description="The member is deactivated: they cannot be given OKRs (nor sign in).",
    )


E = TypeVar("E", bound=enum.Enum)


def mirror(api: type[E]) -> Callable[[enum.Enum], E]:
    """The API enum member of a domain enum member (same value), by one dict lookup: a
    dashboard converts a status per progress, and calling the enum class costs more."""
    by_value = {member.value: member for member in api}

    def of(domain_member: enum.Enum) -> E:
        return by_value[domain_member.value]

    return of


status_of = mirror(ProgressStatus)
kind_of = mirror(KeyResultKind)
cycle_kind_of = mirror(CycleKind)
