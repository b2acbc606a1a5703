"""Large years freeze the heap before they are planned (service/readmodel/heap.py); each test
here hands the test process's heap back to the garbage collector afterwards."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    """`gc.unfreeze()` after the test."""
    yield
    gc.unfreeze()
