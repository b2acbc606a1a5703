"""keyResultAlign and keyResultUnalign: their inputs, payloads and what they run
(`service.okrs.alignment`)."""

from __future__ import annotations

import strawberry

from schema.context import Context
from schema.ids import expect_id
from schema.payloads import ERRORS, UserError
from schema.types import KeyResult, Objective
from service.okrs import alignment


@strawberry.input(
    description="A link to add: `keyResultId` also counts in `objectiveId` (of its year, of any "
    "department), with `weight`."
)
class KeyResultAlignInput:
    key_result_id: strawberry.ID = strawberry.field(description="The key result to align.")
    objective_id: strawberry.ID = strawberry.field(
        description="The objective it is to serve besides its own: of the same year (else "
        "CYCLE_MISMATCH), not one it serves already (else DUPLICATE)."
    )
    weight: float = strawberry.field(
        default=1.0,
        description="Its weight in that objective's rollup: finite and > 0 (else INVALID_VALUE).",
    )


@strawberry.input(description="A link to remove: `keyResultId` no longer counts in `objectiveId`.")
class KeyResultUnalignInput:
    key_result_id: strawberry.ID = strawberry.field(description="The aligned key result.")
    objective_id: strawberry.ID = strawberry.field(
        description="An objective it was aligned with (else NOT_FOUND); never its own "
        "objective (INVALID_VALUE)."
    )


def _no_errors() -> list[UserError]:
    return []


@strawberry.type(description="The result of keyResultAlign.")
class KeyResultAlignPayload:
    key_result: KeyResult | None = strawberry.field(
        default=None, description="The key result, with the new link in `links`."
    )
    objective: Objective | None = strawberry.field(
        default=None, description="The objective it now also counts in."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_no_errors, description=ERRORS)


@strawberry.type(description="The result of keyResultUnalign.")
class KeyResultUnalignPayload:
    key_result: KeyResult | None = strawberry.field(
        default=None, description="The key result, without the link."
    )
    objective: Objective | None = strawberry.field(
        default=None, description="The objective it no longer counts in."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_no_errors, description=ERRORS)


def _ends(ctx: Context, key_result_id: str, objective_id: str) -> tuple[str, str, str]:
    """The organization, key result and objective of a link, seen from the caller's
    organization: an objective of another organization looks unknown."""
    target = ctx.home(expect_id(key_result_id, "KeyResult", field="keyResultId"))
    served = expect_id(objective_id, "Objective", field="objectiveId")
    local = served.local_id if served.org_id == target.org_id else f"~{served.local_id}"
    return target.org_id, target.local_id, local


async def key_result_align(ctx: Context, input: KeyResultAlignInput) -> KeyResultAlignPayload:
    org_id, key_result_id, objective_id = _ends(ctx, input.key_result_id, input.objective_id)
    done = await alignment.align_key_result(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=org_id,
        key_result_id=key_result_id,
        objective_id=objective_id,
        weight=input.weight,
        now=ctx.now,
    )
    return KeyResultAlignPayload(
        key_result=KeyResult.from_domain(done.key_result),
        objective=Objective.from_domain(done.objective),
    )


async def key_result_unalign(ctx: Context, input: KeyResultUnalignInput) -> KeyResultUnalignPayload:
    org_id, key_result_id, objective_id = _ends(ctx, input.key_result_id, input.objective_id)
    done = await alignment.unalign_key_result(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=org_id,
        key_result_id=key_result_id,
        objective_id=objective_id,
        now=ctx.now,
    )
    return KeyResultUnalignPayload(
        key_result=KeyResult.from_domain(done.key_result),
        objective=Objective.from_domain(done.objective),
    )
