"""Persisted queries: Apollo's automatic persisted queries (APQ) and trusted documents.

APQ: a client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": <hex>}` without a
query. A known hash runs its document; an unknown one is answered with the error
`PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND, HTTP 200, as Apollo Server answers),
and the client sends the hash again with the full query, which is checked against the hash,
remembered and run. Over GET (`?extensions=...&variables=...&operationName=...`) a query's URL
stays short and the same for every client; mutations are still refused. (Answers depend on the
caller's token, so no HTTP cache may keep one: see `private` in service/app.py. The server itself
reuses an answer for the same caller while the log has not moved, with an `ETag` that a GET may
send back for a 304: see service/reuse.py.)
The documents are remembered in a bounded LRU in each instance's memory: an instance that has
not seen a hash answers NOT_FOUND and the client retries with the query, which is the protocol,
so several instances behind a load balancer need no shared cache.

Trusted documents (`OKRGRAPH_TRUSTED_DOCUMENTS=schema/operations`): only registered documents
run. A document is registered by the SHA-256 of its text: each `*.graphql` file of the directory
as written (and as graphql-js `print` writes it), and each entry of a `*.json` manifest mapping
SHA-256 hashes to documents (graphql-codegen's `persisted-documents.json` with
`hashAlgorithm: 'sha256'`). A client sends the hash alone (`extensions.persistedQuery`) or the
whole text; anything else is refused before it is parsed: an unknown hash with code
PERSISTED_QUERY_NOT_ALLOWED, an unregistered text with OPERATION_NOT_ALLOWED. This holds over
HTTP (POST, GET, server-sent events) and WebSocket alike; nothing is added to the cache.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError, parse, print_ast
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage

from service.auth import ConfigurationError

MAX_ENTRIES = 1000
MAX_CHARS = 8_000_000  # about 8 MB of documents per instance, however many entries that is
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PersistedCode(enum.StrEnum):
    """The `extensions.code` of a refused persisted query."""

    NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
    OPERATION_NOT_ALLOWED = "OPERATION_NOT_ALLOWED"


class PersistedQueryError(Exception):
    """A request refused by the persisted-query rules; `code` says which."""

    def __init__(self, code: PersistedCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_graphql_error(self) -> GraphQLError:
        return GraphQLError(self.message, extensions={"code": self.code.value})


class TrustedDocumentsError(ConfigurationError):
    """The trusted-documents directory cannot be used (missing, empty, or a bad document)."""


def sha256_hex(text: str) -> str:
    """The SHA-256 of a document's UTF-8 text, in lowercase hex: its persisted-query hash."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class QueryCache:
    """Documents by hash, least recently used evicted first, bounded in entries and size."""

    def __init__(self, *, max_entries: int = MAX_ENTRIES, max_chars: int = MAX_CHARS) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._chars = 0

    def __len__(self) -> int:
        return len(self._documents)

    def get(self, sha256: str) -> str | None:
        found = self._documents.get(sha256)
        if found is not None:
            self._documents.move_to_end(sha256)
        return found

    def put(self, sha256: str, document: str) -> None:
        if len(document) > self.max_chars:
            return
        previous = self._documents.pop(sha256, None)
        if previous is not None:
            self._chars -= len(previous)
        self._documents[sha256] = document
        self._chars += len(document)
        while len(self._documents) > self.max_entries or self._chars > self.max_chars:
            _, evicted = self._documents.popitem(last=False)
            self._chars -= len(evicted)


@dataclasses.dataclass(frozen=True, slots=True)
class TrustedDocuments:
    """The registered documents by the SHA-256 of their text."""

    documents: Mapping[str, str]

    @classmethod
    def load(cls, directory: Path) -> TrustedDocuments:
        """Every `*.graphql` file of `directory` and every `*.json` manifest in it; a file that
        does not parse, or a manifest entry whose hash is not its document's, is refused."""
        if not directory.is_dir():
            raise TrustedDocumentsError(f"trusted documents: {directory} is not a directory")
        found: dict[str, str] = {}
        for path in sorted(directory.glob("*.graphql")):
            text = path.read_text(encoding="utf-8")
            printed = print_ast(_parsed(text, str(path)))
            found[sha256_hex(text)] = text
            found[sha256_hex(printed)] = printed
        for path in sorted(directory.glob("*.json")):
            found.update(_manifest(path))
        if not found:
            raise TrustedDocumentsError(
                f"trusted documents: no *.graphql file or *.json manifest in {directory}"
            )
        return cls(documents=found)

    def get(self, sha256: str) -> str | None:
        return self.documents.get(sha256)

    def allows(self, document: str) -> bool:
        return sha256_hex(document) in self.documents


def _parsed(text: str, where: str) -> DocumentNode:
    try:
        return parse(text)
    except GraphQLSyntaxError as error:
        raise TrustedDocumentsError(f"trusted documents: {where}: {error.message}") from error


