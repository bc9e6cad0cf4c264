"""`python -m devstack bedrock`: serve the local Bedrock Runtime until interrupted."""

from __future__ import annotations

import argparse
import signal
import threading


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--log-requests", action="store_true", help="log each request to stderr")


def run(args: argparse.Namespace) -> int:
    from .catalog import MODELS
    from .server import LocalBedrock

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    service = LocalBedrock(host=args.host, port=args.port, log_requests=args.log_requests)
    url = service.start()
    print(f"BEDROCK_URL={url}", flush=True)
    print(f"BEDROCK_MODELS={','.join(sorted(MODELS))}", flush=True)
    try:
        stop.wait()
    finally:
        service.stop()
    return 0
