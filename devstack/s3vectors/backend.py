"""LocalS3VectorsBackend: moto's S3VectorsBackend plus what AWS does and moto lacks.

moto keeps the buckets and indexes (names, ARNs, tags, policies, not-found errors); the
objects it stores are swapped, right after moto creates them, for LocalVectorBucket and
LocalIndex, which carry what AWS has on top: a creation time and index mode, the
non-filterable keys, and the vectors of an index (an IndexStore, a float32 matrix). All
data-plane operations go through the store, so moto's own `Index.vectors` dict stays empty.

Methods that override moto's keep moto's signature and return type (so moto's own callers
still get what they expect); where the local service needs another shape it has a method of
its own name (list_indexes_page, get_vectors_in_order, list_vectors_page, query_vectors).
The backends live in `local_backends`, beside moto's, used by LocalS3VectorsResponse only.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
from moto.core.base_backend import BackendDict
from moto.s3vectors.models import Index, S3VectorsBackend, Vector, VectorBucket
from moto.utilities.utils import PARTITION_NAMES

from . import checks, hooks, limits, text_config, text_query, tokens
from .errors import ConflictException, ValidationException
from .filters import compile_filter
from .store import IndexStore, segment_of
from .text_index import TextIndex

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


class LocalVectorBucket(VectorBucket):
    """moto's vector bucket with its creation time and the mode new indexes get."""

    def __init__(
        self,
        arn: str,
        name: str,
        encryption_configuration: dict[str, str],
        *,
        creation_time: datetime,
        default_index_mode: str = ENHANCED,
    ) -> None:
        super().__init__(arn=arn, name=name, encryption_configuration=encryption_configuration)
        self.creation_time = creation_time
        self.default_index_mode = default_index_mode


class LocalIndex(Index):
    """moto's index with its vectors (the store), mode, non-filterable keys, creation time
    and searchable keys with their tokens (text)."""

    def __init__(
        self,
        bucket: LocalVectorBucket,
        name: str,
        dimension: int,
        distance_metric: str,
        *,
        index_mode: str,
        non_filterable_keys: list[str],
    ) -> None:
        super().__init__(
            bucket=bucket,
            name=name,
            dimension=dimension,
            data_type="float32",
            distance_metric=distance_metric,
        )
        self.bucket = bucket
        self.store = IndexStore(dimension, distance_metric)
        self.creation_time = datetime.now(UTC)
        self.index_mode = index_mode
        self.non_filterable_keys = non_filterable_keys
        self.text = TextIndex()


@dataclass(frozen=True)
class StoredVector:
    """A vector as read from the store, with what the request asked for."""

    key: str
    data: list[float] | None = None
    metadata: dict[str, Any] | None = None

    def wire(self) -> dict[str, Any]:
        """The response shape: `key`, then `data` and `metadata` when asked for."""
        item: dict[str, Any] = {"key": self.key}
        if self.data is not None:
            item["data"] = {"float32": self.data}
        if self.metadata is not None:
            item["metadata"] = self.metadata
        return item


