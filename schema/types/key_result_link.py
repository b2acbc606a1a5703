"""KeyResultLink: one objective a key result counts in, and the weight it counts with there."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Info
from schema.types import key_result, objective
from service.domain import model
from service.readmodel import Snapshot

if TYPE_CHECKING:
    from schema.types.key_result import KeyResult
    from schema.types.objective import Objective


@strawberry.type(
    description="A key result counting in one objective, with the weight it counts with there: "
    "the objective's progress is the weighted mean over its links and child objectives. Every "
    "key result has its home link (its own objective, its own `weight`) and one more per "
    "objective it was aligned with (`keyResultAlign`)."
)
class KeyResultLink:
    weight: float = strawberry.field(
        description="The key result's weight in this objective's rollup (> 0): the key result's "
        "own `weight` for its home link, the link's for an aligned one."
    )
    home: bool = strawberry.field(
        description="Whether this is the key result's own objective (`KeyResult.objective`), "
        "which it always serves; false for an objective it was aligned with."
    )
    domain: strawberry.Private[model.KeyResult]
    objective_id: strawberry.Private[str]

    @strawberry.field(
        description="The key result.",
        graphql_type=Annotated["KeyResult", strawberry.lazy("schema.types.key_result")],
    )
    def key_result(self) -> KeyResult:
        return key_result.KeyResult.from_domain(self.domain)

    @strawberry.field(
        description="The objective it counts in.",
        graphql_type=Annotated["Objective", strawberry.lazy("schema.types.objective")],
    )
    def objective(self, info: Info) -> Objective | Awaitable[Objective]:
        served = self.objective_id
        return info.context.loaders.answer(
            self.domain.org_id,
            lambda s: objective.Objective.from_domain(s.objectives[served]),
        )


def links_of(snapshot: Snapshot, kr: model.KeyResult) -> list[KeyResultLink]:
    """Every objective a key result counts in: its home first, then the aligned ones in the
    order they were aligned (links to objectives the snapshot lacks are left out)."""
    return [
        KeyResultLink(weight=link.weight, home=at == 0, domain=kr, objective_id=link.objective_id)
        for at, link in enumerate(kr.links)
        if link.objective_id in snapshot.objectives
    ]
