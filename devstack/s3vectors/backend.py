"""What the local service adds to moto's S3VectorsBackend, installed onto the class by install().

moto keeps buckets and indexes; each index gains an IndexStore (the float32 matrix), its
non-filterable keys, its mode and a creation time. All data-plane operations go through
the store, so moto's own `Index.vectors` dict stays empty.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from moto.s3vectors.models import Index, S3VectorsBackend, VectorBucket

from . import limits, tokens
from .errors import ConflictException, ValidationException
from .filters import compile_filter
from .store import IndexStore, segment_of

ENHANCED, CLASSIC = "ENHANCED", "CLASSIC"
# AWS: CLASSIC is allowed only for indexes in buckets created before this instant.
CLASSIC_CUTOFF = datetime(2026, 9, 30, tzinfo=UTC)
# Local mechanism to get such a bucket: create it with this tag set to "true".
LEGACY_BUCKET_TAG = "devstack:legacy-bucket"
_LEGACY_CREATION_TIME = datetime(2026, 9, 1, tzinfo=UTC)
# Used with fullmatch: `$` passes "x\n". moto checks bucket names against a list of characters
# only, which lets a newline through.
_INDEX_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")

_original_create_vector_bucket = S3VectorsBackend.create_vector_bucket
_original_create_index = S3VectorsBackend.create_index


@dataclass
class BucketExtras:
    creation_time: datetime
    default_index_mode: str = ENHANCED


@dataclass
class IndexExtras:
    store: IndexStore
    creation_time: datetime
    index_mode: str = ENHANCED
    non_filterable_keys: list[str] = field(default_factory=list)


# Kept in the moto object's __dict__ under one name, so moto's own fields stay untouched.
_EXTRAS = "s3vl_extras"


def bucket_extras(bucket: VectorBucket) -> BucketExtras:
    extras = vars(bucket).get(_EXTRAS)
    if extras is None:  # a bucket made before install()
        extras = vars(bucket)[_EXTRAS] = BucketExtras(datetime.now(UTC))
    return extras


def index_extras(index: Index) -> IndexExtras:
    extras = vars(index).get(_EXTRAS)
    if extras is None:  # an index made before install()
        store = IndexStore(index.dimension, index.distance_metric)
        extras = vars(index)[_EXTRAS] = IndexExtras(store, datetime.now(UTC))
    return extras


def index_store(index: Index) -> IndexStore:
    return index_extras(index).store


def create_vector_bucket(
    self: S3VectorsBackend,
    region: str,
    vector_bucket_name: str,
    encryption_configuration: dict[str, str],
    tags: dict[str, str] | None = None,
) -> None:
    if not isinstance(vector_bucket_name, str) or not _BUCKET_NAME.fullmatch(vector_bucket_name):
        raise ValidationException(
            "vectorBucketName",
            "must be 3 to 63 characters of lowercase letters, digits and hyphens, starting and "
            "ending with a letter or digit",
        )
    _original_create_vector_bucket(self, region, vector_bucket_name, encryption_configuration, tags)
    bucket = self.get_vector_bucket(vector_bucket_name=vector_bucket_name)
    legacy = (tags or {}).get(LEGACY_BUCKET_TAG, "").lower() == "true"
    vars(bucket)[_EXTRAS] = (
        BucketExtras(_LEGACY_CREATION_TIME, CLASSIC) if legacy else BucketExtras(datetime.now(UTC))
    )


def create_index(
    self: S3VectorsBackend,
    vector_bucket_name: str,
    vector_bucket_arn: str,
    index_name: str,
    data_type: str,
    dimension: int,
    distance_metric: str,
    tags: dict[str, str] | None = None,
    metadata_configuration: dict[str, Any] | None = None,
) -> None:
    bucket = self.get_vector_bucket(
        vector_bucket_name=vector_bucket_name, vector_bucket_arn=vector_bucket_arn
    )
    if not isinstance(index_name, str) or not _INDEX_NAME.fullmatch(index_name):
        raise ValidationException(
            "indexName",
            "must be 3 to 63 characters of lowercase letters, digits, hyphens and dots, "
            "starting and ending with a letter or digit",
        )
    if any(existing.index_name == index_name for existing in bucket.indexes.values()):
        raise ConflictException("An index with the specified name already exists")
    limits.dimension(dimension)
    if distance_metric not in ("euclidean", "cosine"):
        raise ValidationException("distanceMetric", "must be 'euclidean' or 'cosine'")
    if data_type != "float32":
        raise ValidationException("dataType", "must be 'float32'")
    hidden = limits.non_filterable_keys(metadata_configuration)
    _original_create_index(
        self,
        bucket.vector_bucket_name,
        bucket.vector_bucket_arn,
        index_name,
        "float32",
        dimension,
        distance_metric,
        tags,
    )
    index = bucket.indexes[f"{bucket.vector_bucket_arn}/index/{index_name}"]
    vars(index)[_EXTRAS] = IndexExtras(
        store=IndexStore(dimension, distance_metric),
        creation_time=datetime.now(UTC),
        index_mode=bucket_extras(bucket).default_index_mode,
        non_filterable_keys=hidden,
    )


def _check_mode(mode: Any, field: str) -> str:
    if mode not in (ENHANCED, CLASSIC):
        raise ValidationException(field, f"must be CLASSIC or ENHANCED, got {mode!r}")
    return mode


def _check_classic_allowed(bucket: VectorBucket, field: str) -> None:
    if bucket_extras(bucket).creation_time >= CLASSIC_CUTOFF:
        raise ValidationException(
            field,
            "CLASSIC is allowed only in vector buckets created before September 30, 2026",
            "Use ENHANCED.",
        )


def put_vector_bucket_default_index_mode(
    self: S3VectorsBackend, vector_bucket_name: str, vector_bucket_arn: str, mode: Any
) -> None:
    bucket = self.get_vector_bucket(vector_bucket_name, vector_bucket_arn=vector_bucket_arn)
    if _check_mode(mode, "defaultIndexMode") == CLASSIC:
        _check_classic_allowed(bucket, "defaultIndexMode")
    bucket_extras(bucket).default_index_mode = mode


def update_index_mode(
    self: S3VectorsBackend, vector_bucket_name: str, index_name: str, index_arn: str, mode: Any
) -> None:
    index = self.get_index(vector_bucket_name, index_name, index_arn)
    if _check_mode(mode, "indexMode") == CLASSIC:
        _check_classic_allowed(index._bucket, "indexMode")
    index_extras(index).index_mode = mode


def list_indexes(
    self: S3VectorsBackend,
    vector_bucket_name: str | None,
    vector_bucket_arn: str | None,
    max_results: int | None = None,
    next_token: str | None = None,
    prefix: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of index summaries in name order, optionally only names with `prefix`."""
    if vector_bucket_name and vector_bucket_arn:
        raise ValidationException(
            "vectorBucketArn",
            "vectorBucketArn was given together with vectorBucketName",
            "Specify one of them.",
        )
    bucket = self.get_vector_bucket(vector_bucket_name, vector_bucket_arn=vector_bucket_arn)
    limit = (
        limits.MAX_LIST_INDEXES
        if max_results is None
        else limits.int_between(max_results, "maxResults", 1, limits.MAX_LIST_INDEXES)
    )
    after = tokens.decode(next_token, "indexes").get("a") if next_token is not None else None
    names = sorted(
        (index.index_name, index)
        for index in bucket.indexes.values()
        if not prefix or index.index_name.startswith(prefix)
    )
    remaining = [pair for pair in names if after is None or pair[0] > after]
    page = [
        {
            "vectorBucketName": bucket.vector_bucket_name,
            "indexName": index.index_name,
            "indexArn": index.index_arn,
            "creationTime": index_extras(index).creation_time,
        }
        for _, index in remaining[:limit]
    ]
    more = len(remaining) > limit
    token = tokens.encode({"kind": "indexes", "a": page[-1]["indexName"]}) if more else None
    return page, token


