"""What the write and sync tests share: the module's local path, reading an index back
through boto3, and a spy that records every PutVectors / DeleteVectors the service receives."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import psycopg

from devstack.lambda_invoke.server import LocalLambda
from devstack.postgres import TemporaryCluster
from devstack.s3vectors import hooks
from devstack.s3vectors.server import LocalS3Vectors
from devstack.stack import IndexSpec, LocalStack

INDEXES = ("items", "wide", "notes")


@dataclass
class LocalPath:
    cluster: TemporaryCluster
    dbname: str
    dsn: str
    client: Any  # boto3 s3vectors client on the local service
    bucket: str
    function: LocalLambda
    s3vectors: LocalS3Vectors

    def vectors(self, index: str = "items") -> dict[str, tuple[list[float], dict[str, Any]]]:
        """Everything the index holds, read through boto3: key -> (data, metadata)."""
        found: dict[str, tuple[list[float], dict[str, Any]]] = {}
        kwargs: dict[str, Any] = {
            "vectorBucketName": self.bucket,
            "indexName": index,
            "returnData": True,
            "returnMetadata": True,
            "maxResults": 1000,
        }
        while True:
            page = self.client.list_vectors(**kwargs)
            for vector in page.get("vectors", []):
                found[vector["key"]] = (
                    vector["data"]["float32"],
                    vector.get("metadata") or {},
                )
            if not page.get("nextToken"):
                return found
            kwargs["nextToken"] = page["nextToken"]

    def key_set(self, index: str = "items") -> set[str]:
        found: set[str] = set()
        kwargs: dict[str, Any] = {"vectorBucketName": self.bucket, "indexName": index}
        while True:
            page = self.client.list_vectors(**kwargs, maxResults=1000)
            found.update(vector["key"] for vector in page.get("vectors", []))
            if not page.get("nextToken"):
                return found
            kwargs["nextToken"] = page["nextToken"]

    def get(self, index: str, keys: list[str]) -> dict[str, tuple[list[float], dict[str, Any]]]:
        page = self.client.get_vectors(
            vectorBucketName=self.bucket, indexName=index, keys=keys,
            returnData=True, returnMetadata=True,
        )  # fmt: skip
        return {v["key"]: (v["data"]["float32"], v.get("metadata") or {}) for v in page["vectors"]}

    def put(self, index: str, vectors: list[dict[str, Any]]) -> None:
        """Write behind s3vl's back (to plant orphans and stale vectors)."""
        for start in range(0, len(vectors), 500):
            self.client.put_vectors(
                vectorBucketName=self.bucket, indexName=index, vectors=vectors[start : start + 500]
            )

    def empty_indexes(self) -> None:
        for index in INDEXES:
            keys = sorted(self.key_set(index))
            for start in range(0, len(keys), 500):
                self.client.delete_vectors(
                    vectorBucketName=self.bucket, indexName=index, keys=keys[start : start + 500]
                )

    def forget_sync_state(self) -> None:
        """Sync state is per index, and the tests share the module's indexes."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(
                "DO $$ BEGIN IF to_regclass('s3vl.outbox') IS NOT NULL THEN"
                " TRUNCATE s3vl.sync_source, s3vl.outbox, s3vl.key_version CASCADE; END IF; END $$"
            )


@contextlib.contextmanager
def open_local_path(
    cluster: TemporaryCluster, slug: str, *, bridge_environment: dict[str, str] | None = None
) -> Iterator[LocalPath]:
    """The local S3 Vectors service with bucket `ws-<slug>` and the indexes of INDEXES, the
    Lambda Invoke endpoint with the real bridge serving that bucket, and database
    `ws_<slug>` with compat and s3vl installed, configured and the indexes registered.
    `bridge_environment` adds to (or replaces) the bridge's environment."""
    dbname = "ws_" + slug.replace("-", "_")
    with LocalStack(
        cluster=cluster,
        bucket=f"ws-{slug}".strip("-"),
        indexes=[
            IndexSpec("items", 4),
            IndexSpec("wide", 4096),
            # `notes` keeps a long text in metadata: non-filterable, so over 2 KB is fine.
            IndexSpec("notes", 4, non_filterable_keys=("body",)),
        ],
        database=None,
        bridge_environment={
            "S3VL_MAX_ATTEMPTS": "1",  # a fault surfaces at once, without retries
            **(bridge_environment or {}),
        },
    ) as stack:
        dsn = stack.add_database(dbname)
        yield LocalPath(
            cluster, dbname, dsn, stack.client, stack.bucket, stack.function, stack.s3vectors
        )


class SpyOnWrites:
    """Records the keys of every PutVectors and DeleteVectors call the local service applies
    (the service runs in this process), through devstack.s3vectors.hooks.watch_writes."""

    def __init__(self) -> None:
        self.puts: list[list[str]] = []
        self.deletes: list[list[str]] = []
        self._lock = threading.Lock()
        self._watching = contextlib.ExitStack()

    def _record(self, operation: str, index_arn: str, keys: list[str]) -> None:
        with self._lock:
            (self.puts if operation == "PutVectors" else self.deletes).append(keys)

    def __enter__(self) -> SpyOnWrites:
        self._watching.enter_context(hooks.watch_writes(self._record))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._watching.close()

    @property
    def put_keys(self) -> list[str]:
        return [key for call in self.puts for key in call]

    @property
    def deleted_keys(self) -> list[str]:
        return [key for call in self.deletes for key in call]
