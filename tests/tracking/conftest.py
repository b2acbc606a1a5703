"""Tracking features through the schema, over the seed's world built by the use cases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from schema.api import schema
from schema.context import build_context
from schema.ids import to_global_id
from tests.okrs.conftest import NOW, Backend, World, build_world
from tests.okrs.conftest import backend as backend  # the fixture, shared

Run = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
async def world(backend: Backend) -> World:
    return await build_world(backend.writer)


@pytest.fixture
def gql(backend: Backend) -> Run:
    """Execute a query at NOW (or `now=`), failing on any top-level error; returns the data."""

    async def run(query: str, *, now: datetime = NOW, **variables: Any) -> dict[str, Any]:
        context = build_context(
            backend.store, reads=backend.reads, writer=backend.writer, clock=lambda: now
        )
        result = await schema.execute(query, variable_values=variables, context_value=context)
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data

    return run


def gid(type_name: str, org_id: str, local_id: str) -> str:
    return to_global_id(type_name, org_id, local_id)
