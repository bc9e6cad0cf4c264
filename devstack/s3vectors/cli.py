"""`python -m devstack s3vectors`: serve the local S3 Vectors service until interrupted."""

from __future__ import annotations

import argparse
import signal
import threading


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--log-requests", action="store_true", help="log each request to stderr")


def run(args: argparse.Namespace) -> int:
    from .server import LocalS3Vectors

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    service = LocalS3Vectors(host=args.host, port=args.port, log_requests=args.log_requests)
    url = service.start()
    print(f"S3VECTORS_URL={url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        service.stop()
    return 0
