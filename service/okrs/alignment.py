"""Key results that serve several objectives (issue 19, item 3): aligning a key result with an
objective besides its own, and letting go of that link.

A key result's own objective (its home) is its first link, with the key result's `weight`; each
aligned objective is another link with its own weight, and DOMAIN.md §3.2 counts the key result in
every objective it serves with that link's weight. A key result serves an objective at most once
(its home included), only objectives of its own year, and may serve another department's.

What other writes do to links, so that none ever points at nothing:
- deleting a key result deletes its links with it (they are kept in its document);
- deleting an objective lets go of every link to it, in the same change
  (`service.okrs.common.removed_key_results`);
- closing a cycle keeps the links of its key results as they are (history; the frozen scores
  include what aligned key results added), and neither end of a closed cycle can be aligned or
  unaligned any longer;
- carrying a key result over makes a copy that serves its new home only: the objectives it was
  aligned with belong to the cycle it leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from service.domain import rules
from service.domain.errors import ErrorCode, NotFound, RuleViolation
from service.domain.model import KeyResult, Link, Objective
from service.okrs.commit import Draft, Unchanged, Writer
from service.okrs.common import cycle, key_result, objective, open_cycle, put
from service.readmodel import Snapshot


@dataclass(frozen=True, slots=True)
class Aligned:
    """A key result as it is after aligning or unaligning, the objective of the link, and the
    organization after."""

    key_result: KeyResult
    objective: Objective
    snapshot: Snapshot


def _ends(snapshot: Snapshot, key_result_id: str, objective_id: str) -> tuple[KeyResult, Objective]:
    """The key result and objective of a link, both in open cycles."""
    served_by = key_result(snapshot, key_result_id)
    served = objective(snapshot, objective_id)
    open_cycle(cycle(snapshot, served_by.cycle_id, field="keyResultId"), field="keyResultId")
    open_cycle(cycle(snapshot, served.cycle_id), field="objectiveId")
    return served_by, served


async def align_key_result(
    *,
    writer: Writer,
    org_id: str,
    key_result_id: str,
    objective_id: str,
    weight: float,
    now: datetime,
    actor: str | None = None,
) -> Aligned:
    """`key_result_id` also serves `objective_id`, counting there with `weight`. Asked again
    with the same weight (a retry), nothing changes; a key result that already serves the
    objective otherwise (its home, or with another weight) is a DUPLICATE."""
    checked = rules.weight(weight)

    async def build(snapshot: Snapshot) -> Draft[str] | Unchanged[str]:
        served_by, served = _ends(snapshot, key_result_id, objective_id)
        if served.year != served_by.year:
            raise RuleViolation(
                f"the key result is of {served_by.year} and the objective of {served.year}:"
                " a key result serves objectives of its own year only",
                field=("objectiveId",),
                code=ErrorCode.CYCLE_MISMATCH,
            )
        if served.id == served_by.objective_id:
            raise RuleViolation(
                "this is the key result's own objective: it serves it already",
                field=("objectiveId",),
                code=ErrorCode.DUPLICATE,
            )
        for link in served_by.aligned:
            if link.objective_id == served.id:
                if link.weight == checked:
                    return Unchanged(served_by.id)
                raise RuleViolation(
                    f"the key result serves this objective already, with weight {link.weight};"
                    " unalign it first to change the weight",
                    field=("objectiveId",),
                    code=ErrorCode.DUPLICATE,
                )
        updated = replace(served_by, aligned=(*served_by.aligned, Link(served.id, checked)))
        ops = [put(snapshot, updated)]
        return Draft("keyResultAlign", ops, served_by.id, "KeyResult", served_by.id)

    written = await writer.commit(org_id, build, actor=actor, at=now, field="keyResultId")
    after = written.after
    return Aligned(after.key_results[written.result], after.objectives[objective_id], after)


async def unalign_key_result(
    *,
    writer: Writer,
    org_id: str,
    key_result_id: str,
    objective_id: str,
    now: datetime,
    actor: str | None = None,
) -> Aligned:
    """`key_result_id` no longer serves `objective_id`. NOT_FOUND when it was not aligned with
    it; its own objective (its home link) is refused with INVALID_VALUE: a key result always
    serves its home, for as long as it exists."""

    async def build(snapshot: Snapshot) -> Draft[str]:
        served_by, served = _ends(snapshot, key_result_id, objective_id)
        if served.id == served_by.objective_id:
            raise RuleViolation(
                "this is the key result's own objective, which it always serves",
                field=("objectiveId",),
                code=ErrorCode.INVALID_VALUE,
            )
        kept = tuple(link for link in served_by.aligned if link.objective_id != served.id)
        if kept == served_by.aligned:
            raise NotFound(
                "the key result is not aligned with this objective", field=("objectiveId",)
            )
        ops = [put(snapshot, replace(served_by, aligned=kept))]
        return Draft("keyResultUnalign", ops, served_by.id, "KeyResult", served_by.id)

    written = await writer.commit(org_id, build, actor=actor, at=now, field="keyResultId")
    after = written.after
    return Aligned(after.key_results[written.result], after.objectives[objective_id], after)


__all__ = ["Aligned", "align_key_result", "unalign_key_result"]
