"""Work handed to a worker thread that stops when the request waiting for it is cancelled.

A thread cannot be interrupted: cancelling the task that awaits `asyncio.to_thread` only stops
the waiting, and the computation runs on to its end, holding the interpreter and a worker of the
default executor (which the process joins before it exits). `off_loop` gives the work a `check`
to call between slices: once the awaiting task is cancelled (a request's deadline, a server
stopping), the next `check` raises `Stopped` and the thread is free again within one slice.

A worker thread computing in pure Python holds the interpreter until the interpreter's switch
interval asks it to let go (5 ms by default), and the event loop, coming back from a socket,
waits for that each time: a small request that touches the loop a dozen times waited tens of
milliseconds beside a 100,000 key result evaluation (tests/bench/test_no_stalls.py).
`share_interpreter` shortens the interval to `SWITCH_INTERVAL` for the whole process before
work goes to a thread; one thread alone never switches, so the computation itself runs as fast.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

SLICE = 2_000
"""Items between two checks of `sliced`: a few milliseconds of work each."""


SWITCH_INTERVAL = 0.001
"""Seconds a thread holds the interpreter while another waits for it, once work runs off the
event loop: the loop waits at most this long at each return to it."""


def share_interpreter() -> None:
    """The interpreter's switch interval at most `SWITCH_INTERVAL`, for the whole process."""
    if sys.getswitchinterval() > SWITCH_INTERVAL:
        sys.setswitchinterval(SWITCH_INTERVAL)


class Stopped(Exception):
    """Raised by `check` in the worker thread once nobody waits for the work any more."""


async def off_loop(work: Callable[[Callable[[], None]], T]) -> T:
    """`work(check)` computed in a worker thread; if the awaiting task is cancelled, `check`
    raises `Stopped` from then on (and work not started yet never starts)."""
    stop = threading.Event()
    share_interpreter()

    def check() -> None:
        if stop.is_set():
            raise Stopped

    try:
        return await asyncio.to_thread(work, check)
    except asyncio.CancelledError:
        stop.set()
        raise


def sliced(items: Iterable[T], check: Callable[[], None], size: int = SLICE) -> Iterator[T]:
    """`items`, calling `check` before every `size` of them."""
    for index, item in enumerate(items):
        if index % size == 0:
            check()
        yield item
