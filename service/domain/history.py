"""Check-in history prepared once, read at many instants (time travel and series, DOMAIN.md §6).

`History.reading(key_result, as_of)` equals `progress.reading(start, points, as_of=as_of)` for
the same points (a property test holds it to that), but costs a binary search instead of a scan,
so a chart of many points over a large organization stays cheap.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from service.domain.progress import Point, Reading


class History:
    """Every key result's check-ins, sorted by (time, key), ready for lookups at any instant."""

    def __init__(self, points: Mapping[str, Iterable[Point]]) -> None:
        self._order: dict[str, list[tuple[datetime, str]]] = {}
        self._values: dict[str, list[float]] = {}
        for key_result_id, given in points.items():
            ordered = sorted(given, key=lambda p: (p.at, p.key))
            self._order[key_result_id] = [(p.at, p.key) for p in ordered]
            self._values[key_result_id] = [p.value for p in ordered]

    @classmethod
    def of(cls, points: Iterable[tuple[str, Point]]) -> History:
        """A history from (key result id, point) pairs in any order."""
        grouped: dict[str, list[Point]] = defaultdict(list)
        for key_result_id, point in points:
            grouped[key_result_id].append(point)
        return cls(grouped)

    def reading(self, key_result_id: str, start_value: float, as_of: datetime) -> Reading:
        """The value at `as_of`: the newest check-in at or before it, else the start value."""
        order = self._order.get(key_result_id)
        if not order:
            return Reading(value=start_value, checked_in=False)
        # Every key sorts after "" and before "\uffff": the last point at or before `as_of`.
        index = bisect.bisect_right(order, (as_of, "\uffff"))
        if index == 0:
            return Reading(value=start_value, checked_in=False)
        return Reading(value=self._values[key_result_id][index - 1], checked_in=True)

    def points(self, key_result_id: str, *, since: datetime, until: datetime) -> list[Point]:
        """The check-ins of one key result in [since, until], oldest first."""
        order = self._order.get(key_result_id, [])
        values = self._values.get(key_result_id, [])
        low = bisect.bisect_left(order, (since, ""))
        high = bisect.bisect_right(order, (until, "\uffff"))
        return [Point(at=order[i][0], value=values[i], key=order[i][1]) for i in range(low, high)]
