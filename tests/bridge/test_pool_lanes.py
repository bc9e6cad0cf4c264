"""run_in_lanes: write chunks at most WRITE_LANES at a time, results in task order."""

from __future__ import annotations

import threading

import pytest
from s3vl_bridge.operations.pool import run_in_lanes


def test_results_come_back_in_task_order_whatever_the_lanes():
    tasks = [lambda i=i: i * i for i in range(7)]
    for lanes in (1, 2, 3, 7, 20):
        assert run_in_lanes(tasks, lanes) == [i * i for i in range(7)]


def test_no_more_than_the_lanes_run_at_once():
    running = 0
    most = 0
    lock = threading.Lock()
    two_in = threading.Barrier(2, timeout=10)

    def task() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        two_in.wait()  # two lanes must be in at once, or this times out
        with lock:
            running -= 1

    run_in_lanes([task] * 6, 2)
    assert most == 2


def test_zero_lanes_is_a_bug_not_a_silent_nothing():
    with pytest.raises(ValueError, match="lanes"):
        run_in_lanes([lambda: 1], 0)
