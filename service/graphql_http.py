"""`/graphql` over HTTP and WebSocket: Strawberry's ASGI view with the store's context, sign-in
by bearer token, GraphiQL from local files, content negotiation, persisted queries and the reuse
of identical answers (service/reuse.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import orjson
import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, OperationType
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, GraphQLRequestProtocol
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from schema.context import Context, build_context, signed_in_context
from service.answers import member_inactive, single_connection_refused, unauthenticated
from service.auth import (
    AuthError,
    Deactivated,
    Principal,
    TokenExpired,
    Verifier,
    bearer,
)
from service.domain.errors import StoreUnavailable
from service.expiry import expiry_handlers
from service.http_rules import (
    GRAPHQL_RESPONSE,
    Running,
    accepts_graphql_response,
    is_request_error,
    reusable_request,
    wants_ide,
)
from service.live import Feeds, live_handlers
from service.negotiation import (
    NO_STREAM,
    is_single_connection_request,
    is_subscription,
    operation_type,
    protocol_for,
)
from service.outage import outage_handlers, store_unavailable
from service.pages import graphiql_headers
from service.persisted import PersistedQueries, PersistedQueryError, websocket_handlers
from service.readmodel.scopes import whole_second
from service.request_json import decode_request_json
from service.reuse import (
    Answer,
    key_of,
    matches,
    positions_of,
    reading,
    request_fields,
)

HERE = Path(__file__).parent
GRAPHIQL_PAGE = HERE / "graphiql.html"


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with the store's context, GraphiQL from local files, and the
    GraphQL-over-HTTP rules for clients that accept `application/graphql-response+json`: that
    content type, and status 400 without `data` for a request that could not be executed."""

    def __init__(
        self,
        schema: strawberry.Schema,
        running: Running,
        clock: Callable[[], datetime],
        verifier: Verifier | None = None,
        allowed_origins: Sequence[str] = (),
        persisted: PersistedQueries | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_WS_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
                MULTIPART_SUBSCRIPTION_PROTOCOL,  # Apollo Client's HttpLink
            ),
            keep_alive=True,
            keep_alive_interval=15,
            allowed_origins=allowed_origins,
        )
        self._running = running
        self._clock = clock
        self._verifier = verifier
        self._page = GRAPHIQL_PAGE.read_text(encoding="utf-8")
        self._persisted = persisted or PersistedQueries()
        transport_ws: type[BaseGraphQLTransportWSHandler[Any, Any]] = BaseGraphQLTransportWSHandler
        legacy_ws: type[BaseGraphQLWSHandler[Any, Any]] = BaseGraphQLWSHandler
        if self._persisted.trusted is not None:
            # Subscriptions too: only registered documents run over the WebSocket.
            transport_ws, legacy_ws = websocket_handlers(self._persisted)
        # Over WebSockets, identical subscriptions share one rendering of each event.
        self.feeds = Feeds(schema, self.encode_json_string)
        self.graphql_transport_ws_handler_class, self.graphql_ws_handler_class = live_handlers(
            self.feeds, *expiry_handlers(*outage_handlers(transport_ws, legacy_ws))
        )

    def encode_json(self, data: object) -> str:
        """JSON as Strawberry writes it (no spaces), by orjson: a dashboard's 60 KB in a tenth
        of the time. Text, not bytes, so WebSocket frames stay text frames. What orjson refuses
        (an integer past 64 bits) is written by the standard library instead."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # As Strawberry's, plus the Allow header that HTTP requires of a 405.
        request = Request(scope, receive=receive)
        if is_single_connection_request(request.method, request.headers):
            self._running.metrics.errors.labels("BAD_REQUEST").inc()
            await single_connection_refused()(scope, receive, send)
            return
        refused = self._authenticate(request)
        if refused is not None:
            await refused(scope, receive, send)
            return
        try:
            if not wants_ide(request):
                self._running.require_prepared()
            response = await self._answer(request)
        except StoreUnavailable:
            # Signing in reads the organization before GraphQL runs.
            response = store_unavailable()
        except Deactivated as error:
            response = member_inactive(str(error))
        except HTTPException as exc:
            headers = {}
            if exc.status_code == 405:
                headers["Allow"] = "POST" if request.method == "GET" else "GET, POST"
            response = PlainTextResponse(exc.reason, status_code=exc.status_code, headers=headers)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        """The request's response: an identical query's answer when it is still the log's
        (service/reuse.py), else computed (and kept when it can be reused)."""
        reuse = self._running.reuse
        accept = request.headers.get("accept", "")
        if reuse is None or wants_ide(request) or not reusable_request(request, accept):
            return await self.run(request)
        try:
            body = decode_request_json(await request.body()) if request.method == "POST" else None
        except json.JSONDecodeError:
            return await self.run(request)  # refused as Strawberry refuses it
        fields = request_fields(request.method, request.query_params, body)
        if not self._is_query(fields):
            return await self.run(request)  # a mutation computes at its own instant
        principal = getattr(request.state, "principal", None)
        caller = (
            (principal.organization, principal.role.value, principal.subject)
            if isinstance(principal, Principal)
            else None
        )
        instant = whole_second(self._clock())
        key = key_of(fields, caller=caller, instant=instant, form=accepts_graphql_response(accept))
        if key is None:
            return await self.run(request)
        request.state.instant = instant  # the context computes at the key's instant

        async def compute() -> tuple[Response, Answer | None]:
            response = await self.run(request)
            found, context = reading(), getattr(request.state, "context", None)
            body = getattr(response, "body", None)
            if (
                found is None
                or not found.reusable()
                or not isinstance(context, Context)
                or response.status_code != 200
                or not isinstance(body, bytes)
            ):
                return response, None
            media_type = response.headers.get("content-type", "application/json")
            return response, Answer(body, media_type, positions_of(context.loaders.snapshots))

        answer, computed = await reuse.answer(key, compute)
        if answer is None:
            return cast(Response, computed)
        if request.method == "GET" and matches(request.headers.get("if-none-match"), answer.etag):
            return Response(status_code=304, headers={"etag": answer.etag})
        response = computed if computed is not None else Response(answer.body)
        if computed is None:
            response.headers["content-type"] = answer.media_type
        response.headers["etag"] = answer.etag
        return cast(Response, response)

    def _is_query(self, fields: dict[str, Any]) -> bool:
        """Whether a request's fields run a query (its document given, or persisted)."""
        document = fields.get("query")
        extensions = fields.get("extensions")
        if document is None and isinstance(extensions, dict):
            try:
                document = self._persisted.resolve(None, extensions)
            except PersistedQueryError:
                return False  # refused as the rules refuse it
        name = fields.get("operationName")
        if not isinstance(document, str) or not isinstance(name, str | None):
            return False
        return operation_type(document, name) is OperationType.QUERY

    def _authenticate(self, request: Request) -> Response | None:
        """With authentication on, a request needs a valid bearer token (the GraphiQL page
        itself holds no data and is served to anyone); the principal goes on the request."""
        if self._verifier is None or wants_ide(request):
            return None
        try:
            token = bearer(request.headers.get("authorization"))
            if token is None:
                raise AuthError("this API needs `Authorization: Bearer <token>`")
            request.state.principal = self._verifier.verify(token)
        except AuthError as error:
            return unauthenticated(str(error))
        return None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        store, reads, writer = self._running.require()
        principal = getattr(request.state, "principal", None)
        running = self._running
        # A request that may be reused computes at its key's instant (`_answer`).
        instant = getattr(request.state, "instant", None)
        clock = self._clock if instant is None else lambda: instant
        if isinstance(principal, Principal):
            context = await signed_in_context(
                store,
                principal,
                reads=reads,
                writer=writer,
                clock=clock,
                events=running.events,
            )
        else:
            context = build_context(
                store,
                reads=reads,
                writer=writer,
                clock=clock,
                authenticated=self._verifier is not None,
                events=running.events,
            )
        context.metrics = running.metrics
        context.outbound = running.outbound
        found = reading()
        if found is not None:
            # Checking a kept answer brought these up to the log during this request already.
            for org_id, snapshot in found.fresh.items():
                context.loaders.seed(org_id, snapshot)
        if isinstance(request, Request):
            request.state.context = context
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """A WebSocket authenticates in connection_init's payload (`Authorization: Bearer …`);
        a missing or bad token closes the connection with 4403."""
        accepted: UnsetType = UNSET
        self._running.require_prepared()  # refused with its code: see below
        if self._verifier is None:
            return accepted
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        try:
            token = bearer(header if isinstance(header, str) else None)
            if token is None:
                raise AuthError('connection_init needs {"Authorization": "Bearer <token>"}')
            await context.sign_in(self._verifier.verify(token))
        except TokenExpired:
            raise  # closed with 4401, so that the client fetches a new token (service/expiry.py)
        except AuthError as error:
            raise ConnectionRejectionError({"message": str(error), "code": error.code}) from error
        # StoreUnavailable goes through: the handlers refuse it with its code (service/outage.py).
        return accepted

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        try:
            data = await super().parse_http_body(request)
        except AttributeError as error:
            # Strawberry calls `.get` on the decoded body: `null`, `1` or `"…"` would be a 500.
            raise HTTPException(400, "the request body must be a JSON object") from error
        # Strawberry streams whenever the Accept header lists a stream anywhere; a query is
        # answered as JSON unless the client prefers the stream (service/negotiation.py).
        if isinstance(data, GraphQLRequestData) and data.protocol != "http":
            chosen = protocol_for(
                request.headers.get("accept", ""),
                data.protocol,
                subscription=is_subscription(data.query, data.operation_name),
            )
            if chosen != data.protocol:
                data = replace(data, protocol=cast(GraphQLRequestProtocol, chosen))
        return data

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET with a persisted query's hash (and no query) asks to run it, not for GraphiQL.
        return (
            super().should_render_graphql_ide(request) and "extensions" not in request.query_params
        )

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        # Persisted queries (service/persisted.py): a hash becomes its document, and with
        # trusted documents anything unregistered is refused, before the document is parsed.
        try:
            request_data = self._persisted.apply(request_data)
        except PersistedQueryError as refused:
            self._running.metrics.errors.labels(refused.code.value).inc()
            return ExecutionResult(data=None, errors=[refused.as_graphql_error()])
        if (
            isinstance(request_data, GraphQLRequestData)
            and request_data.protocol == "http"
            and is_subscription(request_data.query, request_data.operation_name)
        ):
            # Answered as JSON, a subscription could say nothing but "internal error".
            sub_response.status_code = 406
            self._running.metrics.errors.labels("BAD_REQUEST").inc()
            error = GraphQLError(NO_STREAM, extensions={"code": "BAD_REQUEST"})
            return ExecutionResult(data=None, errors=[error])
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    def decode_json(self, data: str | bytes) -> object:
        # Strawberry turns only JSONDecodeError into a 400; hostile JSON raises other errors.
        return decode_request_json(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._page, headers=graphiql_headers(self._page))

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        if accepts_graphql_response(request.headers.get("accept", "")):
            # The negotiated content type travels with the response until create_response.
            sub_response.media_type = GRAPHQL_RESPONSE
        return sub_response

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as exc:
            # GraphQL over HTTP: a mutation sent by GET is refused with 405 Method Not Allowed.
            if request_adapter.method == "GET" and isinstance(
                exc.__cause__, InvalidOperationTypeError
            ):
                raise HTTPException(405, exc.reason) from exc.__cause__
            raise
        if sub_response.media_type == GRAPHQL_RESPONSE and is_request_error(result):
            sub_response.status_code = 400
        found = reading()
        if (
            found is not None
            and isinstance(result, ExecutionResult)
            and not result.errors
            and operation_type(request_data.query, request_data.operation_name)
            is OperationType.QUERY
        ):
            found.whole = True  # a query's whole answer: it may be reused (service/reuse.py)
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if accepts_graphql_response(request.headers.get("accept", "")) and is_request_error(result):
            response.pop("data", None)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type:
            response.headers["content-type"] = sub_response.media_type
        return response
