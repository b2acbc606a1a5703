"""Response reuse: identical queries at the same read-model position share one answer.

Two requests get the same answer when they send the same document, operation name, variables
and extensions, are the same caller as far as the answer can tell (authentication off, or the
same organization, role and subject: a viewer and an admin never share), ask for the same
response form (`application/graphql-response+json` or not), are computed at the same instant
(every request computes at a whole second, `Answer.instant`, the key's too), and read the
organizations they read at the same positions of their logs. The first three are the `Key`; the
positions are what the answer read, kept with it and checked against the log before it is
served again: the check is the catch-up every request makes anyway (one small store read), so
an answer is never served once any organization it read has a newer change, on this instance
or another. Like GraphQL Yoga's response cache, but correct by construction rather than by
invalidation: nothing needs to be told of a write.

An answer is kept only when it is a query's whole answer (no error, no increment), and every
store read it made is covered by the positions (`COVERED`): the log and the documents and
check-ins its changes write. Anything else (webhooks, the list of organizations, a slug looked
up) is not in any organization's log, so an answer that read it is not kept.

Identical requests that arrive while the first is being computed wait for it rather than
compute it again (`ResponseReuse.answer`); they then check the positions like any other reuse,
since the computation may have read the log before a write they saw acknowledged. The body is
encoded once and served as it is, with an `ETag` (a GET that sends it back in If-None-Match is
answered 304 Not Modified). Memory is bounded by entries and by bytes, least recently used first.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from service.readmodel import ReadModel, Snapshot

MAX_ENTRIES = 1024
MAX_BYTES = 64 << 20
"""At most this many answers, and bytes of bodies and keys, per instance."""

COVERED = frozenset(
    {
        "changes_after",
        "last_change",
        "first_sequence",
        "page_changes",
        "load_organization",
        "get_check_ins",
        "find_check_in",
        "list_check_ins",
        "page_check_ins",
    }
)
"""Store reads whose answers only a change in the log of the organization read can alter: an
answer that made only these is fixed by the positions it read. (Data newer than a position read
means a newer position, which the check before serving refuses.)"""

ABSENT = -1
"""The position kept for an organization that did not exist when the answer was made."""


Key = tuple[object, ...]


def canonical(value: object) -> bytes:
    """A JSON value with its keys sorted: equal values, equal bytes."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def key_of(
    fields: Mapping[str, Any], *, caller: object, instant: datetime, form: object
) -> Key | None:
    """The key of a request's fields (query, operationName, variables, extensions), or None
    when they are not a request that can be reused (not strings and objects where those go)."""
    query = fields.get("query")
    name = fields.get("operationName")
    variables = fields.get("variables")
    extensions = fields.get("extensions")
    if not isinstance(query, str | None) or not isinstance(name, str | None):
        return None
    if not isinstance(variables, dict | None) or not isinstance(extensions, dict | None):
        return None
    if query is None and extensions is None:
        return None
    try:
        return (
            query,
            name,
            canonical(variables or {}),
            canonical(extensions or {}),
            caller,
            instant,
            form,
        )
    except TypeError:  # not JSON (a value orjson cannot write): not worth a key
        return None


@dataclass(frozen=True, slots=True)
class Answer:
    """An encoded answer, what it read, and its entity tag."""

    body: bytes
    media_type: str
    positions: tuple[tuple[str, int], ...]
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        digest = hashlib.blake2b(self.body, digest_size=16).hexdigest()
        object.__setattr__(self, "etag", f'"{digest}"')


@dataclass(slots=True)
class Reading:
    """What one computation of an answer did, told by the layers it passes: the store reads it
    made (`read`), and whether it was a query answered whole, without an error (`whole`)."""

    read: set[str] = field(default_factory=set)
    whole: bool = False
    fresh: dict[str, Snapshot | None] = field(default_factory=dict)
    """Organizations this request already brought up to their log (checking a kept answer):
    the computation reads them as they are instead of reading the log again."""

    def reusable(self) -> bool:
        return self.whole and self.read <= COVERED


_READING: ContextVar[Reading | None] = ContextVar("response_reading", default=None)


def reading() -> Reading | None:
    """The reading of the answer being computed in this context (None outside reuse)."""
    return _READING.get()


def store_read(name: str) -> None:
    """Note that the answer being computed made the store read `name`."""
    found = _READING.get()
    if found is not None:
        found.read.add(name)


@contextlib.contextmanager
def _reading(found: Reading) -> Iterator[None]:
    token = _READING.set(found)
    try:
        yield
    finally:
        _READING.reset(token)


