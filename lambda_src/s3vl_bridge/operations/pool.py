"""The container's thread pool for concurrent S3 Vectors calls (batch queries, get chunks,
write chunks)."""

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


def run_in_lanes(tasks: list[Callable[[], T]], lanes: int) -> list[T]:
    """Run the tasks at most `lanes` at a time, results in task order: lane k runs tasks k,
    k + lanes, ... one after another. The tasks should not raise (a failure is raised only
    after every lane has ended, the first in task order)."""
    if lanes < 1:
        raise ValueError("lanes must be at least 1")
    count = min(lanes, len(tasks))
    if count <= 1:
        return [task() for task in tasks]
    ran = run_all([_lane(tasks[k::count]) for k in range(count)])
    return [ran[i % count][i // count] for i in range(len(tasks))]


def _lane(tasks: list[Callable[[], T]]) -> Callable[[], list[T]]:
    return lambda: [task() for task in tasks]
