"""The front-end kit: `schema/operations/*.graphql` are valid against the schema (the code's
and the checked-in SDL that codegen reads), named as their files, and together they carry a
single-page app through its screens against the demo, within the service's limits."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    parse,
    validate,
)

from schema.api import schema
from service.app import create_app
from service.config import Settings
from tests.app.test_app import serving
from tests.kit.kit import NOW, OPERATIONS, SDL_FILE, by_hash, data_of, demo_store, operation_files

# The screens of the SPA (issue 8, front-end kit), and what each operation is.
EXPECTED = {
    "Organizations": OperationType.QUERY,
    "Dashboard": OperationType.QUERY,
    "ObjectiveDetail": OperationType.QUERY,
    "KeyResultDetail": OperationType.QUERY,
    "CheckInCreate": OperationType.MUTATION,
    "ProgressChanged": OperationType.SUBSCRIPTION,
}


def parsed(path: Path) -> DocumentNode:
    return parse(path.read_text(encoding="utf-8"))


def operations(doc: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]


def fragments(doc: DocumentNode) -> list[FragmentDefinitionNode]:
    return [d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)]


def test_the_kit_has_an_operation_for_every_screen() -> None:
    assert {path.stem for path in operation_files()} == set(EXPECTED)


@pytest.mark.parametrize("path", operation_files(), ids=lambda p: p.stem)
def test_each_file_validates_against_the_code_and_the_checked_in_sdl(path: Path) -> None:
    doc = parsed(path)
    assert validate(schema._schema, doc) == []
    assert validate(build_schema(SDL_FILE.read_text(encoding="utf-8")), doc) == []


@pytest.mark.parametrize("path", operation_files(), ids=lambda p: p.stem)
def test_each_file_holds_the_one_operation_its_name_says(path: Path) -> None:
    """Each file is a whole document (its fragments inside, so its text is what a client sends
    and what trusted documents register), and its fragments carry its name as a prefix."""
    doc = parsed(path)
    [operation] = operations(doc)
    assert operation.name is not None
    assert operation.name.value == path.stem
    assert operation.operation is EXPECTED[path.stem]
    for fragment in fragments(doc):
        assert fragment.name.value.startswith(path.stem), fragment.name.value


def test_operation_and_fragment_names_are_unique_across_the_kit() -> None:
    """graphql-codegen generates one type per name over every document."""
    names = Counter(
        definition.name.value
        for path in operation_files()
        for definition in parsed(path).definitions
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
        and definition.name is not None
    )
    assert [name for name, count in names.items() if count > 1] == []


async def test_the_screens_run_on_the_demo_by_hash_alone_in_trusted_documents_mode() -> None:
    """Organizations → Dashboard → ObjectiveDetail → KeyResultDetail → CheckInCreate, each sent
    as the SHA-256 of its file: no errors, under the default depth and cost limits."""
    settings = Settings(auth="disabled", trusted_documents=OPERATIONS)
    app = create_app(settings, store=await demo_store(), clock=lambda: NOW)
    async with serving(app) as client:
        [org] = data_of(await by_hash(client, "Organizations"))["organizations"]["nodes"]
        assert org["slug"] == "acme-inbound"
        assert org["currentCycle"]["label"] == "2027-Q2"
        assert len(org["cycles"]) == 5

        quarter = org["currentCycle"]["id"]
        variables = {"organizationId": org["id"], "cycleId": quarter}
        dashboard = data_of(await by_hash(client, "Dashboard", variables))
        assert {d["name"] for d in dashboard["organization"]["departments"]} == {
            "Marketing",
            "Sales",
        }
        objectives = dashboard["cycle"]["objectives"]["nodes"]
        key_results = [k for o in objectives for k in o["keyResults"]]
        statuses = {k["progress"]["status"] for k in key_results}
        assert {"ON_TRACK", "OFF_TRACK"} <= statuses
        blocked = [k for k in key_results if k["progress"]["blockedBy"]]
        assert blocked, "the demo's Sales key result is held back by Marketing's"

        top = next(o for o in objectives if o["department"] is None)
        detail = data_of(await by_hash(client, "ObjectiveDetail", {"id": top["id"]}))["node"]
        assert detail["title"] == top["title"]
        assert len(detail["children"]) == 2
        assert len(detail["actionPlan"]) == 3
        assert detail["pathToMission"][-1]["level"] == "MISSION"
        assert detail["progress"]["explanation"]["formula"]

        kr = blocked[0]
        series = {
            "id": kr["id"],
            "from": datetime(2027, 4, 1, tzinfo=UTC).isoformat(),
            "to": NOW.isoformat(),
            "interval": "WEEK",
        }
        page = data_of(await by_hash(client, "KeyResultDetail", series))["node"]
        assert page["dependsOn"], "the blocked key result names what it depends on"
        assert page["checkIns"]["totalCount"] == len(page["checkIns"]["edges"]) > 2
        assert page["forecast"] is not None
        assert page["progressSeries"]

        check_in = {"input": {"keyResultId": kr["id"], "value": 48.0, "idempotencyKey": "kit-1"}}
        made = data_of(await by_hash(client, "CheckInCreate", check_in))["checkInCreate"]
        assert made["userErrors"] == []
        assert made["created"] is True
        assert made["keyResult"]["currentValue"] == 48.0
