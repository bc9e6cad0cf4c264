"""LocalS3Vectors: moto's server app with the local service installed, threaded, on 127.0.0.1.

Besides the S3 Vectors API it answers a small control surface for other processes:
  POST   /_devstack/faults   JSON body as faults.inject's arguments -> 200 {"pending": [...]}
  GET    /_devstack/faults   -> 200 {"pending": [...]}
  DELETE /_devstack/faults   clear every fault -> 200
  POST   /_devstack/reset    empty all state and faults -> 200
  GET    /_devstack/health   -> 200 {"ok": true}

A request body nested deeper than MAX_JSON_DEPTH (512) levels is answered with a 400
ValidationException before moto parses it (json.loads would run out of stack near 1,000).
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import uuid
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, make_server

from ..json_depth import MAX_JSON_DEPTH, text_depth_over
from . import faults, install, reset

if TYPE_CHECKING:
    from ..production_latency import ProductionLatency

CONTROL_PREFIX = "/_devstack/"


class ControlApp:
    """WSGI middleware: /_devstack/* is ours, everything else goes to moto."""

    def __init__(self, moto_app: Any) -> None:
        self.moto_app = moto_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PREFIX):
            refusal = _too_deep(environ)
            if refusal is not None:
                start_response("400 Bad Request", refusal[0])
                return [refusal[1]]
            return self.moto_app(environ, start_response)
        status, body = self._control(
            environ["REQUEST_METHOD"], path[len(CONTROL_PREFIX) :], environ
        )
        payload = json.dumps(body).encode("utf-8")
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    def _control(self, method: str, route: str, environ: dict[str, Any]) -> tuple[str, Any]:
        if route == "health" and method == "GET":
            return "200 OK", {"ok": True}
        if route == "reset" and method == "POST":
            reset()
            return "200 OK", {"ok": True}
        if route == "faults":
            if method == "GET":
                return "200 OK", {"pending": faults.pending()}
            if method == "DELETE":
                faults.clear()
                return "200 OK", {"pending": []}
            if method == "POST":
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                    if not isinstance(body, dict):
                        raise ValueError("the body must be a JSON object")
                    faults.inject_from_json(body)
                except (ValueError, TypeError) as error:
                    return "400 Bad Request", {"error": str(error)}
                return "200 OK", {"pending": faults.pending()}
            return "405 Method Not Allowed", {"error": "use GET, POST or DELETE"}
        return "404 Not Found", {"error": f"no control route {route!r}"}


def _too_deep(environ: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes] | None:
    """AWS's ValidationException (headers, body) for a JSON body nested deeper than
    MAX_JSON_DEPTH, else None. The body is read here and handed on to moto unchanged."""
    length = environ.get("CONTENT_LENGTH") or ""
    if not length.isascii() or not length.isdigit() or int(length) == 0:
        return None  # no body, or a length werkzeug and moto answer for themselves
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    depth = text_depth_over(body, MAX_JSON_DEPTH)
    if depth is None:
        return None
    message = (
        f"The request body is nested {depth} levels deep; at most {MAX_JSON_DEPTH} levels of "
        "JSON objects and arrays are accepted."
    )
    payload = json.dumps(
        {"__type": "ValidationException", "message": message, "Message": message}
    ).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
        ("x-amzn-ErrorType", "ValidationException"),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ]
    return headers, payload


class LocalS3Vectors:
    """A threaded local S3 Vectors endpoint; `with LocalS3Vectors() as url: ...` also works."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_requests: bool = False,
        production_latency: ProductionLatency | None = None,
    ) -> None:
        """The service answers in every region: the one each request is signed for. With
        `production_latency` it answers as slowly as AWS (devstack/production_latency.py)."""
        install()
        self.log_requests = log_requests
        self.host = host
        self.port = port
        self.production_latency = production_latency
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._latency = contextlib.ExitStack()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalS3Vectors is not started; call start() first")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> str:
        if self._server is not None:
            return self.url
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        service = self

        class RequestHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                if service.log_requests:
                    super().log_request(*args, **kwargs)

        if self.production_latency is not None:
            self._latency.enter_context(self.production_latency.applied_to_s3vectors())
        app = ControlApp(DomainDispatcherApplication(create_backend_app))
        try:
            # The socket is bound and listening when make_server returns, so the URL is usable.
            self._server = make_server(
                self.host, self.port, app, threaded=True, request_handler=RequestHandler
            )
        except BaseException:
            self._latency.close()
            raise
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-s3vectors", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._latency.close()
        self._server = None
        self._thread = None

    def reset(self) -> None:
        """Empty all buckets, indexes and vectors (of this process) and clear faults."""
        reset()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
