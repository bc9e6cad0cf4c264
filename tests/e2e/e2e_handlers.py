"""Handlers for the failure paths of the Invoke endpoint: a function that crashes (a Lambda
function error) and one that outlives the caller's timeout. Hosted by the real LocalLambda."""

from __future__ import annotations

import time
from typing import Any


def crash(event: Any, context: Any) -> Any:
    raise RuntimeError("the handler crashed on purpose")


def slow(event: Any, context: Any) -> Any:
    time.sleep(5)
    return {"success": True, "result": [], "request_id": "slow", "execution_time_ms": 5000}
