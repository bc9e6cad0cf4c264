"""One Lambda function hosted in this process: its handler, its identity and how an invocation
runs (a worker thread, a deadline, the runtime's error payloads)."""

from __future__ import annotations

import base64
import importlib
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .context import ClientContext, LambdaContext
from .environment import ContainerEnvironment

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"
MAX_RESPONSE_BYTES = 6_291_556  # what Lambda accepts back from a synchronous invocation
LOG_TAIL_BYTES = 4096  # X-Amz-Log-Result carries the last 4 KB of the log

Handler = Callable[[Any, LambdaContext], Any]


def function_arn(region: str, account_id: str, function_name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"


class HandlerImportError(RuntimeError):
    """The dotted handler path does not name a callable that can be imported."""


@dataclass(frozen=True)
class Outcome:
    """What one synchronous invocation produced: the payload, and the function error if any."""

    payload: bytes
    function_error: str | None
    log_tail: str
    duration_ms: float
    version: str = "$LATEST"  # the version that ran (X-Amz-Executed-Version)


def load_handler(dotted: str) -> Handler:
    """Import `package.module.function` fresh, as a new Lambda container would (cold start)."""
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name or not attribute:
        raise HandlerImportError(
            f"handler {dotted!r} must be a dotted path module.function, "
            "e.g. s3vl_bridge.handler.lambda_handler"
        )
    if str(LAMBDA_SRC) not in sys.path:
        sys.path.insert(0, str(LAMBDA_SRC))
    # Forget the package's modules so module-level state (settings, clients) is built again
    # from the environment just applied, like a new execution environment.
    top = module_name.split(".")[0]
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HandlerImportError(
            f"cannot import handler module {module_name!r} ({exc}); the code root is {LAMBDA_SRC}"
        ) from exc
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise HandlerImportError(f"module {module_name!r} has no callable {attribute!r}")
    return handler


def error_payload(exc: BaseException, request_id: str, *, skip_frames: int = 0) -> dict[str, Any]:
    """The Python runtime's payload for an exception that escaped the handler; skip_frames
    drops this host's own frames so the trace starts in the handler, as in the runtime."""
    frames = traceback.extract_tb(exc.__traceback__)[skip_frames:]
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


@dataclass
class LambdaFunction:
    """A function definition (name, region, account, limits) bound to an imported handler;
    with an environment, the handler runs with its variables applied (environment.py)."""

    handler: Handler
    function_name: str
    region: str
    account_id: str
    timeout_s: float
    memory_mb: int = 512
    version: str = "$LATEST"
    environment: ContainerEnvironment | None = None

    @property
    def arn(self) -> str:
        return function_arn(self.region, self.account_id, self.function_name)

    def invoke(
        self,
        event: Any,
        *,
        request_id: str,
        invoked_arn: str,
        client_context: ClientContext | None = None,
    ) -> Outcome:
        """Run the handler on a worker thread and wait at most timeout_s for it, the wait for
        the container's turn at the process environment included.

        A timed-out handler cannot be killed inside this process: its thread is abandoned
        (daemon) and its turn withdrawn while the caller gets Lambda's timeout error, as a
        real caller would.
        """
        started = time.monotonic()
        context = self._context(request_id, invoked_arn, client_context, started)
        turn = self.environment.turn() if self.environment is not None else None
        box: dict[str, Any] = {}

        def run() -> None:
            if turn is not None and not turn.begin():
                return  # given up on before its turn came
            try:
                box["result"] = self.handler(event, context)
            except BaseException as exc:
                box["error"] = exc
            finally:
                if turn is not None:
                    turn.end()

        worker = threading.Thread(target=run, name=f"lambda-{request_id[:8]}", daemon=True)
        worker.start()
        worker.join(self.timeout_s)
        duration_ms = (time.monotonic() - started) * 1000
        log = [f"START RequestId: {request_id} Version: {self.version}"]

        if worker.is_alive():
            if turn is not None:
                turn.withdraw()
            message = f"Task timed out after {self.timeout_s:.2f} seconds"
            log.append(f"{_timestamp()} {request_id} {message}")
            body: dict[str, Any] = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: {message}",
            }
            return self._failed(body, log, request_id, duration_ms)
        if "error" in box:
            exc = box["error"]
            log.append(f"[ERROR] {type(exc).__name__}: {exc}")
            body = error_payload(exc, request_id, skip_frames=1)
            return self._failed(body, log, request_id, duration_ms)
        try:
            payload = json.dumps(box["result"]).encode()
        except (TypeError, ValueError) as exc:
            body = {
                "errorMessage": f"Unable to marshal response: {exc}",
                "errorType": "Runtime.MarshalError",
                "requestId": request_id,
                "stackTrace": [],
            }
            return self._failed(body, log, request_id, duration_ms)
        if len(payload) > MAX_RESPONSE_BYTES:
            body = {
                "errorMessage": "Response payload size exceeded maximum allowed payload size "
                f"({MAX_RESPONSE_BYTES} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }
            return self._failed(body, log, request_id, duration_ms)
        log += self._closing_lines(request_id, duration_ms)
        return Outcome(payload, None, _tail(log), duration_ms, self.version)

    def _failed(
        self, body: dict[str, Any], log: list[str], request_id: str, duration_ms: float
    ) -> Outcome:
        log += self._closing_lines(request_id, duration_ms)
        return Outcome(
            json.dumps(body).encode(), "Unhandled", _tail(log), duration_ms, self.version
        )

    def _closing_lines(self, request_id: str, duration_ms: float) -> list[str]:
        return [
            f"END RequestId: {request_id}",
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Memory Size: {self.memory_mb} MB",
        ]

    def _context(
        self,
        request_id: str,
        invoked_arn: str,
        client_context: ClientContext | None,
        started: float,
    ) -> LambdaContext:
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        return LambdaContext(
            function_name=self.function_name,
            function_version=self.version,
            invoked_function_arn=invoked_arn,
            memory_limit_in_mb=self.memory_mb,
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{self.function_name}",
            log_stream_name=f"{day}/[{self.version}]{uuid.uuid4().hex}",
            deadline_monotonic=started + self.timeout_s,
            client_context=client_context,
        )


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _tail(lines: list[str]) -> str:
    """Base64 of the last 4 KB of the log, as X-Amz-Log-Result carries it."""
    raw = ("\n".join(lines) + "\n").encode()[-LOG_TAIL_BYTES:]
    return base64.b64encode(raw).decode()
