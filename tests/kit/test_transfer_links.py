"""Export and import keep the objectives key results serve besides their own (issue 19, item 3):
a round trip gives every link back with its weight and every number as it was, and a document
whose links break the rules of `keyResultAlign` is refused before anything is written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.domain.model import CycleKind
from service.okrs.alignment import align_key_result
from service.okrs.demo import DEMO_SLUG
from service.transfer import export_organization, import_organization
from service.transfer_codec import TransferError
from tests.kit.kit import NOW, demo_store, memory_store, reads, writer
from tests.kit.test_transfer import evaluated, histories

Document = dict[str, Any]


async def linked_demo() -> tuple[Any, Document, tuple[str, str]]:
    """The demo with one key result of an open quarter aligned with another objective of its
    year (weight 2.5), its store and its export."""
    store = await demo_store(f"links_{id(object())}")
    read = reads(store)
    org_id = await read.organization_id(DEMO_SLUG)
    assert org_id is not None
    held = await read.snapshot(org_id)
    assert held is not None
    kr = next(
        k
        for k in held.key_result_list()
        if not held.cycles[k.cycle_id].closed and held.cycles[k.cycle_id].kind is CycleKind.QUARTER
    )
    served = next(
        o
        for o in held.objective_list()
        if o.year == kr.year and o.id != kr.objective_id and not held.cycles[o.cycle_id].closed
    )
    await align_key_result(
        writer=writer(store),
        org_id=org_id,
        key_result_id=kr.id,
        objective_id=served.id,
        weight=2.5,
        now=NOW,
    )
    exported = await export_organization(reads=reads(store), slug=DEMO_SLUG, now=NOW)
    return store, exported, (kr.id, served.id)


async def test_a_round_trip_keeps_every_link_and_every_number() -> None:
    source, exported, (kr_id, served_id) = await linked_demo()
    (linked,) = [k for k in exported["keyResults"] if k["aligned"]]
    assert linked["aligned"] == [{"objectiveId": served_id, "weight": 2.5}]
    target = memory_store("links_target")
    await target.ensure_indexes()
    imported = await import_organization(
        writer=writer(target), document=json.loads(json.dumps(exported)), slug="copy", now=NOW
    )
    same = {new: new for new in imported.ids.values()}
    assert await evaluated(target, "copy", same) == await evaluated(source, DEMO_SLUG, imported.ids)
    assert await histories(target, "copy", same) == await histories(source, DEMO_SLUG, imported.ids)
    again = await export_organization(reads=reads(target), slug="copy", now=NOW)
    (copied,) = [k for k in again["keyResults"] if k["aligned"]]
    assert copied["id"] == imported.ids[kr_id]
    assert copied["aligned"] == [{"objectiveId": imported.ids[served_id], "weight": 2.5}]


def _linked(document: Document, **link: Any) -> Document:
    """`document` with its linked key result's first link changed by `link`."""
    changed: Document = json.loads(json.dumps(document))
    (kr,) = [k for k in changed["keyResults"] if k["aligned"]]
    kr["aligned"][0].update(link)
    return changed


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        pytest.param(
            lambda d, kr: _linked(d, objectiveId="elsewhere"), "does not hold", id="dangling"
        ),
        pytest.param(
            lambda d, kr: _linked(d, objectiveId=kr["objectiveId"]),
            "serves an objective twice",
            id="home",
        ),
        pytest.param(lambda d, kr: _linked(d, weight=0), r"aligned\[0\].weight", id="zero-weight"),
        pytest.param(
            lambda d, kr: _linked(d, weight="heavy"),
            r"aligned.weight: expected float",
            id="not-a-number",
        ),
        pytest.param(
            lambda d, kr: _other_year(d, kr),
            "another year",
            id="other-year",
        ),
    ],
)
async def test_an_import_with_a_broken_link_says_why_and_writes_nothing(
    change: Any, complaint: str
) -> None:
    _, exported, _ = await linked_demo()
    (kr,) = [k for k in exported["keyResults"] if k["aligned"]]
    target = memory_store("links_broken")
    with pytest.raises(TransferError, match=complaint):
        await import_organization(
            writer=writer(target), document=change(exported, kr), slug="copy", now=NOW
        )
    assert (await target.list_organizations(after=None, limit=10)).total == 0


def _other_year(document: Document, kr: Document) -> Document:
    """`document` with the objective its linked key result serves moved to the next year."""
    changed: Document = json.loads(json.dumps(document))
    served = kr["aligned"][0]["objectiveId"]
    for o in changed["objectives"]:
        if o["id"] == served:
            o["year"] = kr["year"] + 1
    return changed
