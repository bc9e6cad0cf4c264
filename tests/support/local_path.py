"""The whole local path of the write, sync and security tests: a module's local path (S3 Vectors
service, Lambda endpoint with the real bridge, a database with s3vl configured), reading an
index back through boto3, and a spy that records every PutVectors / DeleteVectors the service
receives.

The fixtures `path`, `db`, `clean` and `spy` are registered by a conftest that imports them by
name (tests/write_sync, tests/security), together with `cluster` from tests.support.postgres:
one cluster for the session; one local path per module; indexes emptied and sync state
forgotten before every test that uses the path."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import psycopg
import pytest

from devstack.bedrock.server import LocalBedrock
from devstack.lambda_invoke.server import LocalLambda
from devstack.postgres import TemporaryCluster
from devstack.s3vectors import hooks
from devstack.s3vectors.server import LocalS3Vectors
from devstack.stack import IndexSpec, LocalStack
from tests.support.s3vectors import all_keys, chunks, pages, put_in_chunks

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
    bedrock: LocalBedrock | None = None  # the local Bedrock Runtime the bridge embeds with

    def vectors(self, index: str = "items") -> dict[str, tuple[list[float], dict[str, Any]]]:
        """Everything the index holds, read through boto3: key -> (data, metadata)."""
        listing = pages(
            self.client.list_vectors,
            vectorBucketName=self.bucket,
            indexName=index,
            returnData=True,
            returnMetadata=True,
            maxResults=1000,
        )
        return {
            vector["key"]: (vector["data"]["float32"], vector.get("metadata") or {})
            for page in listing
            for vector in page.get("vectors", [])
        }

    def key_set(self, index: str = "items") -> set[str]:
        return set(all_keys(self.client, {"vectorBucketName": self.bucket, "indexName": index}))

    def get(self, index: str, keys: list[str]) -> dict[str, tuple[list[float], dict[str, Any]]]:
        page = self.client.get_vectors(
            vectorBucketName=self.bucket, indexName=index, keys=keys,
            returnData=True, returnMetadata=True,
        )  # fmt: skip
        return {v["key"]: (v["data"]["float32"], v.get("metadata") or {}) for v in page["vectors"]}

    def put(self, index: str, vectors: list[dict[str, Any]]) -> None:
        """Write behind s3vl's back (to plant orphans and stale vectors)."""
        put_in_chunks(self.client, {"vectorBucketName": self.bucket, "indexName": index}, vectors)

    def empty_indexes(self) -> None:
        for index in INDEXES:
            for keys in chunks(sorted(self.key_set(index))):
                self.client.delete_vectors(
                    vectorBucketName=self.bucket, indexName=index, keys=list(keys)
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
        parts = (stack.client, stack.bucket, stack.function, stack.s3vectors)
        yield LocalPath(cluster, dbname, dsn, *parts, bedrock=stack.bedrock)


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


@pytest.fixture(scope="module")
def path(cluster: TemporaryCluster, request: pytest.FixtureRequest) -> Iterator[LocalPath]:
    """S3 Vectors + bridge + a database with s3vl configured and `items` (dimension 4,
    cosine), `wide` and `notes` registered through the bridge. Named after the folder and the
    module, so two folders never share a bucket or a database."""
    name = f"{request.path.parent.name[:3]}-{request.module.__name__.rsplit('.', 1)[-1]}"
    slug = re.sub(r"[^a-z0-9]", "-", name.lower())[:40]
    with open_local_path(cluster, slug) as local:
        yield local


@pytest.fixture
def db(path: LocalPath) -> Iterator[psycopg.Connection]:
    """An autocommit connection as the superuser that installed s3vl: writes to S3 Vectors
    are not transactional anyway, and the sync tests need committed outbox rows."""
    with psycopg.connect(path.dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that uses the path starts with empty indexes and no sync state."""
    if "path" not in request.fixturenames:
        yield
        return
    p: LocalPath = request.getfixturevalue("path")
    p.empty_indexes()
    p.forget_sync_state()
    yield


@pytest.fixture
def spy() -> Iterator[SpyOnWrites]:
    with SpyOnWrites() as recorder:
        yield recorder
