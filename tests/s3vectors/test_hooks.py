"""Test hooks of the local service: watching applied writes, stepping around an operation."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from devstack.s3vectors import faults, hooks


def vectors(*keys: str) -> list[dict[str, Any]]:
    return [{"key": key, "data": {"float32": [1.0, 0.5, 0.25]}} for key in keys]


def test_a_write_watcher_sees_applied_writes_with_their_keys_in_request_order(
    client, make_index
) -> None:
    selector = make_index()
    seen: list[tuple[str, list[str]]] = []
    with hooks.watch_writes(lambda operation, arn, keys: seen.append((operation, keys))):
        client.put_vectors(**selector, vectors=vectors("b", "a"))
        with pytest.raises(ClientError):  # refused: a key too long
            client.put_vectors(**selector, vectors=vectors("x" * 1025))
        faults.inject("DeleteVectors")
        with pytest.raises(ClientError):  # answered by the fault, never applied
            client.delete_vectors(**selector, keys=["a"])
        client.delete_vectors(**selector, keys=["a", "missing"])
    client.put_vectors(**selector, vectors=vectors("after"))
    assert seen == [("PutVectors", ["b", "a"]), ("DeleteVectors", ["a", "missing"])]


def test_around_hooks_serve_an_operation_through_them_latest_outermost(client, make_index) -> None:
    selector = make_index()
    calls: list[str] = []

    def hook(name: str) -> hooks.Around:
        def around(proceed: hooks.Proceed) -> Any:
            calls.append(f"{name} before")
            answer = proceed()
            calls.append(f"{name} after")
            return answer

        return around

    with hooks.around("PutVectors", hook("inner")), hooks.around("put_vectors", hook("outer")):
        client.put_vectors(**selector, vectors=vectors("a"))
        client.get_vectors(**selector, keys=["a"])  # another operation: not hooked
    client.put_vectors(**selector, vectors=vectors("b"))
    assert calls == ["outer before", "inner before", "inner after", "outer after"]
    assert len(client.list_vectors(**selector)["vectors"]) == 2


def test_an_injected_fault_answers_before_any_hook(client, make_index) -> None:
    selector = make_index()
    calls: list[str] = []
    faults.inject("PutVectors", code="ServiceUnavailableException", status=503)
    with hooks.around("PutVectors", lambda proceed: calls.append("hooked") or proceed()):
        with pytest.raises(ClientError, match="ServiceUnavailable"):
            client.put_vectors(**selector, vectors=vectors("a"))
        client.put_vectors(**selector, vectors=vectors("a"))
    assert calls == ["hooked"]