def _manifest(path: Path) -> dict[str, str]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise TrustedDocumentsError(f"trusted documents: {path} is not JSON") from error
    if not isinstance(entries, dict):
        raise TrustedDocumentsError(f"trusted documents: {path} is not a {{hash: document}} map")
    for sha256, document in entries.items():
        if not isinstance(document, str) or sha256_hex(document) != sha256.lower():
            raise TrustedDocumentsError(
                f"trusted documents: {path}: {sha256} is not the SHA-256 of its document "
                "(graphql-codegen: set persistedDocuments.hashAlgorithm to 'sha256')"
            )
        _parsed(document, f"{path}: {sha256}")
    return {sha256.lower(): document for sha256, document in entries.items()}


class PersistedQueries:
    """The persisted-query rules of one app: APQ with a cache, or trusted documents only."""

    def __init__(
        self, *, trusted: TrustedDocuments | None = None, cache: QueryCache | None = None
    ) -> None:
        self.trusted = trusted
        self.cache = cache if cache is not None else QueryCache()

    @classmethod
    def configure(cls, trusted_documents: Path | None) -> PersistedQueries:
        """APQ, or trusted documents only when a directory is named (TrustedDocumentsError
        when it cannot be used)."""
        if trusted_documents is None:
            return cls()
        return cls(trusted=TrustedDocuments.load(trusted_documents))

    def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
        """The document to run: `query`, or the one its persisted-query hash names; raises
        PersistedQueryError for a request the rules refuse."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            self._check_trusted(query)
            return query
        sha256 = _hash_of(persisted)
        if not query:
            return self._lookup(sha256)
        if sha256_hex(query) != sha256:
            raise PersistedQueryError(
                PersistedCode.HASH_MISMATCH,
                "provided sha256Hash does not match the query's SHA-256",
            )
        self._check_trusted(query)
        if self.trusted is None:
            self.cache.put(sha256, query)
        return query

    def apply(
        self, data: GraphQLRequestData | list[GraphQLRequestData]
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request with its document resolved (every request of a batch)."""
        if isinstance(data, list):
            return [self._resolved(item) for item in data]
        return self._resolved(data)

    def _resolved(self, data: GraphQLRequestData) -> GraphQLRequestData:
        query = self.resolve(data.query, data.extensions)
        return data if query is data.query else dataclasses.replace(data, query=query)

    def _lookup(self, sha256: str) -> str:
        if self.trusted is not None:
            found = self.trusted.get(sha256)
            if found is None:
                raise PersistedQueryError(
                    PersistedCode.NOT_ALLOWED,
                    "this server runs registered documents only, and this hash is not one",
                )
            return found
        cached = self.cache.get(sha256)
        if cached is None:
            # The message is the protocol's: clients match it to retry with the query.
            raise PersistedQueryError(PersistedCode.NOT_FOUND, "PersistedQueryNotFound")
        return cached

    def _check_trusted(self, query: str | None) -> None:
        if self.trusted is not None and query and not self.trusted.allows(query):
            raise PersistedQueryError(
                PersistedCode.OPERATION_NOT_ALLOWED,
                "this server runs registered documents only (schema/operations/), and this "
                "document is not one",
            )


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, Mapping) or persisted.get("version") != 1:
        raise PersistedQueryError(
            PersistedCode.NOT_SUPPORTED,
            "PersistedQueryNotSupported: send persistedQuery {version: 1, sha256Hash}",
        )
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256.lower()):
        raise PersistedQueryError(
            PersistedCode.NOT_SUPPORTED,
            "PersistedQueryNotSupported: sha256Hash must be 64 hexadecimal digits",
        )
    return sha256.lower()


def websocket_handlers(
    rules: PersistedQueries,
) -> tuple[type[BaseGraphQLTransportWSHandler[Any, Any]], type[BaseGraphQLWSHandler[Any, Any]]]:
    """The two WebSocket protocols' handlers with `rules` applied to each operation: a refused
    one gets an `error` message for its id, and the connection stays open."""

    class TransportWS(BaseGraphQLTransportWSHandler[Any, Any]):
        async def handle_subscribe(self, message: SubscribeMessage) -> None:
            payload = message["payload"]
            if self.connection_acknowledged and message["id"] not in self.operations:
                try:
                    payload["query"] = _resolved_text(rules, payload)
                except PersistedQueryError as refused:
                    error = refused.as_graphql_error().formatted
                    await self.send_message(
                        {"id": message["id"], "type": "error", "payload": [error]}
                    )
                    return
            await super().handle_subscribe(message)

    class LegacyWS(BaseGraphQLWSHandler[Any, Any]):
        async def handle_start(self, message: StartMessage) -> None:
            payload = message["payload"]
            if self.connection_acknowledged:
                try:
                    payload["query"] = _resolved_text(rules, payload)
                except PersistedQueryError as refused:
                    error = refused.as_graphql_error().formatted
                    await self.send_message(
                        {"type": "error", "id": message["id"], "payload": error}
                    )
                    return
            await super().handle_start(message)

    return TransportWS, LegacyWS


def _resolved_text(rules: PersistedQueries, payload: Mapping[str, Any]) -> str:
    extensions = payload.get("extensions")
    query = rules.resolve(
        payload.get("query"), extensions if isinstance(extensions, dict) else None
    )
    return query or ""
