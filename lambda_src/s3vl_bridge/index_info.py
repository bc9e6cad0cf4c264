"""What the bridge needs to know about an index (metric, dimension, non-filterable keys,
searchable keys), read with GetIndex once per container and index."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import client

_cache: dict[str, IndexInfo] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class IndexInfo:
    index_arn: str
    index_name: str
    vector_bucket_name: str
    dimension: int
    distance_metric: str
    data_type: str
    non_filterable_metadata_keys: tuple[str, ...]
    # Full-text searchable keys: (metadata_key, language or None, status ACTIVE/BUILDING)
    text_search: tuple[tuple[str, str | None, str | None], ...]
    index_mode: str | None
    creation_time: str | None

    def as_result(self) -> dict[str, Any]:
        return {
            "index_arn": self.index_arn,
            "index_name": self.index_name,
            "vector_bucket_name": self.vector_bucket_name,
            "dimension": self.dimension,
            "distance_metric": self.distance_metric,
            "data_type": self.data_type,
            "non_filterable_metadata_keys": list(self.non_filterable_metadata_keys),
            "text_search_configurations": [
                {"metadata_key": key, "language": language, "status": status}
                for key, language, status in self.text_search
            ],
            "index_mode": self.index_mode,
            "creation_time": self.creation_time,
        }


def index_info(index_arn: str, *, refresh: bool = False) -> IndexInfo:
    if not refresh and (hit := _cache.get(index_arn)) is not None:
        return hit
    raw = client.call("get_index", indexArn=index_arn).body["index"]
    configuration = raw.get("metadataConfiguration") or {}
    info = IndexInfo(
        index_arn=raw.get("indexArn", index_arn),
        index_name=raw["indexName"],
        vector_bucket_name=raw["vectorBucketName"],
        dimension=int(raw["dimension"]),
        distance_metric=str(raw["distanceMetric"]).lower(),
        data_type=raw.get("dataType", "float32"),
        non_filterable_metadata_keys=tuple(configuration.get("nonFilterableMetadataKeys") or ()),
        text_search=tuple(
            (item["metadataKey"], item.get("language"), item.get("status"))
            for item in configuration.get("textSearchConfigurations") or ()
        ),
        index_mode=raw.get("indexMode"),
        creation_time=iso_time(raw.get("creationTime")),
    )
    with _lock:
        _cache[index_arn] = info
    return info


def iso_time(value: object) -> str | None:
    """A creation time as the envelope gives it: ISO 8601 (boto3 parses it to a datetime)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return None if value is None else str(value)


def metric_of(index_arn: str) -> str:
    return index_info(index_arn).distance_metric


def reset() -> None:
    with _lock:
        _cache.clear()
