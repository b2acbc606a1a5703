"""The two references the dashboard benchmark serves beside `okrgraph serve`, each a bare
Starlette app on uvicorn (same ASGI server, same defaults, access log off):

- **raw** answers every POST with the bytes of a response captured from okrgraph: what HTTP,
  the ASGI server and the client cost, with no GraphQL at all;
- **floor** is plain graphql-core executing the request's document over the captured data as
  plain dicts, each field read by its response key (its alias, else its name), and each
  abstract type's object named by the `__typename` the data holds (captured with `typed`):
  what answering the query with GraphQL costs, with no store and no rollups. A document is
  parsed and validated once and cached by its text, and the result is encoded with orjson, as
  okrgraph encodes its own.

Run as `python -m tests.bench.references raw --body FILE --port 0` or
`python -m tests.bench.references floor --data FILE --port 0`; `reference()` does that for a test.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    NameNode,
    SelectionSetNode,
    Visitor,
    build_schema,
    execute,
    parse,
    print_ast,
    validate,
    visit,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.processes import listening

ROOT = Path(__file__).resolve().parents[2]
SDL = ROOT / "schema" / "schema.graphql"
ADDRESS = re.compile(r"reference: listening at (http://\S+)")


def raw_app(body: bytes) -> Starlette:
    """Answers every POST to /graphql with `body`, after reading the request as any server
    must."""

    async def graphql(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


class _Typenames(Visitor):
    """Adds `__typename` to every selection set that does not ask it."""

    def enter_selection_set(self, node: SelectionSetNode, *_: object) -> SelectionSetNode | None:
        asked = any(
            isinstance(s, FieldNode) and s.alias is None and s.name.value == "__typename"
            for s in node.selections
        )
        if asked:
            return None
        typename = FieldNode(name=NameNode(value="__typename"), directives=(), arguments=())
        return SelectionSetNode(selections=(*node.selections, typename))


def typed(source: str) -> str:
    """`source` asking `__typename` of every object it selects: sent to okrgraph once to
    capture data the floor can tell the types of (the floor then answers `source` itself, whose
    answer holds only what `source` asks)."""
    return print_ast(visit(parse(source), _Typenames()))


def by_response_key(source: Any, info: GraphQLResolveInfo[Any], **_: Any) -> Any:
    """The floor's one resolver: the value the captured data holds under the field's response
    key (its alias, else its name)."""
    return source.get(info.path.key) if isinstance(source, dict) else None


class Floor:
    """graphql-core over plain data: the schema from the checked-in SDL, the root value given."""

    def __init__(self, schema: GraphQLSchema, root: dict[str, Any]) -> None:
        self.schema = schema
        self.root = root
        self.documents: dict[str, DocumentNode | list[GraphQLError]] = {}

    def document(self, source: str) -> DocumentNode | list[GraphQLError]:
        """The parsed and validated document, or its errors; each text is checked once."""
        found = self.documents.get(source)
        if found is None:
            try:
                parsed = parse(source)
            except GraphQLError as error:
                found = [error]
            else:
                found = validate(self.schema, parsed) or parsed
            self.documents[source] = found
        return found

    def run_sync(self, payload: dict[str, Any]) -> ExecutionResult:
        """The answer to `payload`; the floor's resolvers are synchronous, never awaited."""
        document = self.document(payload["query"])
        if isinstance(document, list):
            return ExecutionResult(None, document)
        result = execute(
            self.schema,
            document,
            root_value=self.root,
            variable_values=payload.get("variables"),
            operation_name=payload.get("operationName"),
            field_resolver=by_response_key,
        )
        assert not inspect.isawaitable(result)
        return result

    async def run(self, payload: dict[str, Any]) -> ExecutionResult:
        """The answer to `payload` (a GraphQL-over-HTTP request body)."""
        return self.run_sync(payload)


def floor_app(root: dict[str, Any]) -> Starlette:
    """A GraphQL-over-HTTP endpoint (POST, JSON) executing with graphql-core over `root`."""
    floor = Floor(build_schema(SDL.read_text(encoding="utf-8")), root)

    async def graphql(request: Request) -> Response:
        result = await floor.run(orjson.loads(await request.body()))
        status = 200 if result.data is not None else 400
        return Response(orjson.dumps(result.formatted), status, media_type="application/json")

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


class _Server(uvicorn.Server):
    """Says where it listens once it does (with `--port 0`, the port the kernel chose)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            port = self.servers[0].sockets[0].getsockname()[1]
            print(f"reference: listening at http://{self.config.host}:{port}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["raw", "floor"])
    parser.add_argument("--body", type=Path, help="raw: the response bytes to send")
    parser.add_argument("--data", type=Path, help="floor: the root value, as JSON")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    if args.kind == "raw":
        if args.body is None:
            parser.error("raw needs --body")
        app = raw_app(args.body.read_bytes())
    else:
        if args.data is None:
            parser.error("floor needs --data")
        app = floor_app(orjson.loads(args.data.read_bytes()))
    config = uvicorn.Config(
        app, host=args.host, port=args.port, access_log=False, log_level="warning"
    )
    _Server(config).run()
    return 0


@contextlib.contextmanager
def reference(*args: str) -> Iterator[str]:
    """Run a reference as its own process (`args` as on its command line); yield its base URL;
    stop it with SIGTERM."""
    command = [sys.executable, "-m", "tests.bench.references", *args, "--port", "0"]
    with listening(command, ADDRESS, what=f"the {args[0]} reference", cwd=ROOT) as base:
        yield base


if __name__ == "__main__":
    sys.exit(main())
