"""Reading a model's request body as its JSON schema would: each problem a ValidationException
naming the field by its JSON pointer (errors.malformed)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from .errors import malformed, schema_type


def check_keys(body: Any, allowed: Collection[str], required: Sequence[str]) -> dict[str, Any]:
    """The body as an object with only `allowed` keys and every `required` one."""
    if not isinstance(body, dict):
        raise malformed("", f"expected type: JSONObject, found: {schema_type(body)}")
    for key in body:
        if key not in allowed:
            raise malformed("", f"extraneous key [{key}] is not permitted")
    for key in required:
        if key not in body:
            raise malformed("", f"required key [{key}] not found")
    return body


def _typed(body: dict[str, Any], key: str, kind: type, name: str) -> Any:
    value = body.get(key)
    if value is None and key not in body:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise malformed(f"/{key}", f"expected type: {name}, found: {schema_type(value)}")
    return value


def string(
    body: dict[str, Any], key: str, *, min_length: int = 0, max_length: int | None = None
) -> str | None:
    value: str | None = _typed(body, key, str, "String")
    if value is not None:
        _check_length(f"/{key}", value, min_length, max_length)
    return value


def boolean(body: dict[str, Any], key: str) -> bool | None:
    value: bool | None = _typed(body, key, bool, "Boolean")
    return value


def integer_choice(body: dict[str, Any], key: str, choices: Collection[int]) -> int | None:
    value: int | None = _typed(body, key, int, "Integer")
    if value is not None and value not in choices:
        raise malformed(f"/{key}", f"{value} is not a valid enum value")
    return value


def string_choice(body: dict[str, Any], key: str, choices: Collection[str]) -> str | None:
    value = string(body, key)
    if value is not None and value not in choices:
        raise malformed(f"/{key}", f"{value} is not a valid enum value")
    return value


def string_list(
    body: dict[str, Any],
    key: str,
    *,
    max_items: int | None = None,
    min_items: int = 0,
    item_max_length: int | None = None,
    choices: Collection[str] | None = None,
) -> list[str] | None:
    values: list[Any] | None = _typed(body, key, list, "JSONArray")
    if values is None:
        return None
    if max_items is not None and len(values) > max_items:
        raise malformed(
            f"/{key}", f"expected maximum item count: {max_items}, found: {len(values)}"
        )
    if len(values) < min_items:
        raise malformed(
            f"/{key}", f"expected minimum item count: {min_items}, found: {len(values)}"
        )
    for i, value in enumerate(values):
        path = f"/{key}/{i}"
        if not isinstance(value, str):
            raise malformed(path, f"expected type: String, found: {schema_type(value)}")
        if choices is not None and value not in choices:
            raise malformed(path, f"{value} is not a valid enum value")
        _check_length(path, value, 0, item_max_length)
    return values


def _check_length(path: str, value: str, min_length: int, max_length: int | None) -> None:
    if len(value) < min_length:
        raise malformed(path, f"expected minLength: {min_length}, actual: {len(value)}")
    if max_length is not None and len(value) > max_length:
        raise malformed(path, f"expected maxLength: {max_length}, actual: {len(value)}")
