"""LocalBedrock: Bedrock Runtime's InvokeModel for the served embedding models, threaded, on
127.0.0.1, reached by boto3 through AWS_ENDPOINT_URL_BEDROCK_RUNTIME (or endpoint_url).

    POST /model/{modelId}/invoke   the model's own request and response JSON (catalog.py)

Answers carry Content-Type application/json and, as AWS's do, the headers
X-Amzn-Bedrock-Input-Token-Count and X-Amzn-Bedrock-Invocation-Latency. Errors are AWS's
(errors.py). Requests are not signed-checked: any credentials pass, as on the local S3
Vectors service.

A control surface for tests and other processes:
  GET    /_devstack/health        -> 200 {"ok": true, "models": [...]}
  GET    /_devstack/invocations   -> 200 {"<model id>": count, ...} InvokeModel requests
                                     received per served model (refused ones included)
  POST   /_devstack/faults        JSON body as faults.Fault's fields -> 200 {"pending": [...]}
  GET    /_devstack/faults        -> 200 {"pending": [...]}
  DELETE /_devstack/faults        clear every fault -> 200
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from ..json_depth import MAX_JSON_DEPTH, text_depth_over
from . import catalog
from .errors import BedrockError, validation
from .faults import Faults

logger = logging.getLogger(__name__)

# A request body larger than any embedding request can be (96 texts of 2,048 characters, or
# 50,000 characters of Titan, each character at most 6 bytes once JSON-escaped).
MAX_BODY_BYTES = 2 * 1024 * 1024
CONTROL_PREFIX = "/_devstack/"
# Requests kept for received(): what tests look at, bounded for a server left running.
RECEIVED_KEPT = 10_000


@dataclass(frozen=True)
class Received:
    """One InvokeModel request as it arrived: its model id (or ARN) and its raw body."""

    sequence: int
    model_id: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class LocalBedrock:
    """A threaded local Bedrock Runtime; `with LocalBedrock() as url: ...` also works."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_requests: bool = False,
        preload: bool = True,
    ) -> None:
        """`preload`: load the model, and draw the projections, when the server starts (else
        on the first requests); `load_seconds` says how long that took."""
        self.host = host
        self.port = port
        self.log_requests = log_requests
        self.preload = preload
        self._stopping = threading.Event()
        self.faults = Faults(self._stopping)
        self._invocations: Counter[str] = Counter()
        self._received: deque[Received] = deque(maxlen=RECEIVED_KEPT)
        self._sequence = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.load_seconds: float | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalBedrock is not started; call start() first")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> str:
        if self._server is not None:
            return self.url
        if self.preload:
            started = time.perf_counter()
            catalog.warm_up()
            self.load_seconds = time.perf_counter() - started
        self._stopping.clear()
        server = _Server((self.host, self.port), _RequestHandler)
        server.bedrock = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="local-bedrock", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # delayed answers end now
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def invocations(self) -> dict[str, int]:
        """InvokeModel requests received so far, per served model id."""
        with self._lock:
            return dict(self._invocations)

    def received(self, after: int = 0) -> list[Received]:
        """The last RECEIVED_KEPT InvokeModel requests, in order of arrival; `after` a
        sequence number (0: all): only those received since."""
        with self._lock:
            return [r for r in self._received if r.sequence > after]

    def last_sequence(self) -> int:
        """The sequence number of the last request received (0: none yet)."""
        with self._lock:
            return self._sequence

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- answering -------------------------------------------------------------------------

    def invoke(
        self,
        model_identifier: str,
        content_type: str | None,
        raw: bytes,
        *,
        accept: str | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One InvokeModel request -> (status, headers, body). The embedding models take and
        answer JSON only (`accept` is the Accept header; none or */* means JSON, AWS's default)."""
        started = time.perf_counter()
        with self._lock:
            self._sequence += 1
            self._received.append(Received(self._sequence, model_identifier, raw))
        try:
            model = catalog.resolve(model_identifier)
            with self._lock:
                self._invocations[model.model_id] += 1
            if content_type and content_type.split(";")[0].strip().lower() != "application/json":
                raise validation(
                    f"The provided Content-Type '{content_type}' is not supported; "
                    "send application/json"
                )
            if accept and accept.split(";")[0].strip().lower() not in ("application/json", "*/*"):
                raise validation(
                    f"The provided Accept type '{accept}' is not supported by this model; "
                    "accept application/json"
                )
            self.faults.apply(model.model_id)
            depth = text_depth_over(raw, MAX_JSON_DEPTH)
            if depth is not None:
                raise validation(f"Malformed input request: the body nests {depth} levels deep")
            try:
                body = json.loads(raw)
            except ValueError:
                raise validation(
                    "Malformed input request: the body is not JSON, please reformat your input "
                    "and try again."
                ) from None
            answer = model.invoke(model.model_id, body)
        except BedrockError as error:
            return error.answer()
        except Exception:  # a bug of the stand-in: AWS's 500, the trace in the log
            logger.exception("local Bedrock failed on %s", model_identifier)
            return BedrockError("InternalServerException", "local Bedrock failed").answer()
        payload = json.dumps(answer.body).encode()
        headers = {
            "Content-Type": "application/json",
            "x-amzn-RequestId": str(uuid.uuid4()),
            "X-Amzn-Bedrock-Input-Token-Count": str(answer.input_tokens),
            "X-Amzn-Bedrock-Invocation-Latency": str(int((time.perf_counter() - started) * 1e3)),
        }
        return 200, headers, payload

    def control(self, method: str, route: str, raw: bytes) -> tuple[int, Any]:
        if route == "health" and method == "GET":
            return 200, {"ok": True, "models": sorted(catalog.MODELS)}
        if route == "invocations" and method == "GET":
            return 200, self.invocations()
        if route != "faults":
            return 404, {"error": f"no control route {route!r}"}
        if method == "GET":
            return 200, {"pending": self.faults.pending()}
        if method == "DELETE":
            self.faults.clear()
            return 200, {"pending": []}
        if method != "POST":
            return 405, {"error": "use GET, POST or DELETE"}
        try:
            fields = json.loads(raw or b"{}")
            if not isinstance(fields, dict):
                raise ValueError("the body must be a JSON object of Fault's fields")
            self.faults.inject(**fields)
        except (ValueError, TypeError) as error:
            return 400, {"error": str(error)}
        return 200, {"pending": self.faults.pending()}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    bedrock: LocalBedrock

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (botocore closing its pool) is no error of the server."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    # Headers and body go out in two writes: without TCP_NODELAY the second waits for the
    # client's delayed ACK (40 ms a request).
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        self._answer("POST")

    def do_GET(self) -> None:
        self._answer("GET")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        bedrock = self.server.bedrock
        length_header = self.headers.get("Content-Length") or "0"
        length = int(length_header) if length_header.isdigit() else -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True  # the body is not read: the connection cannot go on
            error = validation(f"the request body must be 0..{MAX_BODY_BYTES} bytes")
            self._send(*error.answer())
            return
        raw = self.rfile.read(length)
        path = urlsplit(self.path).path
        if path.startswith(CONTROL_PREFIX):
            status, body = bedrock.control(method, path[len(CONTROL_PREFIX) :], raw)
            self._send(status, {"Content-Type": "application/json"}, json.dumps(body).encode())
            return
        # The model id is one percent-encoded path segment (an ARN's "/" arrives as %2F).
        parts = path.split("/")
        if method == "POST" and len(parts) == 4 and parts[:2] == ["", "model"]:
            if parts[3] == "invoke":
                content_type = self.headers.get("Content-Type")
                accept = self.headers.get("Accept")
                self._send(*bedrock.invoke(unquote(parts[2]), content_type, raw, accept=accept))
                return
            if parts[3] == "invoke-with-response-stream":
                error = validation("The model is unsupported for streaming.")
                self._send(*error.answer())
                return
        unknown = BedrockError(
            "UnknownOperationException", f"the local Bedrock serves InvokeModel only: {path}"
        )
        self._send(*unknown.answer())

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.bedrock.log_requests:
            super().log_message(format, *args)
