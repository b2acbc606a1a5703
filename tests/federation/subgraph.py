"""Run in its own interpreter by the test: builds the subgraph (which keys the entity types for
the whole process), queries `_service` and `_entities`, and prints the results as JSON."""

from __future__ import annotations

import asyncio
import json
from datetime import date

from mongomock_motor import AsyncMongoMockClient

from schema.api import build_schema
from schema.context import Context, build_context
from schema.ids import to_global_id
from service.auth import Principal, Role
from service.okrs.commit import Writer
from service.okrs.demo import seed_demo
from service.readmodel import ReadModel
from service.store.mongo import MongoStore


async def main() -> None:
    store = MongoStore(AsyncMongoMockClient()["federation"])
    await store.ensure_indexes()
    reads = ReadModel(store)
    seeded = await seed_demo(writer=Writer(store, reads), today=date(2027, 5, 10))
    assert seeded.organization is not None
    org = seeded.organization.id
    held = await reads.snapshot(org)
    assert held is not None
    departments = held.department_list()
    subgraph = build_schema(federation=True, router="router")
    nobody = build_schema(federation=True)

    async def signed_in(subject: str) -> Context:
        context = build_context(store, reads=reads, authenticated=True)
        await context.sign_in(Principal(subject, "acme-inbound", Role.ADMIN))
        return context

    service = "{ _service { sdl } }"
    sdl = await subgraph.execute(service, context_value=await signed_in("router"))
    refusals = [
        await subgraph.execute(service, context_value=await signed_in("ana")),
        await subgraph.execute(service, context_value=build_context(store)),
        await nobody.execute(service, context_value=await signed_in("router")),
    ]
    representations = [
        {"__typename": "Organization", "id": to_global_id("Organization", org, org)},
        {"__typename": "Department", "id": to_global_id("Department", org, departments[0].id)},
        {"__typename": "KeyResult", "id": to_global_id("KeyResult", org, "0" * 32)},
    ]
    entities = await subgraph.execute(
        """query($r: [_Any!]!) { _entities(representations: $r) {
          ... on Organization { name } ... on Department { name } ... on KeyResult { title } } }""",
        variable_values={"r": representations},
        context_value=build_context(store),
    )
    print(
        json.dumps(
            {
                "sdl": sdl.data["_service"]["sdl"] if sdl.data else None,
                "sdl_errors": [e.message for e in sdl.errors or []],
                "refusals": [
                    [(e.extensions or {}).get("code") for e in r.errors or []] for r in refusals
                ],
                "refused_data": [r.data for r in refusals],
                "entities": entities.data["_entities"] if entities.data else None,
                "entity_errors": [e.message for e in entities.errors or []],
            }
        )
    )


asyncio.run(main())
