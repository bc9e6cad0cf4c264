"""What this function serves (S3VL_INDEX_ARNS, S3VL_BUCKET_ARNS), and the served ARN that a
request's selector names: anything else is AccessDenied, before any AWS call."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .arns import BUCKET_ARN, BUCKET_ARN_SHAPE, INDEX_ARN, INDEX_ARN_SHAPE, bucket_of
from .errors import AccessDenied, ConfigurationError
from .settings import BridgeSettings, settings

if TYPE_CHECKING:
    from .models.common import BucketSelector, IndexSelector


@dataclass(frozen=True)
class Allowlist:
    """Index ARNs served directly, and buckets whose every index is served. Names select an
    index or bucket of the function's own region."""

    index_arns: frozenset[str]
    bucket_arns: frozenset[str]
    region: str

    def allows_index(self, index_arn: str) -> bool:
        return index_arn in self.index_arns or bucket_of(index_arn) in self.bucket_arns

    def allows_bucket(self, bucket_arn: str) -> bool:
        return bucket_arn in self.bucket_arns or any(
            bucket_of(a) == bucket_arn for a in self.index_arns
        )

    def index_arn_for(self, bucket_name: str, index_name: str) -> str | None:
        """The ARN of a name-selected index, if this function serves it."""
        for arn in self.index_arns:
            m = INDEX_ARN.fullmatch(arn)
            if m and (m["bucket"], m["index"], m["region"]) == (
                bucket_name,
                index_name,
                self.region,
            ):
                return arn
        for arn in self.bucket_arns:
            m = BUCKET_ARN.fullmatch(arn)
            if m and m["bucket"] == bucket_name and m["region"] == self.region:
                return f"{arn}/index/{index_name}"
        return None

    def bucket_arn_for(self, bucket_name: str) -> str | None:
        for arn in sorted(self.bucket_arns | {bucket_of(a) for a in self.index_arns}):
            m = BUCKET_ARN.fullmatch(arn)
            if m and m["bucket"] == bucket_name and m["region"] == self.region:
                return arn
        return None


def allowlist() -> Allowlist:
    """The allowlist of this container's settings (built again when the settings are)."""
    return _allowlist_of(settings())


@functools.lru_cache(maxsize=1)
def _allowlist_of(conf: BridgeSettings) -> Allowlist:
    for arn in conf.index_arns:
        if not INDEX_ARN.fullmatch(arn):
            raise ConfigurationError(f"S3VL_INDEX_ARNS holds {arn!r}: expected {INDEX_ARN_SHAPE}")
    for arn in conf.bucket_arns:
        if not BUCKET_ARN.fullmatch(arn):
            raise ConfigurationError(f"S3VL_BUCKET_ARNS holds {arn!r}: expected {BUCKET_ARN_SHAPE}")
    return Allowlist(frozenset(conf.index_arns), frozenset(conf.bucket_arns), conf.region)


def served_index_arn(request: IndexSelector) -> str:
    """The index ARN a request selects (its model made sure it names one, one way), if served."""
    served = allowlist()
    if request.index_arn is not None:
        if not served.allows_index(request.index_arn):
            raise _denied(f"index {request.index_arn}", "index_arn")
        return request.index_arn
    bucket, index = request.vector_bucket_name, request.index_name
    assert bucket is not None and index is not None  # IndexSelector's own check
    arn = served.index_arn_for(bucket, index)
    if arn is None:
        raise _denied(f"index {bucket}/{index}", "index_name")
    return arn


def served_bucket_arn(request: BucketSelector) -> str:
    """The vector bucket ARN a list_indexes request selects, if served."""
    served = allowlist()
    if request.vector_bucket_arn is not None:
        if not served.allows_bucket(request.vector_bucket_arn):
            raise _denied(f"vector bucket {request.vector_bucket_arn}", "vector_bucket_arn")
        return request.vector_bucket_arn
    bucket = request.vector_bucket_name
    assert bucket is not None  # BucketSelector's own check
    arn = served.bucket_arn_for(bucket)
    if arn is None:
        raise _denied(f"vector bucket {bucket}", "vector_bucket_name")
    return arn


def _denied(what: str, field: str) -> AccessDenied:
    return AccessDenied(
        f"{what} is not served by this function; add it to S3VL_INDEX_ARNS or "
        "S3VL_BUCKET_ARNS of the bridge Lambda",
        field=field,
    )
