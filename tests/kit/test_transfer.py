"""`okrgraph export` and `okrgraph import`: an organization moved to another store under a new
slug keeps every number, and the command line wires both to the store flags."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from service import cli
from service.domain.model import CycleKind, KeyResult, Objective
from service.domain.rollup import Evaluation, Standing
from service.okrs import check_ins
from service.okrs.demo import DEMO_SLUG
from service.readmodel.scopes import department_progress, organization_progress
from service.store.interface import Store
from service.store.mongo import MongoStore
from service.transfer import FORMAT, export_organization, import_organization, read_holdings
from service.transfer_codec import TransferError
from tests.kit.kit import NOW, demo_store, memory_store, reads, writer

Numbers = dict[str, Any]
_EXPORTED: list[str] = []


async def demo_export() -> dict[str, Any]:
    """The demo's export, made once (as JSON text: each test gets its own copy)."""
    if not _EXPORTED:
        store = await demo_store("demo_export")
        exported = await export_organization(reads=reads(store), slug=DEMO_SLUG, now=NOW)
        _EXPORTED.append(json.dumps(exported))
    found: dict[str, Any] = json.loads(_EXPORTED[0])
    return found


def numbers(progress: Standing | None, ids: Mapping[str, str]) -> Numbers | None:
    """A progress's numbers and status, with the ids it names translated by `ids`."""
    if progress is None:
        return None
    return {
        "value": progress.value,
        "attainment": progress.attainment,
        "expected": progress.expected,
        "status": progress.status,
        "current": progress.current,
        "blocked_by": [ids[i] for i in progress.blocked_by],
        "formula": progress.explanation.formula,
        "inputs": [(i.label, i.value, i.weight) for i in progress.explanation.inputs],
        "reason": progress.explanation.status_reason,
    }


async def evaluated(store: Store, slug: str, ids: Mapping[str, str]) -> dict[str, Any]:
    """The progress of every key result, objective, cycle, department (in each cycle) and the
    organization (each year), keyed by the ids `ids` gives them, at NOW."""
    read = reads(store)
    org_id = await read.organization_id(slug)
    assert org_id is not None
    held = await read.snapshot(org_id)
    assert held is not None
    found: dict[str, Any] = {}
    for year in sorted({c.year for c in held.cycles.values()}):
        evaluation: Evaluation = held.year(year).evaluated(NOW)
        for kr_id, progress in evaluation.key_result_progress.items():
            found[f"key result {ids[kr_id]}"] = numbers(progress, ids)
        for objective_id, progress in evaluation.objective_progress.items():
            found[f"objective {ids[objective_id]}"] = numbers(progress, ids)
        for cycle in held.cycle_list(year):
            found[f"cycle {ids[cycle.id]}"] = numbers(evaluation.cycle(cycle.id), ids)
            for department in held.department_list():
                progress = department_progress(held, evaluation, department.id, cycle.id)
                found[f"department {ids[department.id]} in {ids[cycle.id]}"] = numbers(
                    progress, ids
                )
        found[f"organization {year}"] = numbers(organization_progress(held, evaluation, year), ids)
    return found


async def histories(store: Store, slug: str, ids: Mapping[str, str]) -> dict[str, Any]:
    """Every key result's check-ins, oldest first, and its stored current state."""
    snapshot = await read_holdings(reads=reads(store), slug=slug)
    found: dict[str, Any] = {}
    for kr in snapshot.key_results:
        found[ids[kr.id]] = {
            "current": (kr.current_value, kr.last_check_in_at, kr.confidence, kr.score),
            "check_ins": [
                (c.value, c.recorded_at, c.confidence, c.note, c.author, c.idempotency_key)
                for c in snapshot.check_ins
                if c.key_result_id == kr.id
            ],
        }
    return found


