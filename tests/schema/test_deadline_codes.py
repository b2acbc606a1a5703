"""An operation past its deadline answers TIMEOUT, whatever its cancelled work made of the
cancellation: a store call cut off by the deadline is the deadline, not an outage."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError
from pymongo.errors import AutoReconnect
from strawberry.schema.config import StrawberryConfig

from schema.execution import configured
from service.domain.errors import StoreUnavailable
from service.store.reads import MongoReads

DEADLINE = 0.05


class Driver:
    """A driver call that hangs until cancelled, and then fails as PyMongo's does when a task
    is cancelled mid-command: its connection is closed and it reports a connection failure."""

    def __init__(self) -> None:
        self.cancelled = 0

    async def call(self) -> int:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise AutoReconnect("127.0.0.1:27017: connection closed") from None
        return 1


def store_over(_driver: Driver) -> MongoReads:
    return MongoReads(database=None)


@strawberry.type
class Query:
    @strawberry.field
    async def translated(self, info: strawberry.Info) -> int | None:
        """A resolver that reports a store outage as a field error, as resolvers do."""
        driver: Driver = info.context["driver"]
        try:
            return await store_over(driver)._call(driver.call)
        except StoreUnavailable as error:
            code = {"code": error.code.value}
            raise GraphQLError("the store is unavailable", extensions=code) from error

    @strawberry.field
    async def swallowed(self, info: strawberry.Info) -> int | None:
        """A resolver that makes whatever fails a null with an error (a store outage)."""
        driver: Driver = info.context["driver"]
        try:
            return await driver.call()
        except AutoReconnect as error:
            code = {"code": "STORE_UNAVAILABLE"}
            raise GraphQLError("the store is unavailable", extensions=code) from error


schema = strawberry.Schema(
    Query,
    config=StrawberryConfig(),
    execution_context_class=configured(deadline=DEADLINE, quiet=True),
)


def codes(result: Any) -> list[str]:
    return [e.extensions["code"] for e in result.errors or []]


async def test_a_store_call_cut_off_by_the_deadline_raises_the_cancellation() -> None:
    driver = Driver()
    task = asyncio.ensure_future(store_over(driver)._call(driver.call))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert driver.cancelled == 1


async def test_a_store_call_failing_on_its_own_is_an_outage() -> None:
    async def failing() -> int:
        raise AutoReconnect("127.0.0.1:27017: connection refused")

    with pytest.raises(StoreUnavailable):
        await store_over(Driver())._call(failing)


@pytest.mark.parametrize("field", ["translated", "swallowed"])
async def test_an_operation_past_its_deadline_is_coded_timeout_never_store_unavailable(
    field: str,
) -> None:
    driver = Driver()
    result = await schema.execute(f"{{ {field} }}", context_value={"driver": driver})
    assert driver.cancelled == 1
    assert result.data is None
    assert codes(result) == ["TIMEOUT"]
