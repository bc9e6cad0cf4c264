"""S3 Vectors ARNs: parsing, and the allowlist of what this function serves."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .errors import AccessDenied, ConfigurationError
from .settings import settings

_PREFIX = r"arn:(?P<partition>aws[a-z-]*):s3vectors:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
_BUCKET = r"bucket/(?P<bucket>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])"
_INDEX = r"index/(?P<index>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])"
# Used with fullmatch only: `$` (and match) would also accept a value ending in "\n", and an
# allowlisted ARN plus "\n" would pass the allowlist (tests/security/test_full_match_patterns).
BUCKET_ARN = re.compile(f"{_PREFIX}:{_BUCKET}")
INDEX_ARN = re.compile(f"{_PREFIX}:{_BUCKET}/{_INDEX}")
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
INDEX_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

INDEX_ARN_SHAPE = "arn:aws:s3vectors:<region>:<account>:bucket/<bucket>/index/<index>"
BUCKET_ARN_SHAPE = "arn:aws:s3vectors:<region>:<account>:bucket/<bucket>"


def check_index_arn(value: str) -> str:
    """Pydantic after-validator: the value must be a whole index ARN."""
    if not INDEX_ARN.fullmatch(value):
        raise ValueError(f"not an S3 Vectors index ARN; expected {INDEX_ARN_SHAPE}")
    return value


def check_bucket_arn(value: str) -> str:
    if not BUCKET_ARN.fullmatch(value):
        raise ValueError(f"not an S3 Vectors vector bucket ARN; expected {BUCKET_ARN_SHAPE}")
    return value


def check_bucket_name(value: str) -> str:
    if not BUCKET_NAME.fullmatch(value):
        raise ValueError("not a vector bucket name: 3-63 lowercase letters, digits and hyphens")
    return value


def check_index_name(value: str) -> str:
    if not INDEX_NAME.fullmatch(value):
        raise ValueError("not an index name: 3-63 lowercase letters, digits, hyphens and dots")
    return value


@dataclass(frozen=True)
class Allowlist:
    """Index ARNs served directly, and buckets whose every index is served."""

    index_arns: frozenset[str]
    bucket_arns: frozenset[str]

    def allows_index(self, index_arn: str) -> bool:
        return index_arn in self.index_arns or bucket_of(index_arn) in self.bucket_arns

    def index_arn_for(self, bucket_name: str, index_name: str) -> str | None:
        """The ARN of a name-selected index, if this function serves it (names are per region)."""
        region = settings().region
        for arn in self.index_arns:
            m = INDEX_ARN.fullmatch(arn)
            if m and (m["bucket"], m["index"], m["region"]) == (bucket_name, index_name, region):
                return arn
        for arn in self.bucket_arns:
            m = BUCKET_ARN.fullmatch(arn)
            if m and m["bucket"] == bucket_name and m["region"] == region:
                return f"{arn}/index/{index_name}"
        return None

    def bucket_arn_for(self, bucket_name: str) -> str | None:
        for arn in sorted(self.bucket_arns | {bucket_of(a) for a in self.index_arns}):
            m = BUCKET_ARN.fullmatch(arn)
            if m and m["bucket"] == bucket_name and m["region"] == settings().region:
                return arn
        return None

    def allows_bucket(self, bucket_arn: str) -> bool:
        return bucket_arn in self.bucket_arns or any(
            bucket_of(a) == bucket_arn for a in self.index_arns
        )


def bucket_of(index_arn: str) -> str:
    return index_arn.rsplit("/index/", 1)[0]


@functools.cache
def allowlist() -> Allowlist:
    conf = settings()
    for arn in conf.index_arns:
        if not INDEX_ARN.fullmatch(arn):
            raise ConfigurationError(f"S3VL_INDEX_ARNS holds {arn!r}: expected {INDEX_ARN_SHAPE}")
    for arn in conf.bucket_arns:
        if not BUCKET_ARN.fullmatch(arn):
            raise ConfigurationError(f"S3VL_BUCKET_ARNS holds {arn!r}: expected {BUCKET_ARN_SHAPE}")
    return Allowlist(frozenset(conf.index_arns), frozenset(conf.bucket_arns))


def denied(what: str, field: str) -> AccessDenied:
    return AccessDenied(
        f"{what} is not served by this function; add it to S3VL_INDEX_ARNS or "
        "S3VL_BUCKET_ARNS of the bridge Lambda",
        field=field,
    )
