"""Faults a test queues on one LocalBedrock: the next invocations of a model (or of any) fail
with a Bedrock error, or answer only after a delay (to reach a client's read timeout).

    bedrock.faults.inject(code="ThrottlingException", times=2, model_id="cohere.embed-english-v3")

Rules apply in the order injected; each serves `times` invocations, then is gone. Another
process uses the server's `/_devstack/faults` route (server.py) with the same fields.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

from .errors import STATUS, BedrockError


@dataclass
class Fault:
    code: str | None = "ThrottlingException"  # None: no error, only the delay
    times: int = 1
    model_id: str | None = None  # None: any model
    message: str = ""
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        if self.code is not None and self.code not in STATUS:
            raise ValueError(f"code must be one of {sorted(STATUS)} or null, got {self.code!r}")
        if not isinstance(self.times, int) or isinstance(self.times, bool) or self.times < 1:
            raise ValueError(f"times must be a positive integer, got {self.times!r}")
        if not isinstance(self.delay_s, int | float) or not 0 <= self.delay_s <= 60:
            raise ValueError(f"delay_s must be 0..60 seconds, got {self.delay_s!r}")


class Faults:
    def __init__(self, stopping: threading.Event) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self._stopping = stopping  # a delay ends early when the server stops

    def inject(self, **fields: Any) -> Fault:
        fault = Fault(**fields)
        with self._lock:
            self._rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def apply(self, model_id: str) -> None:
        """Before an invocation of `model_id` runs: wait or fail as the first matching rule says."""
        with self._lock:
            rule = next((r for r in self._rules if r.model_id in (None, model_id)), None)
            if rule is None:
                return
            rule.times -= 1
            if rule.times == 0:
                self._rules.remove(rule)
        if rule.delay_s:
            self._stopping.wait(rule.delay_s)
        if rule.code is not None:
            raise BedrockError(rule.code, rule.message or f"{rule.code} injected by devstack")
