"""Initiatives: the actions that serve key results, with cost, expected value and ROI (§5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from service.domain import rules
from service.domain.errors import NotFound
from service.domain.model import Initiative
from service.okrs.commit import Draft, Unchanged, Writer
from service.okrs.common import created, key_result, new_id, owner, put
from service.readmodel import Snapshot


def _initiative(snapshot: Snapshot, initiative_id: str) -> Initiative:
    found = snapshot.initiatives.get(initiative_id)
    if found is None:
        raise NotFound("no initiative with this id in the organization", field=("initiativeId",))
    return found


async def create_initiative(
    *,
    writer: Writer,
    org_id: str,
    title: str,
    cost: float,
    expected_value: float,
    now: datetime,
    actor: str | None = None,
    key_result_ids: Sequence[str] = (),
    owner_id: str | None = None,
) -> Initiative:
    """A new initiative, linked to the key results it serves (none: unaligned), owned by an
    active member (or nobody)."""
    cleaned = rules.text(title, field="title")
    checked_cost = rules.cost(cost)
    checked_value = rules.amount(expected_value, field="expectedValue")
    unique = tuple(dict.fromkeys(key_result_ids))

    async def build(snapshot: Snapshot) -> Draft[Initiative]:
        for index, kid in enumerate(unique):
            if kid not in snapshot.key_results:
                raise NotFound(
                    "no key result with this id in the organization",
                    field=("keyResultIds", str(index)),
                )
        made = Initiative(
            id=new_id(),
            org_id=org_id,
            title=cleaned,
            cost=checked_cost,
            expected_value=checked_value,
            key_result_ids=unique,
            owner_id=owner(snapshot, owner_id),
        )
        return Draft("initiativeCreate", [created(made)], made, "Initiative", made.id)

    return (await writer.commit(org_id, build, actor=actor, at=now, field="organizationId")).result


async def link_initiative(
    *,
    writer: Writer,
    org_id: str,
    initiative_id: str,
    key_result_id: str,
    now: datetime,
    actor: str | None = None,
) -> Initiative:
    """The initiative now serves the key result (linking twice keeps one link)."""

    async def build(snapshot: Snapshot) -> Draft[Initiative] | Unchanged[Initiative]:
        current = _initiative(snapshot, initiative_id)
        key_result(snapshot, key_result_id)
        if key_result_id in current.key_result_ids:
            return Unchanged(current)
        updated = replace(current, key_result_ids=(*current.key_result_ids, key_result_id))
        return Draft("initiativeLink", [put(snapshot, updated)], updated, "Initiative", current.id)

    return (await writer.commit(org_id, build, actor=actor, at=now, field="initiativeId")).result


async def unlink_initiative(
    *,
    writer: Writer,
    org_id: str,
    initiative_id: str,
    key_result_id: str,
    now: datetime,
    actor: str | None = None,
) -> Initiative:
    """The initiative no longer serves the key result."""

    async def build(snapshot: Snapshot) -> Draft[Initiative] | Unchanged[Initiative]:
        current = _initiative(snapshot, initiative_id)
        key_result(snapshot, key_result_id)
        if key_result_id not in current.key_result_ids:
            return Unchanged(current)
        kept = tuple(k for k in current.key_result_ids if k != key_result_id)
        updated = replace(current, key_result_ids=kept)
        return Draft(
            "initiativeUnlink", [put(snapshot, updated)], updated, "Initiative", current.id
        )

    return (await writer.commit(org_id, build, actor=actor, at=now, field="initiativeId")).result
