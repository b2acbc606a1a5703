"""The hostile-request corpus: each case is refused with a 4xx or a coded GraphQL error (or, for
another organization's ids, answered exactly as an unknown id is), never with a 5xx, never
with internals in the body, and stores nothing unless storing plain text is the point."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.security.cases import CASES
from tests.security.conftest import Corpus
from tests.security.model import (
    Answered,
    Call,
    Case,
    Refused,
    Retried,
    SameAs,
    Status,
    Stored,
    UserError,
)
from tests.security.world import snapshot

# What a body must never show: tracebacks, source files, module paths, driver and framework
# names, Python exception classes (`Syntax Error:` of GraphQL has a space; UserError is ours).
INTERNALS = re.compile(
    "|".join(
        (
            r"Traceback",
            r'File "',
            r"\.py\b",
            r"\bline \d+, in\b",
            r"\b(?:service|schema|tests)\.[a-z_]+",
            r"\b(?:pymongo|mongomock|motor|bson|starlette|strawberry|uvicorn|cryptography)\b",
            r"\b(?:graphql|jwt)\.[a-z_]+",
            r"site-packages|/work/|/usr/|/home/",
            r"\b(?!UserError)[A-Z][A-Za-z]*(?:Error|Exception)\b",
            r" object at 0x[0-9a-f]+",
            r"Internal server error",
        )
    )
)


async def send(corpus: Corpus, call: Call) -> httpx.Response:
    headers = [(name.encode(), value.encode()) for name, value in call.headers]
    if call.content_type is not None:
        headers.append((b"content-type", call.content_type.encode()))
    authorization = call.authorization
    if authorization is None and call.token is not None:
        authorization = f"Bearer {corpus.env.tokens[call.token]}"
    if authorization is not None:
        raw = authorization if isinstance(authorization, bytes) else authorization.encode()
        headers.append((b"authorization", raw))
    content: bytes | AsyncIterator[bytes] | None = call.body
    if call.chunked and call.body is not None:
        content = chunks(call.body)
    return await corpus.clients[call.app].request(
        call.method, call.path, content=content, params=call.params, headers=headers
    )


async def chunks(body: bytes, size: int = 1 << 16) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def clean(response: httpx.Response) -> dict[str, Any] | None:
    """Checks every answer: no 5xx, no internals, no name of the schema suggested (the apps
    have introspection off), a code on every error, and no cache may keep an answer of the
    API. The JSON body, if any."""
    assert response.status_code < 500, response.text[:500]
    text = response.content.decode("utf-8", errors="replace")
    leak = INTERNALS.search(text)
    assert leak is None, f"{leak.group(0)!r} in {text[:500]}"
    assert "Did you mean" not in text, text[:500]
    if response.request.url.path == "/graphql":  # the answers that depend on the caller
        assert response.headers.get("cache-control") == "private, no-store", response.headers
        assert "authorization" in response.headers.get("vary", "").lower(), response.headers
    if "json" not in response.headers.get("content-type", ""):
        return None
    body = json.loads(text)
    assert isinstance(body, dict), text[:500]
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str), error
        assert code != "INTERNAL_SERVER_ERROR", error
    return body


def only_nulls(data: Any) -> bool:
    return data is None or all(value is None for value in data.values())


def check(case: Case, response: httpx.Response, body: dict[str, Any] | None) -> None:
    expect = case.expect
    if isinstance(expect, Status):
        assert response.status_code == expect.status, response.text[:500]
    elif isinstance(expect, Refused):
        assert response.status_code == expect.status, response.text[:500]
        assert body is not None, response.text[:500]
        assert body.get("errors"), response.text[:500]
        assert expect.code in {e["extensions"]["code"] for e in body["errors"]}, body["errors"]
        assert only_nulls(body.get("data")), body["data"]
    elif isinstance(expect, UserError | Stored):
        assert response.status_code == 200, response.text[:500]
        assert body is not None, response.text[:500]
        assert "errors" not in body, response.text[:500]
        (payload,) = body["data"].values()
        codes = [e["code"] for e in payload["userErrors"]]
        if isinstance(expect, UserError):
            assert expect.code in codes, payload
            assert all(v is None for k, v in payload.items() if k != "userErrors"), payload
        else:
            assert codes == [], payload
    elif isinstance(expect, Answered):
        assert response.status_code == 200, response.text[:500]
        assert body is not None, response.text[:500]
        assert "errors" not in body, response.text[:500]
        assert not only_nulls(body.get("data")), body
    elif isinstance(expect, SameAs) and body is not None:
        # Whatever the twin answers, a mutation must not have gone through.
        for payload in (body.get("data") or {}).values():
            if isinstance(payload, dict) and "userErrors" in payload:
                assert payload["userErrors"], payload


async def stored(corpus: Corpus, text: str) -> bool:
    """Whether some stored document holds `text`, exactly, as a value."""
    documents = (await snapshot(corpus.database)).values()
    return any(text in doc.values() for docs in documents for doc in docs)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_a_hostile_request_is_refused_cleanly(case: Case, corpus: Corpus) -> None:
    first = None
    if isinstance(case.expect, Retried):
        sent = clean(await send(corpus, case.expect.first(corpus.env)))
        assert sent is not None, "no JSON"
        assert sent.get("data"), sent
        first = sent["data"]["checkInCreate"]
        assert first["created"] is True, first
    before = await snapshot(corpus.database)
    response = await send(corpus, case.make(corpus.env))
    body = clean(response)
    if isinstance(case.expect, Stored):
        assert await stored(corpus, case.expect.text), response.text[:500]
    else:
        assert await snapshot(corpus.database) == before, "the request changed the store"
    if isinstance(case.expect, SameAs):
        twin = await send(corpus, case.expect.twin(corpus.env))
        clean(twin)
        assert await snapshot(corpus.database) == before, "the twin changed the store"
        assert response.status_code == twin.status_code
        assert case.expect.normalize(response.text) == twin.text
    check(case, response, body)
    if first is not None:
        assert body is not None
        again = body["data"]["checkInCreate"]
        assert again == {**first, "created": False}, (first, again)


def test_the_corpus_covers_every_category_with_distinct_names() -> None:
    names = Counter(case.name for case in CASES)
    assert [name for name, count in names.items() if count > 1] == []
    assert len(CASES) >= 150
    per_category = Counter(case.category for case in CASES)
    assert min(per_category.values()) >= 3, per_category
