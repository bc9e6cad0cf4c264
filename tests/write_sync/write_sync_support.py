"""What the write and sync tests share: the module's local path, reading an index back
through boto3, and a spy that records every PutVectors / DeleteVectors the service receives."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import psycopg
from moto.s3vectors.responses import S3VectorsResponse

from devstack.lambda_invoke.server import LocalLambda
from devstack.postgres import TemporaryCluster
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
                " TRUNCATE s3vl.sync_source, s3vl.outbox, s3vl.key_version; END IF; END $$"
            )


class SpyOnWrites:
    """Records the keys of every PutVectors and DeleteVectors call the local service serves
    (the service runs in this process), then lets the call proceed unchanged."""

    def __init__(self) -> None:
        self.puts: list[list[str]] = []
        self.deletes: list[list[str]] = []
        self._lock = threading.Lock()
        self._saved: dict[str, Any] = {}

    def __enter__(self) -> SpyOnWrites:
        spy = self
        put, delete = S3VectorsResponse.put_vectors, S3VectorsResponse.delete_vectors
        self._saved = {"put_vectors": put, "delete_vectors": delete}

        def put_vectors(response: Any) -> Any:
            result = put(response)  # raises when the service refuses: nothing recorded
            with spy._lock:
                spy.puts.append([v["key"] for v in response._get_param("vectors")])
            return result

        def delete_vectors(response: Any) -> Any:
            result = delete(response)
            with spy._lock:
                spy.deletes.append(list(response._get_param("keys")))
            return result

        S3VectorsResponse.put_vectors = put_vectors  # type: ignore[method-assign]
        S3VectorsResponse.delete_vectors = delete_vectors  # type: ignore[method-assign]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for name, original in self._saved.items():
            setattr(S3VectorsResponse, name, original)

    @property
    def put_keys(self) -> list[str]:
        return [key for call in self.puts for key in call]

    @property
    def deleted_keys(self) -> list[str]:
        return [key for call in self.deletes for key in call]
