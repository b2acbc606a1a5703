"""Years of OKRs kept in memory between requests, checked against the store on every use.

Loading an organization's year is the cost of every rollup (a thousand key results take
about 0.1 s to read); it changes only on writes. Each use first reads the organization's
version (one small read, `Store.version`); only when that moved is the year read again. Every
instance keeps its own cache and sees every other instance's writes through the version, so
nothing has to be told to forget anything.
"""

from __future__ import annotations

from collections import OrderedDict

from service.store.interface import Store, YearScope


class YearCache:
    """At most `capacity` years, least recently used out first; safe to share by all requests
    of a process (entries are immutable values)."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._years: OrderedDict[tuple[str, int], tuple[int, YearScope]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def load_year(self, store: Store, org_id: str, year: int) -> YearScope:
        """The year as the store holds it now."""
        key = (org_id, year)
        # The version is read before the year: a write racing with the read leaves an entry
        # tagged with the older version, which the next use reads again.
        version = await store.version(org_id)
        found = self._years.get(key)
        if found is not None and found[0] == version:
            self.hits += 1
            self._years.move_to_end(key)
            return found[1]
        self.misses += 1
        scope = await store.load_year(org_id, year)
        self._years[key] = (version, scope)
        self._years.move_to_end(key)
        while len(self._years) > self.capacity:
            self._years.popitem(last=False)
        return scope
