"""Hooks for tests: see the writes the local service applies, or step around an operation.

    with hooks.watch_writes(lambda operation, index_arn, keys: seen.append(keys)):
        ...
    with hooks.around("PutVectors", lambda proceed: slowly(proceed)):
        ...

A write watcher is called after each PutVectors or DeleteVectors the service applied (a
refused or injected-fault request is not seen), in the thread that served it, with the keys
in request order. An `around` hook runs in place of each request of one operation, in the
thread that serves it, and calls `proceed()` to serve it (returning what it returns): it may
wait first, count, or act after. Several hooks on one operation nest, the latest outermost.
Like faults (faults.py, which answer before any hook), hooks live in this process and apply
to every LocalS3Vectors server and mock_aws client in it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .faults import operation_name

WriteWatcher = Callable[[str, str, list[str]], None]  # (operation, index ARN, keys)
Proceed = Callable[[], Any]
Around = Callable[[Proceed], Any]

_lock = threading.Lock()
_watchers: list[WriteWatcher] = []
_around: dict[str, list[Around]] = {}


@contextmanager
def watch_writes(watcher: WriteWatcher) -> Iterator[None]:
    """Call `watcher` for every write applied until the block ends."""
    with _lock:
        _watchers.append(watcher)
    try:
        yield
    finally:
        with _lock:
            _watchers.remove(watcher)


@contextmanager
def around(operation: str, hook: Around) -> Iterator[None]:
    """Serve every request of `operation` ('PutVectors' or 'put_vectors') through `hook`
    until the block ends."""
    name = operation_name(operation)
    with _lock:
        _around.setdefault(name, []).append(hook)
    try:
        yield
    finally:
        with _lock:
            _around[name].remove(hook)


def writes_applied(operation: str, index_arn: str, keys: list[str]) -> None:
    """Called by the backend once a write is applied."""
    with _lock:
        watchers = list(_watchers)
    for watcher in watchers:
        watcher(operation, index_arn, list(keys))


def serve(operation: str, proceed: Proceed) -> Any:
    """Called by the response for each request: `proceed` through the hooks of `operation`."""
    with _lock:
        hooks = list(_around.get(operation, ()))
    for hook in hooks:
        proceed = functools.partial(hook, proceed)
    return proceed()
