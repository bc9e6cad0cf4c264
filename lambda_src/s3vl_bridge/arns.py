"""What S3 Vectors ARNs and names look like: the patterns, and the pydantic checks built on
them. Which of them this function serves is the allowlist's business (allowlist.py)."""

from __future__ import annotations

import re

from .limits import NAME_LENGTH_MAX, NAME_LENGTH_MIN

# A name: lowercase letters and digits at both ends, NAME_LENGTH_MIN..NAME_LENGTH_MAX in all.
_MIDDLE = f"{{{NAME_LENGTH_MIN - 2},{NAME_LENGTH_MAX - 2}}}"
_BUCKET_NAME = f"[a-z0-9][a-z0-9-]{_MIDDLE}[a-z0-9]"
_INDEX_NAME = f"[a-z0-9][a-z0-9.-]{_MIDDLE}[a-z0-9]"
_PREFIX = r"arn:(?P<partition>aws[a-z-]*):s3vectors:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
_BUCKET = f"bucket/(?P<bucket>{_BUCKET_NAME})"
_INDEX = f"index/(?P<index>{_INDEX_NAME})"
# Used with fullmatch only: `$` (and match) would also accept a value ending in "\n", and an
# allowlisted ARN plus "\n" would pass the allowlist (tests/security/test_full_match_patterns).
BUCKET_ARN = re.compile(f"{_PREFIX}:{_BUCKET}")
INDEX_ARN = re.compile(f"{_PREFIX}:{_BUCKET}/{_INDEX}")
BUCKET_NAME = re.compile(_BUCKET_NAME)
INDEX_NAME = re.compile(_INDEX_NAME)

INDEX_ARN_SHAPE = "arn:aws:s3vectors:<region>:<account>:bucket/<bucket>/index/<index>"
BUCKET_ARN_SHAPE = "arn:aws:s3vectors:<region>:<account>:bucket/<bucket>"
_LENGTHS = f"{NAME_LENGTH_MIN}-{NAME_LENGTH_MAX}"


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
        raise ValueError(
            f"not a vector bucket name: {_LENGTHS} lowercase letters, digits and hyphens"
        )
    return value


def check_index_name(value: str) -> str:
    if not INDEX_NAME.fullmatch(value):
        raise ValueError(
            f"not an index name: {_LENGTHS} lowercase letters, digits, hyphens and dots"
        )
    return value


def bucket_of(index_arn: str) -> str:
    """The vector bucket ARN of an index ARN."""
    return index_arn.rsplit("/index/", 1)[0]