def put_vectors(
    self: S3VectorsBackend,
    vector_bucket_name: str,
    index_name: str,
    index_arn: str,
    vectors: list[dict[str, Any]],
) -> None:
    index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
    limits.count_between(vectors, "vectors", 1, limits.MAX_PUT_VECTORS)
    hidden = index_extras(index).non_filterable_keys
    keys, rows, metas = [], [], []
    for i, vector in enumerate(vectors):  # everything is checked before the first write
        keys.append(limits.vector_key(vector.get("key"), f"vectors[{i}].key"))
        rows.append(
            limits.vector_data(
                vector.get("data"), f"vectors[{i}].data", index.dimension, index.distance_metric
            )
        )
        metas.append(limits.metadata(vector.get("metadata"), f"vectors[{i}].metadata", hidden))
    store = index_store(index)
    with store.lock.writing():
        store.put(keys, np.vstack(rows), metas)


def get_vectors(
    self: S3VectorsBackend,
    vector_bucket_name: str,
    index_name: str,
    index_arn: str,
    keys: list[str],
    return_data: bool = False,
    return_metadata: bool = False,
) -> list[dict[str, Any]]:
    """Found vectors in request order; missing keys are left out, repeated keys appear once."""
    index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
    wanted = limits.keys(keys, "keys", limits.MAX_GET_KEYS)
    store = index_store(index)
    found, seen = [], set()
    with store.lock.reading():
        for key in wanted:
            if key in seen:
                continue
            seen.add(key)
            hit = store.get(key)
            if hit is not None:
                found.append(_output_vector(key, hit, return_data, return_metadata))
    return found


def delete_vectors(
    self: S3VectorsBackend,
    vector_bucket_name: str,
    index_name: str,
    index_arn: str,
    keys: list[str],
) -> None:
    index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
    doomed = limits.keys(keys, "keys", limits.MAX_DELETE_KEYS)
    store = index_store(index)
    with store.lock.writing():
        store.delete(doomed)