Computed = tuple[Any, Answer | None]
"""What computing an answer gives: the response to send, and the answer to keep (None when it
cannot be reused)."""


class ResponseReuse:
    """Answers by key, checked against the log before reuse; computations shared while they
    run. `executions`, `reused` and `joined` count what happened (for tests and benchmarks)."""

    def __init__(
        self,
        reads: ReadModel,
        *,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        counted: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.reads = reads
        self.counted = counted
        """Told of each answer's outcome: "executed", "reused" or "joined" (metrics)."""
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._answers: OrderedDict[Key, Answer] = OrderedDict()
        self._bytes = 0
        self._computing: dict[Key, asyncio.Future[Answer | None]] = {}
        self.executions = 0
        self.reused = 0
        self.joined = 0

    def __len__(self) -> int:
        return len(self._answers)

    @property
    def size(self) -> int:
        """Bytes kept: bodies and the texts of their keys."""
        return self._bytes

    async def answer(
        self, key: Key, compute: Callable[[], Awaitable[Computed]]
    ) -> tuple[Answer | None, Any]:
        """The kept answer of `key` when every position it read is still the log's, else the
        one being computed for `key` (waited for, then checked the same way), else `compute()`'s
        (kept when it can be reused). Returns the answer, or None and `compute()`'s response."""
        fresh: dict[str, Snapshot | None] = {}
        kept = self._answers.get(key)
        if kept is not None:
            if await self._current(kept, fresh):
                self._answers.move_to_end(key)
                self.reused += 1
                self.counted("reused")
                return kept, None
            self._forget(key)
        running = self._computing.get(key)
        if running is not None:
            shared = await asyncio.shield(running)
            if shared is not None and await self._current(shared, fresh):
                self.joined += 1
                self.counted("joined")
                return shared, None
        return await self._compute(key, compute, fresh)

    async def _compute(
        self,
        key: Key,
        compute: Callable[[], Awaitable[Computed]],
        fresh: dict[str, Snapshot | None],
    ) -> tuple[Answer | None, Any]:
        pending: asyncio.Future[Answer | None] = asyncio.get_running_loop().create_future()
        leader = key not in self._computing
        if leader:
            self._computing[key] = pending
        self.executions += 1
        self.counted("executed")
        made: Answer | None = None
        try:
            with _reading(Reading(fresh=fresh)):
                response, made = await compute()
        finally:
            if leader:
                del self._computing[key]
                pending.set_result(made)
        if made is not None:
            self._keep(key, made)
        return made, response

    async def _current(self, answer: Answer, fresh: dict[str, Snapshot | None]) -> bool:
        """Whether every organization the answer read is still at the position it read (each
        as read now, kept in `fresh`)."""
        for org_id, position in answer.positions:
            now = fresh[org_id] = await self.reads.snapshot(org_id)
            if (ABSENT if now is None else now.position) != position:
                return False
        return True

    def _keep(self, key: Key, answer: Answer) -> None:
        size = _size(key, answer)
        if size > self.max_bytes:
            return
        self._forget(key)
        self._answers[key] = answer
        self._bytes += size
        while len(self._answers) > self.max_entries or self._bytes > self.max_bytes:
            evicted_key, evicted = self._answers.popitem(last=False)
            self._bytes -= _size(evicted_key, evicted)

    def _forget(self, key: Key) -> None:
        gone = self._answers.pop(key, None)
        if gone is not None:
            self._bytes -= _size(key, gone)


def _size(key: Key, answer: Answer) -> int:
    """The bytes an entry holds, as counted against the bound: its body and its key's texts
    (a document and its variables may be as large as a request)."""
    held = sum(len(part) for part in key if isinstance(part, str | bytes))
    return held + len(answer.body)


def positions_of(snapshots: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """The positions of the organizations a request read (`Loaders.snapshots`)."""
    found = [(org, ABSENT if held is None else held.position) for org, held in snapshots.items()]
    return tuple(sorted(found))


def request_fields(method: str, query_params: Mapping[str, str], body: object) -> dict[str, Any]:
    """A GET's query parameters (variables and extensions decoded) or a POST's decoded body,
    as the fields of a GraphQL request; empty when they are not one (left to Strawberry)."""
    if method == "POST":
        return body if isinstance(body, dict) else {}
    fields: dict[str, Any] = {}
    for name in ("query", "operationName"):
        if name in query_params:
            fields[name] = query_params[name]
    for name in ("variables", "extensions"):
        if name in query_params:
            try:
                fields[name] = orjson.loads(query_params[name])
            except orjson.JSONDecodeError:
                return {}
    return fields


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names `etag` (or `*`); weak tags compare as strong."""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False
