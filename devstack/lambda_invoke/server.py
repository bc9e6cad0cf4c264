"""The Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations) over HTTP, threaded,
in front of one function hosted in this process.

    with LocalLambda(environment={"S3VECTORS_ENDPOINT_URL": url, ...}) as fn:
        boto3.client("lambda", endpoint_url=fn.url).invoke(FunctionName=fn.function_arn, ...)

The function's environment is its own: applied to os.environ only while its code runs (its
import, each invocation) and taken back afterwards (environment.py), so several LocalLambdas
with different settings can live in one process, beside code that reads os.environ itself.

Requests are checked as Lambda's front end checks them, before the function runs: a
Content-Length (a whole number; missing is 411), the function name and qualifier against
Lambda's patterns (whole string), the size limits, and a UTF-8 JSON body nested at most
MAX_JSON_DEPTH (512) levels (deeper is a 400 InvalidRequestContentException).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import re
import socket
import sys
import threading
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..json_depth import MAX_JSON_DEPTH, text_depth_over
from .context import ClientContext
from .environment import ContainerEnvironment
from .function import LambdaFunction, Outcome, error_payload, function_arn, load_handler

if TYPE_CHECKING:
    from ..production_latency import ProductionLatency

DEFAULT_HANDLER = "s3vl_bridge.handler.lambda_handler"
DEFAULT_FUNCTION_NAME = "s3vl-bridge"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account, so ARNs line up with S3 Vectors
DEFAULT_REGION = "us-east-1"
MAX_SYNC_REQUEST_BYTES = 6_291_456
MAX_ASYNC_REQUEST_BYTES = 1_048_576
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
LOG_TYPES = ("None", "Tail")

# What a local container sees besides the caller's environment: fake credentials (the local
# S3 Vectors service accepts any), the runtime's own variables, and Powertools settings that
# keep it quiet without an X-Ray daemon.
LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_SESSION_TOKEN": "test",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "POWERTOOLS_SERVICE_NAME": DEFAULT_FUNCTION_NAME,
    "POWERTOOLS_METRICS_NAMESPACE": "s3vl",
    "POWERTOOLS_TRACE_DISABLED": "true",
}

# All used with fullmatch: with `$` (or match) "s3vl-bridge%0A" (a trailing newline) was served.
_INVOKE_PATH = re.compile(r"/2015-03-31/functions/(?P<name>[^/]+)/invocations/?")
_FULL_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:"
    r"(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9$_-]+))?"
)
_PARTIAL_ARN = re.compile(
    r"(?P<account>\d{12}):function:(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9$_-]+))?"
)
_NAME = re.compile(r"(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>[A-Za-z0-9$_-]+))?")
_QUALIFIER = re.compile(r"[A-Za-z0-9$_-]{1,128}")  # Lambda's Qualifier pattern

log = logging.getLogger("devstack.lambda")


class ApiError(Exception):
    """An error of the Invoke API itself (not of the function): status, AWS type, message."""

    def __init__(self, status: HTTPStatus, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


class LocalLambda:
    """A real handler behind the Lambda Invoke API on `host:port` (0 = a free port)."""

    def __init__(
        self,
        handler: str = DEFAULT_HANDLER,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout_s: float = 30,
        environment: dict[str, str] | None = None,
        *,
        function_name: str = DEFAULT_FUNCTION_NAME,
        account_id: str = DEFAULT_ACCOUNT_ID,
        memory_mb: int = 512,
        production_latency: ProductionLatency | None = None,
    ) -> None:
        """`production_latency` adds Lambda's own overhead to every invocation
        (devstack/production_latency.py)."""
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self.handler_path = handler
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.function_name = function_name
        self.account_id = account_id
        self.memory_mb = memory_mb
        self.production_latency = production_latency
        self.region = (environment or {}).get("AWS_REGION", DEFAULT_REGION)
        self.environment = {
            **LOCAL_ENVIRONMENT,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_LAMBDA_FUNCTION_NAME": function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
            **(environment or {}),
        }
        self.function: LambdaFunction | None = None
        self._server: _InvokeServer | None = None
        self._thread: threading.Thread | None = None
        self._saved_modules: dict[str, Any] = {}
        # Open client connections: stop() closes them, so a caller holding a kept-alive
        # connection (a psql session) sees the endpoint go away instead of a stale server.
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def function_arn(self) -> str:
        return function_arn(self.region, self.account_id, self.function_name)

    @property
    def open_connections(self) -> int:
        """Client connections open right now (kept-alive ones included)."""
        with self._connections_lock:
            return len(self._connections)

    def start(self) -> LocalLambda:
        if self._server is not None:
            return self
        environment = ContainerEnvironment(self.environment)
        # load_handler imports the handler's package afresh (a new container); the modules it
        # replaces come back on stop, so code of this process that imported them before (test
        # fixtures clearing the bridge's caches) still acts on the modules in sys.modules.
        self._saved_modules = self._handler_modules()
        try:
            with environment.applied():  # module-level code reads the environment too
                handler = load_handler(self.handler_path)
            self.function = LambdaFunction(
                handler=handler,
                function_name=self.function_name,
                region=self.region,
                account_id=self.account_id,
                timeout_s=self.timeout_s,
                memory_mb=self.memory_mb,
                environment=environment,
            )
            server = _InvokeServer((self.host, self.port), self)
        except BaseException:
            environment.close()
            self._restore_modules()
            raise
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, name="lambda-invoke-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; invocations still running lose the container's environment (as a
        deleted function's do), and the handler's modules are given back. Safe to call more
        than once."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.function is not None and self.function.environment is not None:
            self.function.environment.close()
        self._restore_modules()

    def __enter__(self) -> LocalLambda:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _handler_modules(self) -> dict[str, Any]:
        top = self.handler_path.split(".")[0]
        return {n: m for n, m in sys.modules.items() if n == top or n.startswith(top + ".")}

    def _restore_modules(self) -> None:
        for name in self._handler_modules():
            del sys.modules[name]
        sys.modules.update(self._saved_modules)
        self._saved_modules = {}

    # -- the API ---------------------------------------------------------------------------

    def resolve(self, raw_name: str, query_qualifier: str | None) -> str:
        """Check the function named in the path (name, partial or full ARN, maybe qualified)
        and return the ARN as invoked; unknown names answer 404 as Lambda does."""
        name = unquote(raw_name)
        if query_qualifier is not None and not _QUALIFIER.fullmatch(query_qualifier):
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "ValidationException",
                f"1 validation error detected: Value '{query_qualifier}' at 'qualifier' failed "
                "to satisfy constraint: Member must satisfy regular expression pattern: "
                "(|[a-zA-Z0-9$_-]+)",
            )
        match = _FULL_ARN.fullmatch(name) or _PARTIAL_ARN.fullmatch(name) or _NAME.fullmatch(name)
        if match is None:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "ValidationException",
                f"1 validation error detected: Value '{name}' at 'functionName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
                "(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
            )
        parts = match.groupdict()
        qualifier = parts.get("qualifier")
        if qualifier and query_qualifier and qualifier != query_qualifier:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the specified "
                "qualifier.",
            )
        qualifier = qualifier or query_qualifier
        arn = function_arn(
            parts.get("region") or self.region,
            parts.get("account") or self.account_id,
            parts["name"],
        )
        if arn != self.function_arn or qualifier not in (None, "$LATEST"):
            shown = f"{arn}:{qualifier}" if qualifier else arn
            raise ApiError(
                HTTPStatus.NOT_FOUND, "ResourceNotFoundException", f"Function not found: {shown}"
            )
        return f"{arn}:{qualifier}" if qualifier else arn

    def invoke(
        self,
        event: Any,
        *,
        request_id: str,
        invoked_arn: str,
        client_context: ClientContext | None = None,
    ) -> Outcome:
        """A synchronous invocation of the hosted function."""
        if self.function is None:
            raise RuntimeError("LocalLambda is not started; call start() first")
        outcome = self.function.invoke(
            event, request_id=request_id, invoked_arn=invoked_arn, client_context=client_context
        )
        if self.production_latency is not None:
            self.production_latency.invoke_overhead()
        return outcome

    def run_event(
        self, event: Any, request_id: str, invoked_arn: str, ctx: ClientContext | None
    ) -> None:
        """An asynchronous invocation: run in the background, log what a crash would have
        sent to a dead-letter queue."""
        outcome = self.invoke(
            event, request_id=request_id, invoked_arn=invoked_arn, client_context=ctx
        )
        if outcome.function_error:
            log.warning("Event invocation %s failed: %s", request_id, outcome.payload.decode())

    def connection_opened(self, connection: socket.socket) -> None:
        """A client connected; stop() closes what is still open then."""
        with self._connections_lock:
            self._connections.add(connection)

    def connection_closed(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)


class _InvokeServer(ThreadingHTTPServer):
    """The HTTP server of one LocalLambda; its request handlers reach the function by it."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], local_lambda: LocalLambda) -> None:
        self.local_lambda = local_lambda
        super().__init__(address, _InvokeRequestHandler)