async def test_a_round_trip_to_another_store_leaves_every_number_identical() -> None:
    source = await demo_store("transfer_source")
    exported = await export_organization(reads=reads(source), slug=DEMO_SLUG, now=NOW)
    text = json.dumps(exported, allow_nan=False)  # plain JSON, as the command line writes it
    target = memory_store("transfer_target")
    await target.ensure_indexes()
    imported = await import_organization(
        writer=writer(target), document=json.loads(text), slug="copy", now=NOW
    )
    assert imported.organization.slug == "copy"
    assert (
        imported.organization.id
        != (await read_holdings(reads=reads(source), slug=DEMO_SLUG)).organization.id
    )

    same = {new: new for new in imported.ids.values()}
    before = await evaluated(source, DEMO_SLUG, imported.ids)
    after = await evaluated(target, "copy", same)
    # Its 13 key results, 7 objectives, 5 cycles, 2 departments in each cycle, 1 organization.
    assert len(before) == 13 + 7 + 5 + 2 * 5 + 1
    assert after == before
    assert await histories(target, "copy", same) == await histories(source, DEMO_SLUG, imported.ids)
    assert sum(len(h["check_ins"]) for h in (await histories(target, "copy", same)).values()) > 50

    # The rest comes back too: export the copy, and only ids, slug and stamp differ.
    again = await export_organization(reads=reads(target), slug="copy", now=NOW)
    assert _without_ids(again) == _without_ids(exported) | {"organization": _org(again)}


async def test_an_imported_check_in_sent_again_with_its_key_is_found_not_stored_twice() -> None:
    exported = await demo_export()
    target = memory_store("transfer_retry")
    await target.ensure_indexes()
    into = writer(target)
    imported = await import_organization(writer=into, document=exported, slug="retry", now=NOW)
    *_, first = (c for c in exported["checkIns"] if c["idempotencyKey"])  # in an open cycle
    again = await check_ins.record_check_in(
        writer=into,
        org_id=imported.organization.id,
        key_result_id=imported.ids[first["keyResultId"]],
        value=first["value"],
        recorded_at=datetime.fromisoformat(first["recordedAt"]),
        now=NOW,
        confidence=first["confidence"],
        note=first["note"],
        author=first["author"],
        idempotency_key=first["idempotencyKey"],
    )
    assert not again.created
    assert again.check_in.value == first["value"]
    held = await read_holdings(reads=reads(target), slug="retry")
    assert len(held.check_ins) == len(exported["checkIns"])


def _org(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document["organization"].items() if k != "id"}


