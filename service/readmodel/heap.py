"""Keeping the garbage collector's full collections short once a large year is in memory.

An organization of 100,000 key results is about 400,000 objects the collector tracks (its key
results, objectives and cycles). They live as long as the organization's position does, yet
every full collection walks them all: 100-200 ms with the interpreter held, in whichever
thread allocated last, so every request in flight waits that long; and planning and
evaluating a large year makes enough temporary objects to set off a full collection almost
every time. Measured beside a small query (tests/bench/test_no_stalls.py), these pauses, not
the evaluation's own computation, were the small query's slowest answers.

`settle_long_lived` is called before a large year is planned: one full collection, then every
object still alive moves into the collector's permanent generation (`gc.freeze`), so later
full collections walk only what was made since. The first call after an organization is
loaded pays for one walk of its objects; the next ones walk only what came since the last.
"""

from __future__ import annotations

import gc

GROWTH = 2.0
"""How many times the frozen objects may grow past what the last whole-heap collection froze
before the next settle collects the whole heap again."""

_frozen_after_whole: list[int] = [0]  # the freeze count the last whole-heap collection left


def settle_long_lived() -> None:
    """Collect every generation, then move every object still alive out of the collector's
    sight.

    Frozen objects stay alive exactly as long as before: reference counting frees them when
    their last reference goes (an old position's key results and plans hold no reference
    cycles). What the collector does not free while frozen is a reference cycle among frozen
    objects that becomes unreachable later (a request in flight that ends in a cycle). So that
    such memory is bounded, not held until the process ends: once the frozen objects have
    grown past GROWTH times what the last whole-heap collection froze, this settle hands every
    object back to the collector and collects the whole heap (one long pause, paid once per
    such growth). The collection first means no garbage is frozen.
    """
    whole = gc.get_freeze_count() == 0  # nothing frozen yet: this collection walks it all
    gc.collect()
    gc.freeze()
    if not whole and gc.get_freeze_count() > GROWTH * _frozen_after_whole[0]:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        whole = True
    if whole:
        _frozen_after_whole[0] = gc.get_freeze_count()