class LocalS3VectorsBackend(S3VectorsBackend):
    # -- buckets and indexes (moto's names and return types) --------------------------------

    def create_vector_bucket(
        self,
        region: str,
        vector_bucket_name: str,
        encryption_configuration: dict[str, str],
        tags: dict[str, str] | None = None,
    ) -> None:
        if not isinstance(vector_bucket_name, str) or not _BUCKET_NAME.fullmatch(
            vector_bucket_name
        ):
            raise ValidationException(
                "vectorBucketName",
                "must be 3 to 63 characters of lowercase letters, digits and hyphens, starting "
                "and ending with a letter or digit",
            )
        before = set(self.vector_buckets)
        super().create_vector_bucket(region, vector_bucket_name, encryption_configuration, tags)
        (arn,) = set(self.vector_buckets) - before
        made = self.vector_buckets[arn]
        legacy = (tags or {}).get(LEGACY_BUCKET_TAG, "").lower() == "true"
        self.vector_buckets[made.vector_bucket_arn] = LocalVectorBucket(
            made.vector_bucket_arn,
            made.vector_bucket_name,
            made.encryption_configuration,
            creation_time=_LEGACY_CREATION_TIME if legacy else datetime.now(UTC),
            default_index_mode=CLASSIC if legacy else ENHANCED,
        )

    def get_vector_bucket(
        self,
        vector_bucket_name: str | None = None,
        vector_bucket_arn: str | None = None,
    ) -> LocalVectorBucket:
        # Every bucket of this backend was made by create_vector_bucket above.
        return cast(
            LocalVectorBucket, super().get_vector_bucket(vector_bucket_name, vector_bucket_arn)
        )

    def create_index(
        self,
        vector_bucket_name: str,
        vector_bucket_arn: str,
        index_name: str,
        data_type: str,  # moto's Literal["float32"], checked here
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
        checks.dimension(dimension)
        if distance_metric not in ("euclidean", "cosine"):
            raise ValidationException("distanceMetric", "must be 'euclidean' or 'cosine'")
        if data_type != "float32":
            raise ValidationException("dataType", "must be 'float32'")
        hidden = checks.non_filterable_keys(metadata_configuration)
        searchable = text_config.at_creation(metadata_configuration)
        super().create_index(
            bucket.vector_bucket_name,
            bucket.vector_bucket_arn,
            index_name,
            "float32",
            dimension,
            distance_metric,
            tags,
        )
        index = LocalIndex(
            bucket,
            index_name,
            dimension,
            distance_metric,
            index_mode=bucket.default_index_mode,
            non_filterable_keys=hidden,
        )
        for key, language in searchable:
            index.text.add(key, language, (), backfill=False)
        bucket.indexes[index.index_arn] = index

    def get_index(self, vector_bucket_name: str, index_name: str, index_arn: str) -> LocalIndex:
        # Every index of this backend was made by create_index above.
        return cast(LocalIndex, super().get_index(vector_bucket_name, index_name, index_arn))

    # -- what moto lacks: modes and a paginated ListIndexes ---------------------------------

    def put_vector_bucket_default_index_mode(
        self, vector_bucket_name: str, vector_bucket_arn: str, mode: Any
    ) -> None:
        bucket = self.get_vector_bucket(vector_bucket_name, vector_bucket_arn=vector_bucket_arn)
        if _check_mode(mode, "defaultIndexMode") == CLASSIC:
            _check_classic_allowed(bucket, "defaultIndexMode")
        bucket.default_index_mode = mode

    def update_index_mode(
        self, vector_bucket_name: str, index_name: str, index_arn: str, mode: Any
    ) -> None:
        index = self.get_index(vector_bucket_name, index_name, index_arn)
        if _check_mode(mode, "indexMode") == CLASSIC:
            _check_classic_allowed(index.bucket, "indexMode")
        index.index_mode = mode

    def update_metadata_configuration(
        self, vector_bucket_name: str, index_name: str, index_arn: str, add: Any, delete: Any
    ) -> LocalIndex:
        """Add and delete searchable keys; an added key's values already stored are analysed
        before this returns (its status: text_choices.py)."""
        index = self.get_index(vector_bucket_name, index_name, index_arn)
        store = index.store
        with store.lock.writing():
            added, deleted = text_config.update(add, delete, index.text.keys)
            for key in deleted:
                index.text.remove(key)
            stored = [(row, store.metadata_of(key)) for row, key in enumerate(store.row_keys())]
            for key, language in added:
                index.text.add(key, language, stored, backfill=bool(stored))
        return index

    def list_indexes_page(
        self,
        vector_bucket_name: str | None,
        vector_bucket_arn: str | None,
        max_results: int | None = None,
        next_token: str | None = None,
        prefix: str | None = None,
    ) -> tuple[list[LocalIndex], str | None]:
        """One page of indexes in name order, optionally only names with `prefix`, and the
        token of the next page (None on the last)."""
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
            else checks.int_between(max_results, "maxResults", 1, limits.MAX_LIST_INDEXES)
        )
        after = tokens.decode(next_token, "indexes").get("a") if next_token is not None else None
        indexes = sorted(
            (
                cast(LocalIndex, index)
                for index in bucket.indexes.values()
                if not prefix or index.index_name.startswith(prefix)
            ),
            key=lambda index: index.index_name,
        )
        remaining = [index for index in indexes if after is None or index.index_name > after]
        page = remaining[:limit]
        more = len(remaining) > limit
        token = tokens.encode({"kind": "indexes", "a": page[-1].index_name}) if more else None
        return page, token

    # -- vectors: moto's names and return types ---------------------------------------------

    def put_vectors(
        self,
        vector_bucket_name: str,
        index_name: str,
        index_arn: str,
        vectors: list[Any],
    ) -> None:
        index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
        checks.count_between(vectors, "vectors", 1, limits.MAX_PUT_VECTORS)
        # All the vectors' values are checked at once; only when some are wrong does each
        # vector go through vector_data, in request order, to name the first at fault.
        matrix = checks.vectors_data(vectors, index.dimension, index.distance_metric)
        keys, metas, rows = [], [], []
        for i, vector in enumerate(vectors):  # everything is checked before the first write
            if not isinstance(vector, dict):
                raise ValidationException(f"vectors[{i}]", "must be an object {key, data}")
            keys.append(checks.vector_key(vector.get("key"), f"vectors[{i}].key"))
            if matrix is None:
                rows.append(
                    checks.vector_data(
                        vector.get("data"),
                        f"vectors[{i}].data",
                        index.dimension,
                        index.distance_metric,
                    )
                )
            metas.append(
                checks.metadata(
                    vector.get("metadata"), f"vectors[{i}].metadata", index.non_filterable_keys
                )
            )
        with index.store.lock.writing():
            written = index.store.put(keys, np.vstack(rows) if matrix is None else matrix, metas)
            index.text.put(zip(written, metas, strict=True))
        hooks.writes_applied("PutVectors", index.index_arn, keys)

    def get_vectors(
        self, vector_bucket_name: str, index_name: str, index_arn: str, keys: list[str]
    ) -> list[Vector]:
        """moto's contract (the found vectors, data and metadata); in request order."""
        found = self.get_vectors_in_order(
            vector_bucket_name, index_name, index_arn, keys, return_data=True, return_metadata=True
        )
        return [_moto_vector(vector) for vector in found]

    def list_vectors(
        self, vector_bucket_name: str, index_name: str, index_arn: str
    ) -> Iterable[Vector]:
        """moto's contract (every vector of the index, data and metadata); in key order."""
        index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
        with index.store.lock.reading():
            stored = [
                _stored(key, index.store.get(key), True, True) for key in index.store.sorted_keys()
            ]
        return [_moto_vector(vector) for vector in stored]

    def delete_vectors(
        self, vector_bucket_name: str, index_name: str, index_arn: str, keys: list[str]
    ) -> None:
        index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
        doomed = checks.keys(keys, "keys", limits.MAX_DELETE_KEYS)
        with index.store.lock.writing():
            removed, moves = index.store.delete(doomed)
            index.text.delete(removed, moves)
        hooks.writes_applied("DeleteVectors", index.index_arn, doomed)

    # -- vectors: what moto lacks -----------------------------------------------------------

    def get_vectors_in_order(
        self,
        vector_bucket_name: str,
        index_name: str,
        index_arn: str,
        keys: list[str],
        *,
        return_data: bool = False,
        return_metadata: bool = False,
    ) -> list[StoredVector]:
        """Found vectors in request order; missing keys are left out, repeated keys appear
        once."""
        index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
        wanted = checks.keys(keys, "keys", limits.MAX_GET_KEYS)
        found, seen = [], set()
        with index.store.lock.reading():
            for key in wanted:
                if key in seen:
                    continue
                seen.add(key)
                hit = index.store.get(key)
                if hit is not None:
                    found.append(_stored(key, hit, return_data, return_metadata))
        return found

    def list_vectors_page(
        self,
        vector_bucket_name: str,
        index_name: str,
        index_arn: str,
        *,
        max_results: int | None = None,
        next_token: str | None = None,
        segment_count: int | None = None,
        segment_index: int | None = None,
        return_data: bool = False,
        return_metadata: bool = False,
    ) -> tuple[list[StoredVector], str | None]:
        """One page of vectors in key order (with segments, only the keys of that segment),
        and the token of the next page (None on the last)."""
        index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
        limit = (
            limits.DEFAULT_LIST_RESULTS
            if max_results is None
            else checks.int_between(max_results, "maxResults", 1, limits.MAX_LIST_RESULTS)
        )
        if (segment_count is None) != (segment_index is None):
            missing = "segmentIndex" if segment_index is None else "segmentCount"
            raise ValidationException(
                missing,
                "segmentCount and segmentIndex must be given together",
                "Send both for a parallel scan, or neither.",
            )
        count = 1 if segment_count is None else segment_count
        checks.int_between(count, "segmentCount", 1, limits.MAX_SEGMENTS)
        number = 0 if segment_index is None else segment_index
        checks.int_between(number, "segmentIndex", 0, count - 1)
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
        store = index.store
        page: list[StoredVector] = []
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
                item = _stored(key, store.get(key), return_data, return_metadata)
                size += len(key) + (4 * index.dimension if return_data else 0)
                size += len(repr(item.metadata)) if return_metadata else 0
                page.append(item)
        token = (
            tokens.encode({"kind": "list", "a": page[-1].key, "s": [count, number]})
            if more
            else None
        )
        return page, token

    def query_vectors(
        self,
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
        query_texts: Any = None,
        return_scores: bool = False,
    ) -> dict[str, Any]:
        """One page of exact k-NN results in QueryVectors' wire shape (plain JSON types); with
        queryTexts, of a full-text or hybrid search (text_query.py)."""
        index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
        k = checks.top_k(top_k)
        texts = None if query_texts is None else text_query.query_texts(query_texts, index.text)
        if query_vector is None and texts is None:
            raise ValidationException(
                "queryVector",
                "is required for a vector search",
                "Send {'float32': [...]}, or queryTexts for a full-text search.",
            )
        query = (
            None
            if query_vector is None
            else checks.vector_data(
                query_vector, "queryVector", index.dimension, index.distance_metric
            )
        )
        mode = index.index_mode
        if query_mode is not None:
            if _check_mode(query_mode, "queryMode") == CLASSIC and mode == ENHANCED:
                raise ValidationException(
                    "queryMode", "CLASSIC cannot be used on an ENHANCED index", "Omit queryMode."
                )
            mode = query_mode
        if texts is not None:
            text_query.require_enhanced(mode, query_mode)
        predicate = None
        if filter_document is not None:
            predicate = compile_filter(
                filter_document,
                non_filterable_keys=index.non_filterable_keys,
                enhanced=mode == ENHANCED,
            )
            if mode == ENHANCED:
                text_query.check_constraint_budget(predicate)
        if texts is not None:
            return text_query.page(
                index_arn=index.index_arn,
                store=index.store,
                text=index.text,
                distance_metric=index.distance_metric,
                texts=texts,
                query=query,
                top_k=k,
                filter_document=filter_document,
                condition=predicate,
                mode=mode,
                return_metadata=return_metadata,
                return_distance=return_distance,
                return_scores=return_scores,
                next_token=next_token,
            )
        assert query is not None  # a vector search without a vector was refused above
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
        store = index.store
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


