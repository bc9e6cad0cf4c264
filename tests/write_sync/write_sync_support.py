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
from e2esupport import new_bridge_container

from devstack import up
from devstack.lambda_invoke.server import LocalLambda
from devstack.postgres import TemporaryCluster
from devstack.s3vectors import writes
from devstack.s3vectors.server import LocalS3Vectors

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
    bucket = f"ws-{slug}".strip("-")
    s3vectors = LocalS3Vectors()
    url = s3vectors.start()
    client = up.s3vectors_client(url)
    client.create_vector_bucket(vectorBucketName=bucket)
    bucket_arn = client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"][
        "vectorBucketArn"
    ]
    for name, dimension in (("items", 4), ("wide", 4096), ("notes", 4)):
        client.create_index(
            vectorBucketName=bucket,
            indexName=name,
            dataType="float32",
            dimension=dimension,
            distanceMetric="cosine",
            # `notes` keeps a long text in metadata: non-filterable, so over 2 KB is fine.
            **({"metadataConfiguration": {"nonFilterableMetadataKeys": ["body"]}}
               if name == "notes" else {}),
        )  # fmt: skip
    function = LocalLambda(
        environment={
            "S3VECTORS_ENDPOINT_URL": url,
            "S3VL_BUCKET_ARNS": bucket_arn,
            "AWS_REGION": up.REGION,
            "S3VL_MAX_ATTEMPTS": "1",  # a fault surfaces at once, without retries
            **(bridge_environment or {}),
        }
    )
    new_bridge_container()
    function.start()
    dbname = "ws_" + slug.replace("-", "_")
    try:
        cluster.psql("-q", "-c", f'DROP DATABASE IF EXISTS "{dbname}"')
        cluster.create_database(dbname)
        up.install_s3vl(cluster, dbname, lambda_url=function.url)
        for name in INDEXES:
            index_arn = client.get_index(vectorBucketName=bucket, indexName=name)["index"][
                "indexArn"
            ]
            up.configure_and_register(
                cluster, dbname, lambda_arn=function.function_arn, index_arn=index_arn,
                index_name=name,
            )  # fmt: skip
        yield LocalPath(cluster, dbname, cluster.dsn(dbname), client, bucket, function, s3vectors)
    finally:
        function.stop()
        new_bridge_container()
        s3vectors.stop()


class SpyOnWrites:
    """Records the keys of every PutVectors and DeleteVectors call the local service applies
    (the service runs in this process), through devstack.s3vectors.writes.watch."""

    def __init__(self) -> None:
        self.puts: list[list[str]] = []
        self.deletes: list[list[str]] = []
        self._lock = threading.Lock()
        self._watching = contextlib.ExitStack()

    def _record(self, operation: str, index_arn: str, keys: list[str]) -> None:
        with self._lock:
            (self.puts if operation == "PutVectors" else self.deletes).append(keys)

    def __enter__(self) -> SpyOnWrites:
        self._watching.enter_context(writes.watch(self._record))
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
