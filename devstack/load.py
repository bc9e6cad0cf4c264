"""`python -m devstack.load FILE --index-arn ARN (--lambda-url URL | --s3vectors-url URL)`:
load a put-vectors file into an index, with a progress bar on stderr.

FILE is the put-vectors format (a JSON list of {key, data, metadata}, or {"vectors": [...]}),
as sample-data/sample-vectors.json. Through --lambda-url the vectors go to the bridge's
put_vectors over the Lambda Invoke API (the path SQL takes), in invocations of at most 500
vectors and under Lambda's 6 MB request payload; through --s3vectors-url they go straight to
PutVectors with boto3. Module layout as the other devstack commands: add_arguments / run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from .lambda_invoke.server import MAX_SYNC_REQUEST_BYTES
from .s3vectors.limits import MAX_PUT_REQUEST_BYTES, MAX_PUT_VECTORS

LAMBDA_PAYLOAD_BYTES = MAX_SYNC_REQUEST_BYTES - 16_384  # room for the operation and the ARN
PUT_VECTORS_BYTES = MAX_PUT_REQUEST_BYTES - 64 * 1024  # room for the index selector
REGION = "us-east-1"


class LoadError(RuntimeError):
    """The load cannot go on; the message says what was written and what to do."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="put-vectors JSON file: [{key, data, metadata}]")
    parser.add_argument("--index-arn", required=True, help="the index to load into")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--lambda-url", help="Lambda Invoke endpoint, e.g. devstack's LAMBDA_URL")
    target.add_argument("--s3vectors-url", help="S3 Vectors endpoint, e.g. S3VECTORS_URL")
    parser.add_argument("--function", default="s3vl-bridge", help="function name or ARN")
    parser.add_argument("--region", default=REGION)


def read_vectors(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise LoadError(f"{path}: no such file; pass a put-vectors JSON file")
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise LoadError(f"{path}: not JSON ({exc}); pass a put-vectors JSON file") from None
    vectors = document.get("vectors") if isinstance(document, dict) else document
    if not isinstance(vectors, list) or not vectors:
        raise LoadError(f"{path}: expected a non-empty list of {{key, data, metadata}}")
    return vectors


def batches(vectors: list[dict[str, Any]], budget: int) -> Iterator[list[dict[str, Any]]]:
    """In order: at most MAX_PUT_VECTORS (500) vectors and `budget` bytes of JSON per batch."""
    batch: list[dict[str, Any]] = []
    size = 0
    for vector in vectors:
        item = len(json.dumps(vector, separators=(",", ":")).encode()) + 1
        if batch and (len(batch) == MAX_PUT_VECTORS or size + item > budget):
            yield batch
            batch, size = [], 0
        batch.append(vector)
        size += item
    if batch:
        yield batch


class Progress:
    """A one-line bar redrawn in place on a terminal; a line per tenth otherwise (logs, CI)."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.done = 0
        self.started = time.perf_counter()
        self.live = stream.isatty()
        self._last_tenth = -1

    def advance(self, count: int) -> None:
        self.done += count
        tenth = self.done * 10 // self.total
        if not self.live and tenth == self._last_tenth:
            return
        self._last_tenth = tenth
        filled = self.width * self.done // self.total
        rate = self.done / max(time.perf_counter() - self.started, 1e-9)
        line = (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} vectors "
            f"{100 * self.done // self.total:3d}% {rate:,.0f}/s"
        )
        self.stream.write(("\r" + line) if self.live else line + "\n")
        if self.live and self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def _client(service: str, url: str, region: str) -> Any:
    import boto3

    return boto3.client(
        service, endpoint_url=url, region_name=region,
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip


def load(args: argparse.Namespace, stream: TextIO = sys.stderr) -> int:
    vectors = read_vectors(args.file)
    progress = Progress(len(vectors), stream)
    if args.lambda_url:
        client = _client("lambda", args.lambda_url, args.region)
        budget = LAMBDA_PAYLOAD_BYTES
    else:
        client = _client("s3vectors", args.s3vectors_url, args.region)
        budget = PUT_VECTORS_BYTES
    from botocore.exceptions import BotoCoreError, ClientError

    for batch in batches(vectors, budget):
        try:
            if args.lambda_url:
                _invoke_put(client, args.function, args.index_arn, batch)
            else:
                client.put_vectors(indexArn=args.index_arn, vectors=batch)
        except (LoadError, BotoCoreError, ClientError) as exc:  # boto3 errors name the AWS code
            raise LoadError(
                f"{exc}; {progress.done} of {len(vectors)} vectors were written "
                f"before this batch (rerun the load: puts overwrite)"
            ) from None
        progress.advance(len(batch))
    return len(vectors)


def _invoke_put(client: Any, function: str, index_arn: str, batch: list[dict[str, Any]]) -> None:
    payload = {"operation": "put_vectors", "index_arn": index_arn, "vectors": batch}
    answer = client.invoke(FunctionName=function, Payload=json.dumps(payload).encode())
    envelope = json.loads(answer["Payload"].read() or b"null")
    if answer.get("FunctionError") or not isinstance(envelope, dict):
        raise LoadError(f"the function failed: {envelope}")
    if not envelope.get("success"):
        error = envelope.get("error") or {}
        field = f" (field {error['field']})" if error.get("field") else ""
        raise LoadError(f"{error.get('type', 'Error')}: {error.get('message')}{field}")


def run(args: argparse.Namespace) -> int:
    try:
        count = load(args)
    except LoadError as exc:
        print(f"devstack load: {exc}", file=sys.stderr)
        return 1
    print(f"devstack load: {count} vectors loaded into {args.index_arn}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.load", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
