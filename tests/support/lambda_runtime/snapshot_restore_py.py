"""Stand-in for snapshot_restore_py, the hook library every Python managed runtime of Lambda
ships for SnapStart (PyPI: snapshot-restore-py), with its API: register_before_snapshot and
register_after_restore(func, *args, **kwargs) keep (func, args, kwargs) in a list each, and
get_before_snapshot() / get_after_restore() hand the lists to the runtime, which calls each
entry (before the snapshot in reverse order of registration, after a restore in order).
A directory of its own, put on PYTHONPATH by the tests that start a SnapStart init."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Hook = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]

_before_snapshot: list[Hook] = []
_after_restore: list[Hook] = []


def register_before_snapshot(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    _before_snapshot.append((func, args, kwargs))
    return func


def register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    _after_restore.append((func, args, kwargs))
    return func


def get_before_snapshot() -> list[Hook]:
    return _before_snapshot


def get_after_restore() -> list[Hook]:
    return _after_restore
