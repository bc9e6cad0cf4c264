"""Handlers for the failure paths of the Invoke endpoint: a function that crashes (a Lambda
function error) and one that outlives the caller's timeout. Hosted by the real LocalLambda."""

from __future__ import annotations

from typing import Any

from tests.support.lambda_test_handlers import gate

# The gate `held` waits at: a test opens it (tests.support.lambda_test_handlers.held_at).
HELD_GATE = "held"


def crash(event: Any, context: Any) -> Any:
    raise RuntimeError("the handler crashed on purpose")


def held(event: Any, context: Any) -> Any:
    gate(HELD_GATE).hold()
    return {"success": True, "result": [], "request_id": "held", "execution_time_ms": 0}


def older_bridge(event: Any, context: Any) -> Any:
    """A bridge of an earlier release: it answers availability_check with its version."""
    result = {"status": "available", "version": "0.1.0", "operations": ["availability_check"]}
    return {"success": True, "result": result, "request_id": "older", "execution_time_ms": 0}
