"""Test scaffolding: a Lambda handler whose behaviour the event chooses, so the Invoke endpoint
and aws_lambda.invoke can be driven into each outcome (echo, crash, held, unserializable).

LocalLambda imports its handler's package afresh (a new container), so this module as a test
imported it is not the copy the function runs: a test reaches the function's own gates through
`held_at` (the handler's globals), and names its barriers in the event."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devstack.lambda_invoke.server import LocalLambda

# The dotted path LocalLambda imports, and the timeout the compat tests give the function.
TEST_HANDLER = "tests.support.lambda_test_handlers.handle"
FUNCTION_TIMEOUT_S = 2
# A gate nobody opened lets its handler go after this, so a failed test leaves no thread for good.
HOLD_LIMIT_S = 60


class Gate:
    """Where a handler waits until the test opens it: `arrived` is set when it got there,
    `passed` when it went on. An answer that came while `passed` was unset came while the
    handler was still held (the timeout fired, not the handler's return)."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.passed = threading.Event()
        self._opened = threading.Event()

    def hold(self) -> None:
        self.arrived.set()
        try:
            self._opened.wait(HOLD_LIMIT_S)
        finally:
            self.passed.set()

    def open(self) -> None:
        self._opened.set()


_lock = threading.Lock()
_gates: dict[str, Gate] = {}
_barriers: dict[str, threading.Barrier] = {}


def gate(name: str) -> Gate:
    """The gate of this name, made on first use."""
    with _lock:
        return _gates.setdefault(name, Gate())


def barrier(name: str) -> threading.Barrier:
    """A two-party barrier of this name, made on first use: each test names its own, so one
    that broke (a timeout) cannot fail the next test."""
    with _lock:
        return _barriers.setdefault(name, threading.Barrier(2))


@contextmanager
def held_at(function: LocalLambda, name: str | None = None) -> Iterator[tuple[str, Gate]]:
    """A gate of the module `function` runs (its handler's globals hold `gate`) and its name,
    opened on leaving the block so no handler stays held after the test."""
    if function.function is None:
        raise RuntimeError("start the LocalLambda before asking for its gates")
    name = name or uuid.uuid4().hex
    found: Gate = function.function.handler.__globals__["gate"](name)
    try:
        yield name, found
    finally:
        found.open()


def handle(event: Any, context: Any) -> Any:
    action = event.get("action", "echo") if isinstance(event, dict) else "echo"
    if action == "crash":
        raise ValueError(event.get("message", "the handler crashed on purpose"))
    if action == "hold":
        gate(event["gate"]).hold()
        return {"held": event["gate"]}
    if action == "rendezvous":
        barrier(event["barrier"]).wait(timeout=float(event.get("seconds", 5)))
        return {"met": True}
    if action == "unserializable":
        return {"value": object()}
    if action == "large":
        return "x" * int(event["bytes"])
    if action == "record":
        # Event invocations answer before running: the handler leaves evidence in a file,
        # written aside and renamed so a reader never sees it half-written.
        evidence = Path(event["path"])
        partial = evidence.with_suffix(".partial")
        partial.write_text(json.dumps(event))
        partial.replace(evidence)
        return None
    client_context = context.client_context
    return {
        "event": event,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "client_context": None
        if client_context is None
        else {"custom": client_context.custom, "env": client_context.env},
        "environment": {k: os.environ.get(k) for k in ("AWS_REGION", "S3VL_TEST_SETTING")},
    }


def wait_for(evidence: Path, seconds: float = 30) -> bool:
    """Whether the `record` action's evidence file appears within `seconds` (an Event
    invocation runs the handler after it answered); it returns as soon as it does."""
    deadline = time.monotonic() + seconds
    while not evidence.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return evidence.exists()
