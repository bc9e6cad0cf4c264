"""Watching the writes the local service carries out, for tests that count them.

    with writes.watch(lambda operation, index_arn, keys: seen.append((operation, keys))):
        ...

A watcher is called after each PutVectors or DeleteVectors the service applied (a refused or
injected-fault request is not seen), in the thread that served it, with the request's keys in
request order. Like faults, watchers live in this process and see every LocalS3Vectors server
and mock_aws client in it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Watcher = Callable[[str, str, list[str]], None]  # (operation, index ARN, keys)

_lock = threading.Lock()
_watchers: list[Watcher] = []


@contextmanager
def watch(watcher: Watcher) -> Iterator[None]:
    """Call `watcher` for every write applied until the block ends."""
    with _lock:
        _watchers.append(watcher)
    try:
        yield
    finally:
        with _lock:
            _watchers.remove(watcher)


def applied(operation: str, index_arn: str, keys: list[str]) -> None:
    """Called by the backend once a write is applied."""
    with _lock:
        watchers = list(_watchers)
    for watcher in watchers:
        watcher(operation, index_arn, list(keys))
