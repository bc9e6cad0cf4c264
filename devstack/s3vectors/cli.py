"""`python -m devstack s3vectors`: serve the local S3 Vectors service until interrupted."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from .. import production_latency


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--log-requests", action="store_true", help="log each request to stderr")
    production_latency.add_argument(parser)


def run(args: argparse.Namespace) -> int:
    try:
        latency = production_latency.from_arguments(args)
    except ValueError as exc:
        print(f"devstack s3vectors: {exc}", file=sys.stderr)
        return 2
    # Requests overlap on threads of their own, as on AWS, so numpy's matrix products stay on
    # one thread each: OpenBLAS's own threads spin while they wait (100 queries one at a time
    # burned 8 s of CPU against 0.4 s single-threaded, measured), taking the CPU from the
    # database and the function beside it. Read when numpy loads, below.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from .server import LocalS3Vectors

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    service = LocalS3Vectors(
        host=args.host, port=args.port, log_requests=args.log_requests, production_latency=latency
    )
    url = service.start()
    print(f"S3VECTORS_URL={url}", flush=True)
    if latency is not None:
        print(f"PRODUCTION_LATENCY={latency.profile.name}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        service.stop()
    return 0
