"""Driver exceptions become domain errors here and nowhere else (after httpx's map_exceptions).

A unique-key clash is a `Conflict` (code DUPLICATE); any other driver failure (connection,
server selection, a refused operation) is `StoreUnavailable`: the caller learns that the store
failed, not how the driver phrased it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from service.domain.errors import Conflict, StoreUnavailable

DUPLICATE_KEY = 11000
DEFAULT_DUPLICATE = "a record with the same unique key exists already"


def is_duplicate(exc: BaseException) -> bool:
    """Whether a driver error is a unique-key clash (alone or inside a bulk write)."""
    if isinstance(exc, DuplicateKeyError):
        return True
    if isinstance(exc, BulkWriteError):
        errors = exc.details.get("writeErrors") or []
        return bool(errors) and all(e.get("code") == DUPLICATE_KEY for e in errors)
    return False


@contextmanager
def map_errors(*, duplicate: str = DEFAULT_DUPLICATE) -> Iterator[None]:
    """Translate driver exceptions raised inside the block; `duplicate` is the Conflict's
    message. The driver exception stays reachable as `__cause__`."""
    try:
        yield
    except PyMongoError as exc:
        if is_duplicate(exc):
            raise Conflict(duplicate) from exc
        raise StoreUnavailable(f"the store is unavailable ({type(exc).__name__})") from exc
