"""The per-organization event sequence: atomic, gapless, separate per organization."""

from __future__ import annotations

import asyncio

from service.store.interface import Store


async def test_sequences_count_from_one_per_organization(store: Store) -> None:
    assert [await store.next_sequence("a") for _ in range(3)] == [1, 2, 3]
    assert await store.next_sequence("b") == 1
    assert await store.next_sequence("a") == 4


async def test_concurrent_increments_never_share_or_skip_a_number(store: Store) -> None:
    numbers = await asyncio.gather(*(store.next_sequence("org") for _ in range(40)))
    assert sorted(numbers) == list(range(1, 41))