# One backend per account and partition, as moto keeps its own; moto's mock_aws resets these
# with its own when it starts and stops.
local_backends = BackendDict(
    LocalS3VectorsBackend,
    "s3vectors",
    use_boto3_regions=False,
    additional_regions=PARTITION_NAMES,
)


def _check_mode(mode: Any, field: str) -> str:
    if mode not in (ENHANCED, CLASSIC):
        raise ValidationException(field, f"must be CLASSIC or ENHANCED, got {mode!r}")
    return cast(str, mode)


def _check_classic_allowed(bucket: LocalVectorBucket, field: str) -> None:
    if bucket.creation_time >= CLASSIC_CUTOFF:
        raise ValidationException(
            field,
            "CLASSIC is allowed only in vector buckets created before September 30, 2026",
            "Use ENHANCED.",
        )


def _stored(
    key: str, hit: tuple[list[float], dict[str, Any]] | None, data: bool, metadata: bool
) -> StoredVector:
    """A key's (data, metadata) from the store, with the parts asked for."""
    row, meta = hit if hit is not None else ([], {})
    return StoredVector(key, row if data else None, meta if metadata else None)


def _moto_vector(vector: StoredVector) -> Vector:
    return Vector(
        key=vector.key, data={"float32": vector.data or []}, metadata=vector.metadata or {}
    )
