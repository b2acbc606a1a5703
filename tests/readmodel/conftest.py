"""Large years freeze the heap before they are planned (service/readmodel/heap.py) and work off
the event loop shortens the interpreter's switch interval (service/readmodel/offloop.py); each
test here hands the test process's heap back to the garbage collector and puts the interval
back afterwards."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    """`gc.unfreeze()` and the switch interval of before, after the test."""
    interval = sys.getswitchinterval()
    yield
    gc.unfreeze()
    sys.setswitchinterval(interval)
