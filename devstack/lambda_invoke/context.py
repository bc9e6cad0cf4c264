"""The context object a Python Lambda handler receives, with the runtime's attribute names."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ClientContext:
    """What a caller passed in X-Amz-Client-Context (Aurora's `context` argument)."""

    client: Any = None
    custom: Any = None
    env: Any = None


@dataclass
class LambdaContext:
    """Mirrors the Python runtime's context: Powertools and handlers read these attributes."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_monotonic: float
    client_context: ClientContext | None = None
    identity: Any = None
    tenant_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline_monotonic - time.monotonic()) * 1000))
