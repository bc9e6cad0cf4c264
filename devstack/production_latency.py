"""Production-shaped latency: the local S3 Vectors service and the local Lambda Invoke endpoint
answer as slowly as AWS says its services do, so a benchmark's ratios (a batch against single
statements, 100 pages, a flush) mean what they would on AWS. Off unless asked for:

    python -m devstack s3vectors --production-latency      # or DEVSTACK_PRODUCTION_LATENCY=warm
    python -m devstack lambda --s3vectors-url URL --production-latency
    python -m devstack up --production-latency
    LocalStack(production_latency=ProductionLatency.named("warm"))

Each figure below names its source; where AWS publishes none, the figure is ours and says so.
Two profiles: `warm` (a query "as low as 100 milliseconds") and `cold` (queries at 500 ms,
inside AWS's "sub-second" for infrequent queries).

How it waits:
- S3 Vectors: a request is answered no sooner than its operation's figure after it began (a
  floor: AWS's figure is the whole service time, so the local service's own work counts toward
  it), and an index takes writes no faster than AWS's published rates (1,000 requests and 2,500
  vectors a second): a write beyond them waits for its turn. AWS would answer it 429 and the
  bridge's retries would wait instead, so this is the kinder side of the same rate.
- Lambda Invoke: each invocation takes the overhead on top of the handler's own time.
Waits are sleeps of the serving thread (no CPU, the GIL released), and both servers serve each
request on a thread of its own, so concurrent requests wait side by side as they do on AWS.

The S3 Vectors side works through devstack.s3vectors.hooks, so like hooks and faults it applies
to every local service (and mock_aws client) of the process while one server has it on.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ENVIRONMENT_VARIABLE = "DEVSTACK_PRODUCTION_LATENCY"

_BEST_PRACTICES = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-best-practices.html"
)


@dataclass(frozen=True)
class Figure:
    seconds: float
    source: str


# -- the figures ------------------------------------------------------------------------------

WARM_QUERY = Figure(
    0.100, f'{_BEST_PRACTICES}: "as low as 100 milliseconds for warm queries" (QueryVectors)'
)
COLD_QUERY = Figure(
    0.500,
    f'{_BEST_PRACTICES}: "sub-second query performance for cold queries"; 500 ms is ours, '
    "inside that bound (AWS gives no closer figure)",
)
GET_VECTORS = Figure(
    0.050,
    "ours: AWS publishes no GetVectors latency, only that an index serves hundreds of "
    "QueryVectors, GetVectors or ListVectors requests a second; a lookup by key, half a query",
)
LIST_VECTORS = Figure(
    0.100,
    "ours: AWS publishes no ListVectors latency; a page of up to 1,000 vectors (1 MB), taken "
    "as long as a warm query",
)
WRITE = Figure(
    0.100,
    "ours: AWS publishes no PutVectors or DeleteVectors latency, only the rates below; a "
    "durable, strongly consistent write, taken as long as a warm query",
)
CONTROL = Figure(
    0.050,
    "ours: AWS publishes no latency for bucket and index operations (GetIndex, ListIndexes, "
    "CreateIndex, ...)",
)
INVOKE = Figure(
    0.020,
    "ours: AWS publishes no latency for a synchronous Lambda Invoke itself (the request's way "
    "to a warm execution environment and the answer's way back); tens of milliseconds in one "
    "Region, of which we take 20",
)
WRITE_REQUESTS_PER_SECOND = Figure(
    1000,
    f'{_BEST_PRACTICES}: "up to one thousand PutVectors or DeleteVectors requests per second '
    'per vector index"',
)
WRITE_VECTORS_PER_SECOND = Figure(
    2500,
    f'{_BEST_PRACTICES}: "can insert or delete up to two thousand five hundred vectors per '
    'second per vector index"',
)


@dataclass(frozen=True)
class Profile:
    """Seconds per S3 Vectors operation (`control` for those not named), the index's write
    rates, and the overhead of one Lambda invocation."""

    name: str
    operations: Mapping[str, Figure]
    control: Figure = CONTROL
    invoke: Figure = INVOKE
    write_requests_per_second: Figure = WRITE_REQUESTS_PER_SECOND
    write_vectors_per_second: Figure = WRITE_VECTORS_PER_SECOND

    def seconds(self, operation: str) -> float:
        return self.operations.get(operation, self.control).seconds

    def figures(self) -> dict[str, Figure]:
        """Every figure of the profile by what it times, for tables and docs."""
        return {
            **{f"S3 Vectors {name}": figure for name, figure in self.operations.items()},
            "S3 Vectors, other operations": self.control,
            "PutVectors + DeleteVectors requests/s per index": self.write_requests_per_second,
            "vectors written or deleted/s per index": self.write_vectors_per_second,
            "Lambda Invoke overhead": self.invoke,
        }


_DATA_PLANE = {
    "GetVectors": GET_VECTORS,
    "ListVectors": LIST_VECTORS,
    "PutVectors": WRITE,
    "DeleteVectors": WRITE,
}
PROFILES = {
    "warm": Profile("warm", {"QueryVectors": WARM_QUERY, **_DATA_PLANE}),
    "cold": Profile("cold", {"QueryVectors": COLD_QUERY, **_DATA_PLANE}),
}


# -- the waits --------------------------------------------------------------------------------


class WritePacer:
    """When each index has taken a write: at most `requests` writes and `vectors` vectors a
    second, in the order they arrive (the next write starts when the one before is taken)."""

    def __init__(self, requests: float, vectors: float, clock: Callable[[], float]) -> None:
        self._request_cost = 1 / requests
        self._vector_cost = 1 / vectors
        self._clock = clock
        self._lock = threading.Lock()
        self._free_at: dict[str, float] = {}

    def reserve(self, index_arn: str, vectors: int) -> float:
        """The clock time at which the index has taken a write of `vectors` arriving now."""
        cost = max(self._request_cost, vectors * self._vector_cost)
        with self._lock:
            start = max(self._clock(), self._free_at.get(index_arn, 0.0))
            self._free_at[index_arn] = start + cost
            return start + cost


_applied_lock = threading.Lock()
_applied: list[ProductionLatency] = []  # the one applied to the local service, if any


class ProductionLatency:
    """A profile's waits. `clock` and `wait` are time.monotonic and time.sleep; tests give
    their own to see what would be waited without waiting."""

    def __init__(
        self,
        profile: Profile = PROFILES["warm"],
        *,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.profile = profile
        self.clock = clock
        self.wait = wait
        self._pacer = WritePacer(
            profile.write_requests_per_second.seconds,
            profile.write_vectors_per_second.seconds,
            clock,
        )
        self._release = threading.local()  # per serving thread: when its answer may leave

    @classmethod
    def named(cls, name: str) -> ProductionLatency:
        if name not in PROFILES:
            raise ValueError(
                f"no production latency profile {name!r}; choose one of {', '.join(PROFILES)}"
            )
        return cls(PROFILES[name])

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ProductionLatency | None:
        """DEVSTACK_PRODUCTION_LATENCY: unset, empty, 0 or off for none; 1, on or true for
        warm; else a profile's name."""
        value = (os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE, "")
        value = value.strip().lower()
        if value in ("", "0", "off", "false", "no"):
            return None
        try:
            return cls.named("warm" if value in ("1", "on", "true", "yes") else value)
        except ValueError as exc:
            raise ValueError(f"{ENVIRONMENT_VARIABLE}={value!r}: {exc}, or off") from None

    # -- S3 Vectors: through the local service's hooks ------------------------------------------

    @contextlib.contextmanager
    def applied_to_s3vectors(self) -> Iterator[None]:
        """Every S3 Vectors request of this process served with the profile's waits, until the
        block ends; one ProductionLatency at a time (two would each add their wait)."""
        from botocore.session import get_session

        from .s3vectors import hooks

        with _applied_lock:
            if _applied:
                raise RuntimeError(
                    "production latency is already applied to the local S3 Vectors service of "
                    "this process; stop that server first"
                )
            _applied.append(self)
        try:
            with contextlib.ExitStack() as hooked:
                operations = get_session().get_service_model("s3vectors").operation_names
                for operation in operations:
                    hook = functools.partial(self._serve, operation)
                    hooked.enter_context(hooks.around(operation, hook))
                hooked.enter_context(hooks.watch_writes(self._written))
                yield
        finally:
            with _applied_lock:
                _applied.clear()

    def _serve(self, operation: str, proceed: Callable[[], Any]) -> Any:
        """An `around` hook: serve the request, then wait until its operation's time has
        passed since it began, and a write until the index has taken it (see _written)."""
        self._release.at = self.clock() + self.profile.seconds(operation)
        try:
            return proceed()
        finally:
            left = self._release.at - self.clock()
            if left > 0:
                self.wait(left)

    def _written(self, operation: str, index_arn: str, keys: list[str]) -> None:
        """A write watcher, called inside _serve's proceed() on the same thread."""
        taken = self._pacer.reserve(index_arn, len(keys))
        self._release.at = max(getattr(self._release, "at", 0.0), taken)

    # -- Lambda Invoke ----------------------------------------------------------------------------

    def invoke_overhead(self) -> None:
        """Called by the local Invoke endpoint once per invocation, on the request's thread."""
        self.wait(self.profile.invoke.seconds)


# -- the switch on the command line -------------------------------------------------------------


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--production-latency",
        nargs="?",
        const="warm",
        default=None,
        choices=list(PROFILES),
        metavar="PROFILE",
        help="answer with AWS's published latencies (devstack/production_latency.py): warm "
        f"(the default profile) or cold; also {ENVIRONMENT_VARIABLE}=warm. Off by default",
    )


def from_arguments(args: argparse.Namespace) -> ProductionLatency | None:
    """The flag, else the environment variable, else none."""
    if args.production_latency is not None:
        return ProductionLatency.named(args.production_latency)
    return ProductionLatency.from_environment()
