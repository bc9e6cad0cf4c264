"""The container's thread pool for concurrent S3 Vectors calls (batch queries, get chunks)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from ..settings import settings

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

T = TypeVar("T")
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    """Made on the first request that fans out (concurrent.futures is not imported before)."""
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                from concurrent.futures import ThreadPoolExecutor

                _pool = ThreadPoolExecutor(settings().max_workers, thread_name_prefix="s3vl")
    return _pool


def run_all(tasks: list[Callable[[], T]]) -> list[T]:
    """Run the tasks, results in task order; the first failure (in task order) is raised."""
    if len(tasks) == 1:
        return [tasks[0]()]
    futures = [_executor().submit(task) for task in tasks]
    return [future.result() for future in futures]