def _without_ids(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with every id-valued field blanked (ids are new after an import)."""
    id_fields = {
        "id",
        "parentId",
        "cycleId",
        "objectiveId",
        "keyResultId",
        "departmentId",
        "dependsOn",
        "keyResultIds",
        "carriedOverFrom",
        "ownerId",
        "lastCheckInId",
        "idempotencyKey",  # the demo's keys embed the old key result ids
    }
    blank: dict[str, Any] = {}
    for key, value in document.items():
        if key == "organization":
            blank[key] = _org(document)
        elif isinstance(value, list):
            blank[key] = [{k: v for k, v in item.items() if k not in id_fields} for item in value]
    return blank


async def test_the_export_holds_every_kind_of_item_in_plain_json() -> None:
    exported = await demo_export()
    assert exported["format"] == FORMAT
    assert exported["exportedAt"] == "2027-05-10T12:00:00+00:00"
    assert exported["organization"]["policy"]["onTrackRatio"] == 0.75
    counts = {key: len(value) for key, value in exported.items() if isinstance(value, list)}
    assert counts == {
        "departments": 2,
        "cycles": 5,
        "objectives": 7,
        "keyResults": 13,
        "checkIns": counts["checkIns"],
        "actionSteps": 3,
        "initiatives": 4,
        "members": 3,
    }
    people = {m["id"]: m["email"] for m in exported["members"]}
    assert {people.get(k["ownerId"]) for k in exported["keyResults"]} == {
        "marta@acme-inbound.example",
        "sergio@acme-inbound.example",
        None,  # the unsubscribe limit: nobody owns it yet
    }
    assert any(k["dependsOn"] for k in exported["keyResults"])
    assert any(c["closed"] and c["closedAt"] for c in exported["cycles"])
    # The demo's key results were created when their quarter started.
    starts = {c["id"]: c["startsAt"] for c in exported["cycles"]}
    assert all(k["createdAt"] == starts[k["cycleId"]] for k in exported["keyResults"])


async def test_an_export_made_before_creation_times_were_kept_imports_without_them() -> None:
    exported = await demo_export()
    for k in exported["keyResults"]:
        del k["createdAt"]
    target = memory_store("transfer_old")
    await target.ensure_indexes()
    await import_organization(writer=writer(target), document=exported, slug="old", now=NOW)
    snapshot = await read_holdings(reads=reads(target), slug="old")
    assert len(snapshot.key_results) == 13
    assert {k.created_at for k in snapshot.key_results} == {None}
    assert {c["kind"] for c in exported["cycles"]} == {CycleKind.YEAR, CycleKind.QUARTER}


async def test_an_export_made_before_members_has_its_owners_migrated_on_import() -> None:
    """Free-text `owner`s become members as `okrgraph migrate-owners` makes them: one per
    text (case and blanks aside), an email kept as the member's email."""
    exported = await demo_export()
    del exported["members"]
    texts = ["Marta (Marketing)", "marta  (marketing)", "sergio@acme.example"]
    for n, item in enumerate([*exported["objectives"], *exported["keyResults"]]):
        del item["ownerId"]
        item["owner"] = texts[n % 3]
    for step in exported["actionSteps"]:
        del step["ownerId"]
    for initiative in exported["initiatives"]:
        initiative["ownerId"] = None
    target = memory_store("transfer_owners")
    await target.ensure_indexes()
    await import_organization(writer=writer(target), document=exported, slug="owners", now=NOW)
    held = await read_holdings(reads=reads(target), slug="owners")
    by_id = {m.id: m for m in held.members}
    assert sorted((m.name, m.email.endswith("@members.invalid")) for m in held.members) == [
        ("Marta (Marketing)", True),
        ("sergio", False),
    ]
    owned: list[Objective | KeyResult] = [*held.objectives, *held.key_results]
    assert all(o.legacy_owner is None and o.owner_id in by_id for o in owned)
    assert {by_id[k.owner_id or ""].email for k in held.key_results} >= {"sergio@acme.example"}
    # Exported again, the members and owners come back as they are.
    again = await export_organization(reads=reads(target), slug="owners", now=NOW)
    assert len(again["members"]) == 2
    assert all(o["legacyOwner"] is None for o in again["objectives"])


async def test_an_import_refuses_a_slug_that_exists_and_writes_nothing() -> None:
    store = await demo_store()
    exported = await export_organization(reads=reads(store), slug=DEMO_SLUG, now=NOW)
    before = (await store.list_organizations(after=None, limit=10)).total
    with pytest.raises(TransferError, match="exists already"):
        await import_organization(writer=writer(store), document=exported, now=NOW)
    assert (await store.list_organizations(after=None, limit=10)).total == before
    copied = await import_organization(
        writer=writer(store), document=exported, slug="acme-copy", now=NOW
    )
    assert copied.organization.slug == "acme-copy"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        pytest.param(lambda d: {**d, "format": "other"}, "not an okrgraph export", id="format"),
        pytest.param(lambda d: {**d, "version": 99}, "unsupported export version", id="version"),
        pytest.param(lambda d: {**d, "cycles": {}}, "cycles: expected a list", id="not-a-list"),
        pytest.param(
            lambda d: _first(d, "keyResults", startValue="ten"),
            r"keyResults\[0\].startValue",
            id="not-a-number",
        ),
        pytest.param(
            lambda d: _first(d, "checkIns", recordedAt="2027-05-01T12:00:00"),
            "UTC offset",
            id="naive-time",
        ),
        pytest.param(
            lambda d: _first(d, "cycles", kind="WEEK"), "not a CycleKind", id="unknown-enum"
        ),
        pytest.param(
            lambda d: _first(d, "objectives", cycleId="elsewhere"),
            "does not hold",
            id="dangling-reference",
        ),
        pytest.param(
            lambda d: _drop(d, "keyResults", "title"), "missing title", id="missing-field"
        ),
        pytest.param(
            lambda d: {**d, "departments": d["departments"] * 2}, "used twice", id="duplicate-ids"
        ),
        pytest.param(
            lambda d: _first(d, "checkIns", value=1.7e308),
            r"checkIns\[0\].value: value must be between",
            id="value-past-the-bounds",
        ),
        pytest.param(
            lambda d: _first(d, "keyResults", startValue=0, targetValue=5e-324, kind="INCREASE"),
            r"keyResults\[0\].targetValue: target and start must differ",
            id="target-at-start",
        ),
        pytest.param(
            lambda d: _first(d, "keyResults", startValue=-2e15),
            r"keyResults\[0\].startValue",
            id="start-past-the-bounds",
        ),
        pytest.param(
            lambda d: _first(d, "initiatives", cost=5e-324),
            r"initiatives\[0\].cost: cost must be 0",
            id="cost-almost-zero",
        ),
        pytest.param(
            lambda d: _first(d, "initiatives", expectedValue=float("inf")),
            r"initiatives\[0\].expectedValue",
            id="expected-value-infinite",
        ),
    ],
)
async def test_an_import_of_a_broken_document_says_why_and_writes_nothing(
    change: Any, complaint: str
) -> None:
    exported = await demo_export()
    target = memory_store("broken_target")
    with pytest.raises(TransferError, match=complaint):
        await import_organization(
            writer=writer(target), document=change(exported), slug="copy", now=NOW
        )
    assert (await target.list_organizations(after=None, limit=10)).total == 0


