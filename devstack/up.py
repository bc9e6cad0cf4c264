"""`python -m devstack up [--keep]`: the whole local path with sample data and the walkthrough.

The demo's LocalStack (devstack/stack.py): a throwaway PostgreSQL cluster, the local S3
Vectors service, the local Bedrock Runtime (embedding models) and the local Lambda Invoke
endpoint running the real bridge handler; s3vl
installed with psql as a user would; a bucket with a 5-dimension cosine index holding
sample-data/sample-vectors.json and an empty 1,024-dimension one for the catalog; the products
and catalog tables. Then sample-data/walkthrough.sql and walkthrough_words.sql (the catalog's
text embedded through the whole path, and questions in words), shown in psql's own tables.
With --keep everything stays up for your own psql until Ctrl-C, then the cluster is removed.
This module only narrates, runs the walkthrough and waits.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from . import production_latency
from .stack import (
    CATALOG_INDEX,
    CATALOG_SQL,
    DATABASE,
    DEMO_INDEX,
    DIMENSION,
    INDEX,
    PRODUCTS_SQL,
    WALKTHROUGH_SQL,
    WALKTHROUGH_WORDS_SQL,
    LocalStack,
    StackError,
    Step,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep",
        action="store_true",
        help="stay up after the walkthrough for your own psql, until Ctrl-C",
    )
    production_latency.add_argument(parser)


# The hosted function prints its logs and EMF metrics to sys.stdout, as in Lambda; they go to
# a log file (the local CloudWatch) so the terminal shows this command and psql only.
TERMINAL = sys.stdout


def say(message: str) -> None:
    print(f"devstack up: {message}", file=TERMINAL, flush=True)


def show(line: str = "") -> None:
    print(line, file=TERMINAL, flush=True)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except KeyboardInterrupt:  # while starting or in the walkthrough; cleanup has already run
        say("interrupted; everything started here was removed")
        return 130


def _run(args: argparse.Namespace) -> int:
    from .postgres import PostgresUnavailableError

    try:
        latency = production_latency.from_arguments(args)
    except ValueError as exc:
        print(f"devstack up: {exc}", file=sys.stderr, flush=True)
        return 2
    if latency is not None:
        say(f"production-shaped latency ({latency.profile.name}): AWS's published figures")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    with contextlib.ExitStack() as cleanup:
        # The function's log outlives the demo (everything else is removed): it is what a user
        # reads when a step failed.
        logs = Path(tempfile.mkdtemp(prefix="s3vl-demo-"))
        function_log = cleanup.enter_context((logs / "lambda.log").open("w"))
        cleanup.enter_context(contextlib.redirect_stdout(function_log))
        try:
            stack = cleanup.enter_context(
                LocalStack(
                    indexes=(DEMO_INDEX, CATALOG_INDEX),
                    database_sql=(PRODUCTS_SQL, CATALOG_SQL),
                    on_step=_narrator(logs),
                    production_latency=latency,
                )
            )
        except (PostgresUnavailableError, StackError) as exc:
            print(f"devstack up: {exc}", file=sys.stderr, flush=True)
            return 1
        except subprocess.CalledProcessError as exc:
            print(f"devstack up: psql failed:\n{exc.stderr}", file=sys.stderr)
            return 1

        for script in (WALKTHROUGH_SQL, WALKTHROUGH_WORDS_SQL):
            say(f"running sample-data/{script.name}\n")
            status = run_walkthrough(stack, script)
            if status != 0:
                print(f"devstack up: {script.name} failed (psql exit {status})", file=sys.stderr)
                return 1

        show()
        say("the local stack, for your own psql, scripts and boto3:")
        show(f"DATABASE_URL={stack.dsn()}")
        show(f"S3VECTORS_URL={stack.s3vectors_url}")
        show(f"BEDROCK_URL={stack.bedrock_url}")
        show(f"LAMBDA_URL={stack.function.url}")
        show(f"LAMBDA_ARN={stack.function.function_arn}")
        if not args.keep:
            say("done; stopping and removing everything (run with --keep to stay up for psql)")
            return 0

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        say(f'up. Try: psql "{stack.dsn()}"   (Ctrl-C here stops and removes it all)')
        stop.wait()
        say("stopping; removing the cluster")
    return 0


def _narrator(logs: Path) -> Callable[[Step, LocalStack], None]:
    """What the terminal shows as each step of the demo's stack begins."""

    def on_step(step: Step, stack: LocalStack) -> None:
        if step == "postgres":
            say("starting a throwaway PostgreSQL cluster (removed when this command ends)")
        elif step == "s3vectors":
            say("starting the local S3 Vectors service")
        elif step == "indexes":
            say(
                f"created {stack.index_arn()} ({DIMENSION} dimensions, cosine), "
                f"{stack.loaded[INDEX]} vectors"
            )
            say(
                f"created {stack.index_arn(CATALOG_INDEX.name)} ({CATALOG_INDEX.dimension}"
                " dimensions, cosine; title and description full-text searchable), empty"
            )
        elif step == "bedrock":
            say(
                "starting the local Bedrock Runtime: Titan and Cohere embedding models on a"
                " packaged all-MiniLM-L6-v2 (int8 ONNX; nothing downloaded)"
            )
        elif step == "lambda":
            say(
                "starting the Lambda Invoke endpoint with the real bridge handler"
                f" (its log, kept afterwards: {logs}/lambda.log)"
            )
        elif step == "install":
            say(
                f"installing s3vl into database {DATABASE}"
                " (sql/compat/aws_lambda.sql, then sql/install.sql)"
            )
        elif step == "register":
            say(
                f"pointing s3vl at the bridge (s3vl.configure), registering {INDEX} and"
                f" {CATALOG_INDEX.name} (s3vl.register_index), loading the products and catalog"
                " tables"
            )

    return on_step


def run_walkthrough(stack: LocalStack, script: Path = WALKTHROUGH_SQL) -> int:
    """psql -f SCRIPT (a walkthrough) with its output straight to this terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return subprocess.run(
        [
            str(stack.cluster.pg_bin / "psql"),
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-P",
            "pager=off",
            "-d",
            stack.dsn(),
            "-f",
            str(script),
        ],
        env=env,
        check=False,
    ).returncode
