"""Test scaffolding: a Lambda handler whose behaviour the event chooses, so the Invoke endpoint
and aws_lambda.invoke can be driven into each outcome (echo, crash, slow, unserializable)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

# The dotted path LocalLambda imports, and the timeout the compat tests give the function.
TEST_HANDLER = "tests.support.lambda_test_handlers.handle"
FUNCTION_TIMEOUT_S = 2

# Two invocations meet here only if the endpoint runs them at the same time.
_rendezvous = threading.Barrier(2)


def handle(event: Any, context: Any) -> Any:
    action = event.get("action", "echo") if isinstance(event, dict) else "echo"
    if action == "crash":
        raise ValueError(event.get("message", "the handler crashed on purpose"))
    if action == "sleep":
        time.sleep(float(event["seconds"]))
        return {"slept": event["seconds"]}
    if action == "rendezvous":
        _rendezvous.wait(timeout=float(event.get("seconds", 5)))
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


def wait_for(evidence: Path, seconds: float = 5) -> bool:
    """Whether the `record` action's evidence file appears within `seconds` (an Event
    invocation runs the handler after it answered)."""
    deadline = time.monotonic() + seconds
    while not evidence.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return evidence.exists()
