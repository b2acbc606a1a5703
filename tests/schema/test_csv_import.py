"""organizationImportCsv through the schema, signed in, on mongomock and nx-27017: a dry run
reports and stores nothing, apply is one change, a bad row refuses the whole file, the same
file twice changes nothing, and only admins import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from mongomock_motor import AsyncMongoMockClient
from pymongo import AsyncMongoClient

from schema.api import schema
from schema.context import signed_in_context
from service.auth import Principal, Role
from service.okrs import csv_rows
from service.okrs.commit import Writer
from service.readmodel import ReadModel
from service.store.mongo import MongoStore
from tests.faults.conftest import nx_uri as nx_uri  # the session's nx-27017, shared
from tests.schema.conftest import NOW, no_internals
from tests.schema.operations import CSV_IMPORT, ORGANIZATION_CREATE

HEADER = "Objective,Parent,Key Result,Owner Email,Department,Kind,Start,Target,Current,Due\r\n"
FILE = (
    "\ufeff"
    + HEADER
    + "Increase the sales close rate by 20%,,,ceo@acme.test,,,,,,2027\r\n"
    + "Fill the funnel,Increase the sales close rate by 20%,,,Marketing,,,,,2027-Q1\r\n"
    + 'Fill the funnel,,"Obtain 1,000 MQLs",mia@acme.test,Marketing,INCREASE,0,1000,400,2027-Q1\r\n'
)
OBJECTIVES = """
query Objectives($id: ID!) {
  node(id: $id) { ... on Organization {
    cycles { label objectives { nodes {
      title owner { email } keyResults { title currentValue targetValue owner { email name } }
    } } }
  } }
}"""


@dataclass
class Signed:
    """Requests of one signed-in principal against one store."""

    store: MongoStore
    database: Any
    warm: bool
    role: Role = Role.ADMIN

    def __post_init__(self) -> None:
        self.reads = ReadModel(self.store)
        self.writer = Writer(self.store, self.reads)

    async def raw(self, query: str, /, **variables: Any) -> Any:
        """One request; through the kept read model when `warm`, else a read model of its own."""
        principal = Principal(subject="ana", organization="acme", role=self.role)
        context = await signed_in_context(
            self.store,
            principal,
            reads=self.reads if self.warm else None,
            writer=self.writer if self.warm else None,
            clock=lambda: NOW,
        )
        return await schema.execute(query, variable_values=variables, context_value=context)

    async def __call__(self, query: str, /, **variables: Any) -> dict[str, Any]:
        result = await self.raw(query, **variables)
        assert result.errors is None, [e.formatted for e in result.errors]
        (payload,) = result.data.values()
        return dict(payload)

    async def dump(self) -> dict[str, list[dict[str, Any]]]:
        return {
            name: sorted(
                await self.database[name].find({}).to_list(None), key=lambda d: str(d["_id"])
            )
            for name in sorted(await self.database.list_collection_names())
        }

    async def changes(self) -> int:
        return int(await self.database["changes"].count_documents({}))


@pytest.fixture(params=["mongomock", "nx"])
def backend_uri(request: pytest.FixtureRequest) -> str | None:
    """The backend's URI (None in process); sync, so the session's nx-27017 starts outside
    any test's event loop."""
    return request.getfixturevalue("nx_uri") if request.param == "nx" else None


@pytest.fixture
async def admin(backend_uri: str | None, read_mode: str) -> AsyncIterator[Signed]:
    name = f"csv_{uuid4().hex[:12]}"
    client: AsyncMongoClient[dict[str, Any]] | None = None
    if backend_uri is None:
        database: Any = AsyncMongoMockClient(tz_aware=True)[name]
    else:
        client = AsyncMongoClient(backend_uri, tz_aware=True)
        database = client[name]
    store = MongoStore(database)
    await store.ensure_indexes()
    try:
        yield Signed(store, database, warm=read_mode == "shared")
    finally:
        if client is not None:
            await client.drop_database(name)
            await client.close()


async def organization(admin: Signed) -> str:
    made = await admin(ORGANIZATION_CREATE, input={"name": "Acme", "slug": "acme"})
    assert made["userErrors"] == []
    # Ana's first request to the organization makes her a member (one change): done here,
    # before the tests compare the store or count changes.
    await admin.raw("{ __typename }")
    return str(made["organization"]["id"])


