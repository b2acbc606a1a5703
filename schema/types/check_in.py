"""CheckIn: a value of a key result recorded at a time."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Info
from schema.nodes import Node
from schema.types import key_result
from schema.types.common import gid
from service.domain import model

if TYPE_CHECKING:
    from schema.types.key_result import KeyResult


@strawberry.type(description="A value of a key result recorded at a time (append-only history).")
class CheckIn(Node):
    value: float = strawberry.field(description="The key result's value at `recordedAt`.")
    confidence: float | None = strawberry.field(description="Confidence in [0, 1].")
    note: str | None = strawberry.field(description="What happened.")
    recorded_at: datetime = strawberry.field(
        description="When the value was true (UTC, to the millisecond: finer digits given are "
        "dropped)."
    )
    author: str | None = strawberry.field(description="Who recorded it.")
    domain: strawberry.Private[model.CheckIn]

    @classmethod
    def from_domain(cls, check_in: model.CheckIn) -> CheckIn:
        return cls(
            id=gid("CheckIn", check_in.org_id, check_in.id),
            value=check_in.value,
            confidence=check_in.confidence,
            note=check_in.note,
            recorded_at=check_in.recorded_at,
            author=check_in.author,
            domain=check_in,
        )

    @strawberry.field(
        description="The key result it measures.",
        graphql_type=Annotated["KeyResult", strawberry.lazy("schema.types.key_result")],
    )
    def key_result(self, info: Info) -> KeyResult | Awaitable[KeyResult]:
        c = self.domain
        return info.context.loaders.answer(
            c.org_id, lambda s: key_result.KeyResult.from_domain(s.key_results[c.key_result_id])
        )
