"""Fault injection: make the next calls of one operation fail with an AWS error.

    inject("QueryVectors", code="TooManyRequestsException", status=429, times=2, skip=1)

lets the next call pass, then fails two calls with that error shape (x-amzn-ErrorType
header and a JSON `message`, as AWS's rest-json errors), then behaves normally again.
Rules live in this process and apply to mock_aws and to every LocalS3Vectors server in it;
another process uses the server's HTTP endpoint `/_devstack/faults` (see server.py).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from typing import Any

_lock = threading.Lock()
_rules: dict[str, list[Fault]] = {}


@dataclass
class Fault:
    operation: str
    code: str = "TooManyRequestsException"
    status: int = 429
    message: str = ""
    times: int = 1
    skip: int = 0

    def response(self) -> tuple[int, dict[str, str], str]:
        message = self.message or f"{self.code} injected by devstack for {self.operation}"
        body = json.dumps({"__type": self.code, "message": message})
        headers = {
            "Content-Type": "application/json",
            "x-amzn-ErrorType": self.code,
            "x-amzn-RequestId": "devstack-injected-fault",
        }
        return self.status, headers, body


def operation_name(operation: str) -> str:
    """'QueryVectors' and 'query_vectors' name the same operation."""
    if "_" in operation or operation.islower():
        return "".join(part.capitalize() for part in operation.split("_"))
    return operation


def inject(
    operation: str,
    *,
    code: str = "TooManyRequestsException",
    status: int = 429,
    message: str = "",
    times: int = 1,
    skip: int = 0,
) -> None:
    """Queue a fault for `operation`; rules for one operation apply in the order injected."""
    if not isinstance(operation, str) or not re.fullmatch(r"[A-Za-z_]+|\*", operation):
        raise ValueError(f"operation must be an S3 Vectors operation name, got {operation!r}")
    if not isinstance(times, int) or times < 1:
        raise ValueError(f"times must be a positive integer, got {times!r}")
    if not isinstance(skip, int) or skip < 0:
        raise ValueError(f"skip must be zero or a positive integer, got {skip!r}")
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(f"status must be an HTTP error status (400..599), got {status!r}")
    name = operation if operation == "*" else operation_name(operation)
    fault = Fault(name, code=code, status=status, message=message, times=times, skip=skip)
    with _lock:
        _rules.setdefault(name, []).append(fault)


def clear() -> None:
    with _lock:
        _rules.clear()


def pending() -> list[dict[str, Any]]:
    with _lock:
        return [asdict(fault) for rules in _rules.values() for fault in rules]


def take(operation: str) -> Fault | None:
    """Called once per request: the fault to answer with, or None to proceed normally."""
    with _lock:
        for name in (operation, "*"):
            rules = _rules.get(name)
            if not rules:
                continue
            rule = rules[0]
            if rule.skip:
                rule.skip -= 1
                return None
            rule.times -= 1
            if not rule.times:
                rules.pop(0)
            return rule
    return None


def inject_from_json(body: dict[str, Any]) -> None:
    """The HTTP form: {"operation": ..., "code"?, "status"?, "message"?, "times"?, "skip"?}."""
    allowed = {"operation", "code", "status", "message", "times", "skip"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValueError(f"unknown fields {unknown}; allowed: {sorted(allowed)}")
    if "operation" not in body:
        raise ValueError("'operation' is required, e.g. \"QueryVectors\"")
    options = {k: v for k, v in body.items() if k != "operation"}
    inject(body["operation"], **options)