class _InvokeRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so boto3 and psql sessions reuse connections
    # Headers and body leave in two writes; with Nagle on, the body waits for the client's
    # delayed ACK of the headers, 40 ms per call on a kept-alive connection (measured).
    disable_nagle_algorithm = True
    server_version = "s3vl-devstack-lambda"

    server: _InvokeServer

    @property
    def local_lambda(self) -> LocalLambda:
        return self.server.local_lambda

    def setup(self) -> None:
        super().setup()
        self.local_lambda.connection_opened(self.connection)

    def finish(self) -> None:
        self.local_lambda.connection_closed(self.connection)
        super().finish()

    def do_POST(self) -> None:
        request_id = str(uuid.uuid4())
        try:
            self._answer(request_id)
        except ConnectionError:
            # The caller gave up (e.g. aws_lambda.request_timeout_ms passed): nobody to answer.
            log.info("invoke %s: the caller closed the connection before the answer", request_id)
            self.close_connection = True

    def _answer(self, request_id: str) -> None:
        try:
            self._invoke(request_id)
        except ConnectionError:
            raise
        except ApiError as exc:
            body = {"Type": "User", "message": exc.message}
            self._send(exc.status, json.dumps(body).encode(), request_id, error_type=exc.error_type)
        except Exception as exc:  # a bug in this server: answer like Lambda's service error
            log.exception("invoke %s failed inside the local endpoint", request_id)
            body = {"Type": "Service", "message": error_payload(exc, request_id)["errorMessage"]}
            self._send(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                json.dumps(body).encode(),
                request_id,
                error_type="ServiceException",
            )

    def do_GET(self) -> None:
        self._method_not_allowed()

    def do_PUT(self) -> None:
        self._method_not_allowed()

    def do_DELETE(self) -> None:
        self._method_not_allowed()

    def _method_not_allowed(self) -> None:
        if "Content-Length" in self.headers or "Transfer-Encoding" in self.headers:
            try:
                self._drain_body()
            except ApiError:
                self.close_connection = True  # a malformed length: the body's end is unknown
        body = {"Type": "User", "message": "this endpoint serves only the Invoke API (POST)"}
        self._send(
            HTTPStatus.NOT_FOUND,
            json.dumps(body).encode(),
            str(uuid.uuid4()),
            error_type="ResourceNotFoundException",
        )

    def _invoke(self, request_id: str) -> None:
        url = urlsplit(self.path)
        raw_body, length = self._drain_body()
        match = _INVOKE_PATH.fullmatch(url.path)
        if match is None:
            raise ApiError(
                HTTPStatus.NOT_FOUND,
                "UnknownOperationException",
                f"no operation at {url.path}; POST /2015-03-31/functions/NAME/invocations",
            )
        qualifiers = parse_qs(url.query).get("Qualifier")
        qualifier = qualifiers[0] if qualifiers else None
        invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        log_type = self.headers.get("X-Amz-Log-Type") or "None"
        _check_enum("invocationType", invocation_type, INVOCATION_TYPES)
        _check_enum("logType", log_type, LOG_TYPES)
        invoked_arn = self.local_lambda.resolve(match["name"], qualifier)
        limit = MAX_ASYNC_REQUEST_BYTES if invocation_type == "Event" else MAX_SYNC_REQUEST_BYTES
        if length > limit:
            raise ApiError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "RequestTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
            )
        event = _parse_event(raw_body)
        client_context = _parse_client_context(self.headers.get("X-Amz-Client-Context"))

        if invocation_type == "DryRun":
            self._send(HTTPStatus.NO_CONTENT, b"", request_id)
            return
        if invocation_type == "Event":
            threading.Thread(
                target=self.local_lambda.run_event,
                args=(event, request_id, invoked_arn, client_context),
                name=f"lambda-event-{request_id[:8]}",
                daemon=True,
            ).start()
            self._send(HTTPStatus.ACCEPTED, b"", request_id)
            return
        outcome = self.local_lambda.invoke(
            event, request_id=request_id, invoked_arn=invoked_arn, client_context=client_context
        )
        headers = {"X-Amz-Executed-Version": outcome.version}
        if outcome.function_error:
            headers["X-Amz-Function-Error"] = outcome.function_error
        if log_type == "Tail":
            headers["X-Amz-Log-Result"] = outcome.log_tail
        self._send(HTTPStatus.OK, outcome.payload, request_id, headers=headers)

    def _drain_body(self) -> tuple[bytes, int]:
        """The request body and its length, read as Content-Length says. A body longer than
        any invocation takes is read and dropped (not kept in memory); the caller refuses it
        by its length. A missing or malformed length is refused here, and the connection
        closed: where the next request starts is unknown."""
        value = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") is not None or value is None:
            self.close_connection = True
            raise ApiError(
                HTTPStatus.LENGTH_REQUIRED,
                "LengthRequiredException",
                "The request needs a Content-Length header (chunked transfer encoding is not "
                "accepted by the local Lambda endpoint)",
            )
        value = value.strip()
        if not (value.isascii() and value.isdigit()):
            self.close_connection = True
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "InvalidRequestContentException",
                f"Content-Length must be a non-negative whole number of bytes, got {value[:40]!r}",
            )
        length = int(value)
        if length <= MAX_SYNC_REQUEST_BYTES:
            return (self.rfile.read(length) if length else b""), length
        left = length
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                self.close_connection = True
                break
            left -= len(chunk)
        return b"", length

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        request_id: str,
        *,
        headers: dict[str, str] | None = None,
        error_type: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", request_id)
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        if self.close_connection:
            self.send_header("Connection", "close")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


