"""The pages a browser gets, in process: the dashboard at `/` and GraphiQL at `/graphql`, each
with a Content-Security-Policy that allows nothing but the service itself, and files that name
no other host."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from service.app import create_app
from service.config import Settings
from service.pages import DASHBOARD_CSP
from tests.app.test_app import memory_store, serving

SERVICE = Path(__file__).parents[2] / "service"
DASHBOARD_FILES = sorted((SERVICE / "static" / "dashboard").iterdir())
BROWSER = {"accept": "text/html,application/xhtml+xml"}
# An XML namespace is a name that is never fetched; SVG elements need it.
NAMESPACES = {"http://www.w3.org/2000/svg"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with serving(
        create_app(Settings(demo=False, auth="disabled"), store=memory_store())
    ) as client:
        yield client


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def sha256(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


async def test_the_dashboard_is_served_at_the_root_under_a_strict_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/", headers=BROWSER)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = directives(page.headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]  # GraphQL over HTTP and the WebSocket
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in DASHBOARD_CSP
    assert "<script>" not in page.text  # no inline script: the policy would refuse it


async def test_the_dashboard_files_are_served_by_the_service(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert sorted(assets) == ["/static/dashboard/app.css", "/static/dashboard/app.js"]
    for url, kind in zip(sorted(assets), ["text/css", "text/javascript"], strict=True):
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(kind), url
        assert asset.content == (SERVICE / url.removeprefix("/")).read_bytes()


@pytest.mark.parametrize(
    "path", [*DASHBOARD_FILES, SERVICE / "graphiql.html"], ids=lambda path: path.name
)
def test_a_page_names_no_other_host(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"'`)<>%]+", text)) - NAMESPACES  # %22: a quote
    assert urls == set()
    # Every src and href is a path on this service (or a data: URL, for an icon).
    for reference in re.findall(r'(?:src|href)="([^"]*)"', text):
        assert reference.startswith(("/static/", "/graphql", "data:")), reference
        assert not reference.startswith("//"), reference


async def test_graphiql_allows_its_inline_script_by_hash_and_no_other(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers=BROWSER)

    policy = directives(page.headers["content-security-policy"])
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert len(inline) == 1  # the bootstrap that starts GraphiQL
    assert policy["script-src"] == ["'self'", sha256(inline[0])]
    assert policy["connect-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    # What GraphiQL needs besides: inline styles (CodeMirror), fonts embedded as data: URLs.
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["font-src"] == ["'self'", "data:"]


async def test_with_authentication_on_the_dashboard_page_is_public_and_its_data_is_not() -> None:
    settings = Settings(jwt_secret="a-test-signing-key-that-is-long-enough-32", demo=False)
    async with serving(create_app(settings, store=memory_store())) as client:
        page = await client.get("/", headers=BROWSER)
        data = await client.post("/graphql", json={"query": "{ organizations { totalCount } }"})

    assert page.status_code == 200  # the page holds no data: it asks for a token on 401
    assert "content-security-policy" in page.headers
    assert data.status_code == 401