async def test_a_dry_run_reports_every_row_and_stores_nothing(admin: Signed) -> None:
    org = await organization(admin)
    before = await admin.dump()
    done = await admin(CSV_IMPORT, input={"organizationId": org, "csv": FILE, "dryRun": True})
    assert await admin.dump() == before
    assert (done["dryRun"], done["applied"], done["userErrors"]) == (True, False, [])
    assert [(r["line"], r["item"], r["action"], r["creates"]) for r in done["rows"]] == [
        (2, "OBJECTIVE", "CREATE", ["cycle 2027", "member ceo@acme.test"]),
        (3, "OBJECTIVE", "CREATE", ["department Marketing"]),
        (4, "KEY_RESULT", "CREATE", ["member mia@acme.test"]),
    ]


async def test_apply_is_one_change_and_the_same_file_twice_changes_nothing(admin: Signed) -> None:
    org = await organization(admin)
    changes = await admin.changes()
    done = await admin(CSV_IMPORT, input={"organizationId": org, "csv": FILE})
    assert (done["applied"], done["userErrors"]) == (True, [])
    assert await admin.changes() == changes + 1
    seen = await admin(OBJECTIVES, id=org)
    q1 = next(c for c in seen["cycles"] if c["label"] == "2027-Q1")
    assert q1["objectives"]["nodes"] == [
        {
            "title": "Fill the funnel",
            "owner": None,
            "keyResults": [
                {
                    "title": "Obtain 1,000 MQLs",
                    "currentValue": 400.0,
                    "targetValue": 1000.0,
                    "owner": {"email": "mia@acme.test", "name": "mia"},
                }
            ],
        }
    ]
    before = await admin.dump()
    again = await admin(CSV_IMPORT, input={"organizationId": org, "csv": FILE})
    assert again["applied"] is False
    assert {r["action"] for r in again["rows"]} == {"UNCHANGED"}
    assert await admin.dump() == before


async def test_a_bad_row_refuses_the_whole_file_with_line_column_and_code(admin: Signed) -> None:
    org = await organization(admin)
    bad = FILE + "Fill the funnel,,Flat,,,,5,five,,2027-Q1\r\n"
    bad += "Fill the funnel,,Up,,,UPWARD,0,1,,2027-Q1\r\n"
    before = await admin.dump()
    done = await admin(CSV_IMPORT, input={"organizationId": org, "csv": bad})
    assert await admin.dump() == before
    assert (done["applied"], done["organization"]) == (False, None)
    assert [r["action"] for r in done["rows"]] == ["CREATE"] * 3 + ["REFUSED"] * 2
    errors = [(e["line"], e["column"], e["code"]) for r in done["rows"] for e in r["errors"]]
    assert errors == [(5, "target", "INVALID_VALUE"), (6, "kind", "INVALID_VALUE")]
    assert [(e["field"], e["code"]) for e in done["userErrors"]] == [
        (["input", "csv"], "INVALID_VALUE"),
        (["input", "csv"], "INVALID_VALUE"),
    ]
    for error in done["userErrors"]:
        no_internals(error["message"])


async def test_a_file_past_the_limit_is_a_coded_user_error(admin: Signed) -> None:
    org = await organization(admin)
    huge = HEADER + "x" * csv_rows.MAX_BYTES
    before = await admin.dump()
    done = await admin(CSV_IMPORT, input={"organizationId": org, "csv": huge})
    assert await admin.dump() == before
    (error,) = done["userErrors"]
    assert (error["field"], error["code"]) == (["input", "csv"], "INVALID_VALUE")
    assert "512 KiB" in error["message"]


async def test_an_unknown_organization_is_not_found(admin: Signed) -> None:
    org = await organization(admin)
    other = org[:-4] + ("0000" if not org.endswith("0000") else "1111")
    done = await admin(CSV_IMPORT, input={"organizationId": other, "csv": FILE})
    (error,) = done["userErrors"]
    assert error["code"] in ("NOT_FOUND", "INVALID_ID")


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
async def test_only_admins_import(admin: Signed, role: Role) -> None:
    org = await organization(admin)
    admin.role = role
    before = await admin.dump()
    result = await admin.raw(CSV_IMPORT, input={"organizationId": org, "csv": FILE})
    assert [(e.extensions or {}).get("code") for e in result.errors] == ["FORBIDDEN"]
    assert await admin.dump() == before
