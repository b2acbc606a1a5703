"""The two pages a browser gets, the dashboard at `/` and GraphiQL at `/graphql`, and the
Content-Security-Policy each is sent with.

Both load every script, style and font from the service itself, so the policy allows nothing
from anywhere else: a page that works here works on an air-gapped network, and an injected
`<script>` or a script from another host does not run.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

DASHBOARD_PAGE = Path(__file__).parent / "static" / "dashboard" / "index.html"
CSP_HEADER = "Content-Security-Policy"

_STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # CSP level 3: 'self' covers the WebSocket to the same host and port (subscriptions).
    "connect-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# An inline <script> with no src attribute: its exact text is what the browser hashes.
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def policy(**directives: str) -> str:
    """The strict policy, with the given directives (`script_src="..."`) replacing its own."""
    merged = _STRICT | {name.replace("_", "-"): value for name, value in directives.items()}
    return "; ".join(f"{name} {value}" for name, value in merged.items())


DASHBOARD_CSP = policy()


def graphiql_headers(page: str) -> dict[str, str]:
    """The headers of the GraphiQL page (a new dict each time: the caller may add to it)."""
    return {CSP_HEADER: _graphiql_policy(page)}


@functools.cache
def _graphiql_policy(page: str) -> str:
    """The inline bootstrap script is allowed by its hash, computed from the page itself so
    that an edit of the page cannot get out of step; GraphiQL and CodeMirror set inline
    styles, and GraphiQL's stylesheet embeds its fonts as data: URLs."""
    hashes = " ".join(_source_hash(script) for script in _INLINE_SCRIPT.findall(page))
    return policy(
        script_src=f"'self' {hashes}".strip(),
        style_src="'self' 'unsafe-inline'",
        font_src="'self' data:",
    )


def _source_hash(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return f"'sha256-{digest}'"


async def dashboard(request: Request) -> Response:
    """The live dashboard: a static page whose script asks `/graphql` for everything."""
    return FileResponse(
        DASHBOARD_PAGE,
        media_type="text/html",
        headers={CSP_HEADER: DASHBOARD_CSP, "Cache-Control": "no-cache"},
    )
