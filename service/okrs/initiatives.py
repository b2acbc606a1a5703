"""Initiatives: the actions that serve key results, with cost, expected value and ROI (§5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from service.domain import rules
from service.domain.errors import InvalidInput, NotFound
from service.domain.model import Initiative
from service.okrs.common import key_result, new_id, organization
from service.store.interface import Store


async def _initiative(store: Store, org_id: str, initiative_id: str) -> Initiative:
    found = await store.get_initiatives(org_id, [initiative_id])
    if not found:
        raise NotFound("no initiative with this id in the organization", field=("initiativeId",))
    return found[0]


async def create_initiative(
    *,
    store: Store,
    org_id: str,
    title: str,
    cost: float,
    expected_value: float,
    key_result_ids: Sequence[str] = (),
) -> Initiative:
    """A new initiative, linked to the key results it serves (none: unaligned)."""
    cleaned = rules.text(title, field="title")
    checked_cost = rules.finite(cost, field="cost")
    if checked_cost < 0:
        raise InvalidInput("cost must not be negative", field=("cost",))
    checked_value = rules.finite(expected_value, field="expectedValue")
    await organization(store, org_id)
    unique = tuple(dict.fromkeys(key_result_ids))
    found = {k.id for k in await store.get_key_results(org_id, unique)}
    for index, kid in enumerate(unique):
        if kid not in found:
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
    )
    await store.insert_initiative(made)
    return made


async def link_initiative(
    *, store: Store, org_id: str, initiative_id: str, key_result_id: str
) -> Initiative:
    """The initiative now serves the key result (linking twice keeps one link)."""
    current = await _initiative(store, org_id, initiative_id)
    await key_result(store, org_id, key_result_id)
    if key_result_id in current.key_result_ids:
        return current
    await store.link_initiative(org_id, current.id, key_result_id)
    return replace(current, key_result_ids=(*current.key_result_ids, key_result_id))


async def unlink_initiative(
    *, store: Store, org_id: str, initiative_id: str, key_result_id: str
) -> Initiative:
    """The initiative no longer serves the key result."""
    current = await _initiative(store, org_id, initiative_id)
    await key_result(store, org_id, key_result_id)
    if key_result_id not in current.key_result_ids:
        return current
    await store.unlink_initiative(org_id, current.id, key_result_id)
    kept = tuple(k for k in current.key_result_ids if k != key_result_id)
    return replace(current, key_result_ids=kept)