def _first(document: dict[str, Any], key: str, **changes: Any) -> dict[str, Any]:
    first, *rest = document[key]
    return {**document, key: [{**first, **changes}, *rest]}


def _drop(document: dict[str, Any], key: str, field: str) -> dict[str, Any]:
    first, *rest = document[key]
    return {**document, key: [{k: v for k, v in first.items() if k != field}, *rest]}


@pytest.mark.parametrize("slug", ["new-org\n", "Not A Slug", ""])
async def test_an_import_under_a_slug_the_api_refuses_is_refused(slug: str) -> None:
    exported = await demo_export()
    target = memory_store("bad_slug_target")
    with pytest.raises(TransferError, match="slug must be lowercase"):
        await import_organization(writer=writer(target), document=exported, slug=slug, now=NOW)
    assert (await target.list_organizations(after=None, limit=10)).total == 0


async def test_an_export_of_an_unknown_slug_is_refused() -> None:
    with pytest.raises(TransferError, match="no organization"):
        await export_organization(reads=reads(memory_store()), slug="nobody", now=NOW)


# The command line -----------------------------------------------------------------------------
def test_export_and_import_run_from_the_command_line_with_the_store_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each command opens the store its flags name (here two in-process databases, one per
    --mongodb-uri), exports to a file and imports from it; both refuse what they cannot do."""
    stores: dict[str, MongoStore] = {}

    @asynccontextmanager
    async def open_store(
        *,
        mongodb_uri: str | None,
        data_dir: Path | None,
        database: str = "okrgraph",
        selection_timeout: float = 1.5,
    ) -> AsyncIterator[MongoStore]:
        assert mongodb_uri is not None
        yield stores[mongodb_uri]

    async def seed() -> None:
        stores["mongodb://source"] = await demo_store("cli_source")
        stores["mongodb://target"] = memory_store("cli_target")

    asyncio.run(seed())
    monkeypatch.setattr(cli, "open_store", open_store)
    output = tmp_path / "acme.json"
    source, target = ["--mongodb-uri", "mongodb://source"], ["--mongodb-uri", "mongodb://target"]

    assert cli.main(["export", "--org", DEMO_SLUG, "--output", str(output), *source]) == 0
    assert json.loads(output.read_text())["organization"]["slug"] == DEMO_SLUG
    assert cli.main(["import", str(output), "--slug", "acme-copy", *target]) == 0
    assert "imported 'Acme Inbound' as acme-copy" in capsys.readouterr().out
    assert cli.main(["import", str(output), "--slug", "acme-copy", *target]) == 1
    assert "exists already" in capsys.readouterr().err

    assert cli.main(["export", "--org", "acme-copy", *target]) == 0
    printed = json.loads(capsys.readouterr().out)  # no --output: the JSON on stdout alone
    assert printed["organization"]["slug"] == "acme-copy"
    assert cli.main(["export", "--org", "nobody", *target]) == 1
    assert "no organization" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{")
    assert cli.main(["import", str(tmp_path / "bad.json"), *target]) == 1
    assert "not JSON" in capsys.readouterr().err
