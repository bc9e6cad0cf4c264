"""What one model invocation answers: the response body and the input tokens it read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Invocation:
    body: dict[str, Any]
    input_tokens: int
