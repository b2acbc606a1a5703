"""What the kit's tests share: the operations on disk, the demo in an in-process store at a
fixed instant, and requests that name a document by its hash."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from mongomock_motor import AsyncMongoMockClient

from service.okrs.commit import Writer
from service.okrs.demo import seed_demo
from service.persisted import sha256_hex
from service.readmodel import ReadModel
from service.store.interface import Store
from service.store.mongo import MongoStore

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ROOT / "schema" / "operations"
SDL_FILE = ROOT / "schema" / "schema.graphql"
TODAY = date(2027, 5, 10)
NOW = datetime(2027, 5, 10, 12, tzinfo=UTC)


def operation_files() -> list[Path]:
    return sorted(OPERATIONS.glob("*.graphql"))


def document(name: str) -> str:
    """The text of `schema/operations/<name>.graphql`."""
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


def memory_store(name: str = "okrgraph_kit") -> MongoStore:
    return MongoStore(AsyncMongoMockClient(tz_aware=True)[name])


def reads(store: Store) -> ReadModel:
    """A read model of the store, for one test."""
    return ReadModel(store)


def writer(store: Store) -> Writer:
    """A writer into the store, for one test."""
    return Writer(store, ReadModel(store))


async def demo_store(name: str = "okrgraph_kit") -> MongoStore:
    """A fresh in-process store holding the demo organization as of TODAY."""
    store = memory_store(name)
    await store.ensure_indexes()
    seeded = await seed_demo(writer=Writer(store, ReadModel(store)), today=TODAY)
    assert seeded.organization is not None
    return store


def persisted(sha256: str) -> dict[str, Any]:
    """The `extensions` of an automatic persisted query."""
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


async def by_hash(
    client: httpx.AsyncClient,
    name: str,
    variables: dict[str, Any] | None = None,
    *,
    with_query: bool = False,
) -> httpx.Response:
    """POST the registered operation `name` by the hash of its file (with its text too when
    `with_query`)."""
    text = document(name)
    body: dict[str, Any] = {
        "operationName": name,
        "variables": variables or {},
        "extensions": persisted(sha256_hex(text)),
    }
    if with_query:
        body["query"] = text
    return await client.post("/graphql", json=body)


def data_of(response: httpx.Response) -> dict[str, Any]:
    """The `data` of a successful GraphQL response (no errors)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    found: dict[str, Any] = body["data"]
    return found


def error_code(response: httpx.Response) -> str:
    """The code of a response's only error."""
    assert response.status_code == 200, response.text
    [error] = response.json()["errors"]
    code: str = error["extensions"]["code"]
    return code