def _check_enum(field: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]",
        )


def _parse_event(raw: bytes) -> Any:
    if not raw.strip():
        return {}  # Lambda hands an empty payload to the handler as {}
    return _parse_json(raw, "Could not parse request body into json")


def _parse_json(raw: bytes, what: str) -> Any:
    """JSON text (UTF-8, as Lambda takes it) nested at most MAX_JSON_DEPTH deep: depth is
    measured without recursion first, so a deeper document is a 400, not a RecursionError."""
    try:
        text = raw.decode("utf-8-sig")  # a leading byte order mark is skipped, as before
        depth = text_depth_over(raw, MAX_JSON_DEPTH)
        if depth is not None:
            raise ValueError(
                f"nested {depth} levels deep; at most {MAX_JSON_DEPTH} levels of objects and "
                "arrays are accepted"
            )
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, digits
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "InvalidRequestContentException", f"{what}: {exc}"
        ) from None


def _parse_client_context(header: str | None) -> ClientContext | None:
    if not header:
        return None
    try:
        data = _parse_json(base64.b64decode(header, validate=True), "client context")
    except (binascii.Error, ApiError):
        data = None
    if not isinstance(data, dict):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "InvalidRequestContentException",
            "Client context must be a valid Base64-encoded JSON object.",
        )
    return ClientContext(client=data.get("client"), custom=data.get("custom"), env=data.get("env"))