def list_vectors(
    self: S3VectorsBackend,
    vector_bucket_name: str,
    index_name: str,
    index_arn: str,
    max_results: int | None = None,
    next_token: str | None = None,
    segment_count: int | None = None,
    segment_index: int | None = None,
    return_data: bool = False,
    return_metadata: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of keys in key order; with segments, only the keys of that segment."""
    index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
    limit = (
        limits.DEFAULT_LIST_RESULTS
        if max_results is None
        else limits.int_between(max_results, "maxResults", 1, limits.MAX_LIST_RESULTS)
    )
    if (segment_count is None) != (segment_index is None):
        missing = "segmentIndex" if segment_index is None else "segmentCount"
        raise ValidationException(
            missing,
            "segmentCount and segmentIndex must be given together",
            "Send both for a parallel scan, or neither.",
        )
    count = 1 if segment_count is None else segment_count
    limits.int_between(count, "segmentCount", 1, limits.MAX_SEGMENTS)
    number = 0 if segment_index is None else segment_index
    limits.int_between(number, "segmentIndex", 0, count - 1)
    after = None
    if next_token is not None:
        payload = tokens.decode(next_token, "list")
        if payload.get("s") != [count, number]:
            raise ValidationException(
                "nextToken",
                "the token belongs to another segmentCount/segmentIndex",
                "Continue a segment with the token that segment returned.",
            )
        after = payload.get("a")
    store = index_store(index)
    page: list[dict[str, Any]] = []
    size = 0
    more = False
    with store.lock.reading():
        ordered = store.sorted_keys()
        start = bisect.bisect_right(ordered, after) if isinstance(after, str) else 0
        for key in ordered[start:]:
            if count > 1 and segment_of(key, count) != number:
                continue
            if len(page) >= limit or size >= limits.LIST_PAGE_BYTES:
                more = True
                break
            item = _output_vector(key, store.get(key), return_data, return_metadata)
            size += len(key) + (4 * index.dimension if return_data else 0)
            size += len(repr(item.get("metadata", ""))) if return_metadata else 0
            page.append(item)
    token = (
        tokens.encode({"kind": "list", "a": page[-1]["key"], "s": [count, number]})
        if more
        else None
    )
    return page, token


def query_vectors(
    self: S3VectorsBackend,
    vector_bucket_name: str,
    index_name: str,
    index_arn: str,
    top_k: Any,
    query_vector: Any,
    filter_document: Any = None,
    query_mode: Any = None,
    return_metadata: bool = False,
    return_distance: bool = False,
    next_token: str | None = None,
) -> dict[str, Any]:
    index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
    k = limits.top_k(top_k)
    if query_vector is None:
        raise ValidationException(
            "queryVector", "is required for a vector search", "Send {'float32': [...]}."
        )
    query = limits.vector_data(query_vector, "queryVector", index.dimension, index.distance_metric)
    mode = index_extras(index).index_mode
    if query_mode is not None:
        if _check_mode(query_mode, "queryMode") == CLASSIC and mode == ENHANCED:
            raise ValidationException(
                "queryMode", "CLASSIC cannot be used on an ENHANCED index", "Omit queryMode."
            )
        mode = query_mode
    predicate = None
    if filter_document is not None:
        predicate = compile_filter(
            filter_document,
            non_filterable_keys=index_extras(index).non_filterable_keys,
            enhanced=mode == ENHANCED,
        )
    digest = tokens.request_digest(index.index_arn, k, query.tobytes(), filter_document, mode)
    offset = 0
    if next_token is not None:
        payload = tokens.decode(next_token, "query")
        if payload.get("d") != digest:
            raise ValidationException(
                "nextToken",
                "the token belongs to a request with a different queryVector, topK or filter",
                "Send the same queryVector, topK and filter with the token, or omit it.",
            )
        offset = int(payload.get("o", 0))
    store = index_store(index)
    with store.lock.reading():
        ranked = store.cached_ranking(digest, lambda: store.rank(query, k, predicate))
        end = offset + limits.QUERY_PAGE_SIZE
        vectors = []
        for key, distance in ranked[offset:end]:
            item: dict[str, Any] = {"key": key}
            if return_distance:
                item["distance"] = distance
            if return_metadata:
                item["metadata"] = store.metadata_of(key)
            vectors.append(item)
    result: dict[str, Any] = {"vectors": vectors, "distanceMetric": index.distance_metric}
    if end < len(ranked):
        result["nextToken"] = tokens.encode({"kind": "query", "d": digest, "o": end})
    return result


def _output_vector(
    key: str, hit: tuple[list[float], dict[str, Any]] | None, data: bool, metadata: bool
) -> dict[str, Any]:
    item: dict[str, Any] = {"key": key}
    if hit is not None:
        if data:
            item["data"] = {"float32": hit[0]}
        if metadata:
            item["metadata"] = hit[1]
    return item


PATCHES = {
    "create_vector_bucket": create_vector_bucket,
    "create_index": create_index,
    "put_vector_bucket_default_index_mode": put_vector_bucket_default_index_mode,
    "update_index_mode": update_index_mode,
    "list_indexes": list_indexes,
    "put_vectors": put_vectors,
    "get_vectors": get_vectors,
    "delete_vectors": delete_vectors,
    "list_vectors": list_vectors,
    "query_vectors": query_vectors,
}
