"""`python -m devstack lambda`: serve the Lambda Invoke API with the real bridge handler until
interrupted, pointed at a local S3 Vectors service."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .. import production_latency
from .server import DEFAULT_HANDLER, DEFAULT_REGION, LocalLambda


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--s3vectors-url",
        required=True,
        metavar="URL",
        help="the local S3 Vectors service (S3VECTORS_URL of `python -m devstack s3vectors`)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free port)")
    parser.add_argument(
        "--bucket-arn",
        action="append",
        default=[],
        metavar="ARN",
        help="a vector bucket whose every index the function serves (S3VL_BUCKET_ARNS); repeatable",
    )
    parser.add_argument(
        "--index-arn",
        action="append",
        default=[],
        metavar="ARN",
        help="one index the function serves (S3VL_INDEX_ARNS); repeatable",
    )
    parser.add_argument(
        "--region", default=DEFAULT_REGION, help=f"AWS_REGION of the function ({DEFAULT_REGION})"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30,
        metavar="S",
        help="per-invocation timeout in seconds, answered as Lambda's timeout error (30)",
    )
    parser.add_argument(
        "--handler", default=DEFAULT_HANDLER, metavar="DOTTED", help=f"({DEFAULT_HANDLER})"
    )
    production_latency.add_argument(parser)


def run(args: argparse.Namespace) -> int:
    # The bridge has no wildcard: it serves exactly the ARNs it is given, as in the cloud.
    if not args.bucket_arn and not args.index_arn:
        print(
            "devstack lambda: give at least one --bucket-arn or --index-arn: the bridge serves "
            "only allowlisted indexes, e.g. --bucket-arn "
            f"arn:aws:s3vectors:{args.region}:123456789012:bucket/demo-vectors",
            file=sys.stderr,
        )
        return 2
    if args.timeout <= 0:
        print(f"devstack lambda: --timeout must be positive, got {args.timeout}", file=sys.stderr)
        return 2
    try:
        latency = production_latency.from_arguments(args)
    except ValueError as exc:
        print(f"devstack lambda: {exc}", file=sys.stderr)
        return 2
    environment = {
        "S3VECTORS_ENDPOINT_URL": args.s3vectors_url,
        "S3VL_BUCKET_ARNS": ",".join(args.bucket_arn),
        "S3VL_INDEX_ARNS": ",".join(args.index_arn),
        "AWS_REGION": args.region,
    }
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with LocalLambda(
        handler=args.handler,
        host=args.host,
        port=args.port,
        timeout_s=args.timeout,
        environment=environment,
        production_latency=latency,
    ) as function:
        print(f"LAMBDA_URL={function.url}", flush=True)
        print(f"LAMBDA_ARN={function.function_arn}", flush=True)
        if latency is not None:
            print(f"PRODUCTION_LATENCY={latency.profile.name}", flush=True)
        stop.wait()
    return 0
