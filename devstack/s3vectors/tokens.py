"""Opaque pagination tokens for QueryVectors and ListVectors.

A token is URL-safe base64 of a small JSON object. A QueryVectors token carries a digest of
the request it belongs to, so reusing it with another vector, topK or filter is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import threading
from collections import OrderedDict
from typing import Any

from .errors import ValidationException
from .limits import MAX_TOKEN_LENGTH

_KEPT_PAYLOADS = 1024
_kept: OrderedDict[str, dict[str, Any]] = OrderedDict()
_kept_lock = threading.Lock()


def encode(payload: dict[str, Any]) -> str:
    token = _pack(payload)
    if len(token) <= MAX_TOKEN_LENGTH:
        return token
    # Too long to travel (a ListVectors token holding a long non-ASCII key): the payload
    # stays here and the token names it.
    reference = secrets.token_hex(16)
    with _kept_lock:
        _kept[reference] = payload
        while len(_kept) > _KEPT_PAYLOADS:
            _kept.popitem(last=False)
    return _pack({"kind": payload["kind"], "ref": reference})


def decode(token: Any, kind: str) -> dict[str, Any]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(str(token).encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError):
        payload = None
    if isinstance(payload, dict) and "ref" in payload:
        with _kept_lock:
            payload = _kept.get(str(payload["ref"]))
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        raise ValidationException(
            "nextToken",
            "the token is not one this operation returned, or it has expired",
            "Pass the nextToken from the previous response unchanged, or omit it to start over.",
        )
    return payload


def _pack(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()  # ASCII: ensure_ascii
    return base64.urlsafe_b64encode(raw).decode()


def request_digest(*parts: Any) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            hasher.update(part)
        else:
            hasher.update(json.dumps(part, sort_keys=True).encode())
        hasher.update(b"\x00")
    return hasher.hexdigest()[:32]
