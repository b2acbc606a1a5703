"""Progress: a node's numbers at an instant, and how each one was computed."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Info
from schema.enums import ProgressStatus, status_of
from schema.fastpath import hot
from schema.ids import to_global_id
from schema.nodes import Node, load_node
from schema.types.override import ProgressOverride
from service.domain import model
from service.domain.explain import Explanation as DomainExplanation
from service.domain.standing import Standing

if TYPE_CHECKING:
    from schema.types.key_result import KeyResult


@strawberry.type(description="One policy setting a computation used, by name.")
class PolicyValue:
    name: str = strawberry.field(description="The setting, e.g. `on_track_ratio`.")
    value: float = strawberry.field(description="Its value for this organization.")


@strawberry.type(
    description="One input of a formula: a value, its weight, and where it comes from."
)
class ExplanationInput:
    label: str = strawberry.field(description="What the value is: a title, or `start`, `target`.")
    value: float | None = strawberry.field(description="The value used; null is left out.")
    weight: float | None = strawberry.field(description="Its weight in a weighted mean.")
    node_id: strawberry.ID | None = strawberry.field(
        description="The id of the key result or objective the value comes from, if any."
    )

    @strawberry.field(description="The key result or objective the value comes from, if any.")
    async def node(self, info: Info) -> Node | None:
        return await load_node(info, self.node_id) if self.node_id else None


@strawberry.type(description="How a number was computed: formula, inputs and policy values.")
class Explanation:
    formula: str = strawberry.field(description="The formula with the values put in.")
    value: strawberry.Private[float | None]
    explained: strawberry.Private[DomainExplanation]
    org_id: strawberry.Private[str]

    # Inputs and policy are written out when asked for: a dashboard asks for formulas only.
    @strawberry.field(description="Every input, in order.")
    def inputs(self) -> list[ExplanationInput]:
        def node_id(local: str | None, kind: str | None) -> strawberry.ID | None:
            if local is None or kind is None:
                return None
            return strawberry.ID(to_global_id(kind, self.org_id, local))

        return [
            ExplanationInput(
                label=i.label,
                value=i.value,
                weight=i.weight,
                node_id=node_id(i.node_id, i.node_kind),
            )
            for i in self.explained.inputs
        ]

    @strawberry.field(description="The policy settings it used.")
    def policy(self) -> list[PolicyValue]:
        return [PolicyValue(name=n, value=v) for n, v in self.explained.policy]

    @strawberry.field(
        description="Why the status is what it is, in words: the pace comparison, since when a "
        "key result without a check-in has been silent (or until when it is PENDING), and the "
        "upstream key results holding it back."
    )
    def status_reason(self) -> str:
        return self.explained.status_reason

    @strawberry.field(
        description="The override set by hand that the number answers instead of the computed "
        "value (who set it, when, why, until when); null when the number is computed."
    )
    def override(self) -> ProgressOverride | None:
        note = self.explained.override
        return ProgressOverride.from_domain(note.override) if note is not None else None

    @strawberry.field(
        description="The value computed from the inputs: the progress itself, unless an "
        "override stands in for it; null when there is nothing to measure."
    )
    def computed_value(self) -> float | None:
        note = self.explained.override
        return note.computed if note is not None else self.value


_NONE: Mapping[str, model.KeyResult] = MappingProxyType({})


@strawberry.type(
    description="Progress of a key result, objective, cycle, team or organization at an "
    "instant, against the pace of its cycle, with how it was computed."
)
class Progress:
    value: float | None = strawberry.field(
        description="Progress in [0, 1]; null when there is nothing to measure."
    )
    attainment: float | None = strawberry.field(
        description="How far a key result went, uncapped (above 1: over-achieved); null above."
    )
    expected: float = strawberry.field(
        description="The share of the cycle elapsed: the progress the pace asks for now."
    )
    status: ProgressStatus = strawberry.field(
        description="Where `value` stands against `expected`, by the organization's policy."
    )
    org_id: strawberry.Private[str]
    measured: strawberry.Private[Standing]
    """The domain's progress: its explanation is written out only when asked for."""
    blocked_by_ids: strawberry.Private[tuple[str, ...]]
    evaluated: strawberry.Private[Mapping[str, model.KeyResult]]
    """The key results of the evaluation it comes from (upstream ones included)."""

    @strawberry.field(
        description="The direct upstream key results holding this on-pace one back (its status "
        "AT_RISK by them): those whose own final status is AT_RISK or OFF_TRACK, held back "
        "themselves or not.",
        graphql_type=list[Annotated["KeyResult", strawberry.lazy("schema.types.key_result")]],
    )
    @hot
    def blocked_by(self) -> list[KeyResult]:
        if not self.blocked_by_ids:
            return []  # most key results
        from schema.types.key_result import KeyResult

        # The evaluation that found them blocking holds them.
        return [
            KeyResult.from_domain(self.evaluated[i])
            for i in self.blocked_by_ids
            if i in self.evaluated
        ]

    @strawberry.field(description="Formula, inputs and policy used.")
    @hot
    def explanation(self) -> Explanation:
        # Written out only when asked for: formulas cost more than the numbers they explain.
        return _explanation(self.measured.explanation, self.org_id, self.value)

    @classmethod
    def from_domain(
        cls,
        result: Standing,
        org_id: str,
        evaluated: Mapping[str, model.KeyResult] = _NONE,
    ) -> Progress:
        return cls(
            value=result.value,
            attainment=result.attainment,
            expected=result.expected,
            status=status_of(result.status),
            org_id=org_id,
            measured=result,
            blocked_by_ids=result.blocked_by,
            evaluated=evaluated,
        )


def _explanation(explained: DomainExplanation, org_id: str, value: float | None) -> Explanation:
    return Explanation(
        formula=explained.formula,
        value=value,
        explained=explained,
        org_id=org_id,
    )
