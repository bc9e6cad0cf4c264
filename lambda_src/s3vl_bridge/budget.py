"""Lambda's 6 MB response budget: a result, or the keys a write names in its answer, refused
before it is handed to the runtime rather than failing there as a function error.

Sizes are those of the runtime's serialisation (json's default separators, ASCII escapes: the
larger of the runtimes' two encodings). Measuring is skipped whenever a bound shows the
answer fits: the worst case of every row, or what S3 Vectors' own answers (their wire size,
client.Answer) can grow to here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .errors import InvalidRequest, ResponseTooLarge
from .limits import KEY_LENGTH_MAX, LAMBDA_RESPONSE_BYTES, METADATA_TOTAL_BYTES

# Result rows stop short of LAMBDA_RESPONSE_BYTES: room for the envelope and JSON escaping.
RESULT_BYTES_MAX = 6_000_000
# The keys a write names (s3vl.flush marks a change done only when it is named): the limit
# less room for the envelope's other fields.
ANSWER_KEYS_BYTES_MAX = LAMBDA_RESPONSE_BYTES - 16_384

_MEASURE_SLICE = 256
# A float printed by json takes at most 24 characters ("-1.2345678901234567e-308"), plus ", ".
_BYTES_PER_FLOAT = 26
# ASCII escaping grows text: a character outside the BMP becomes a 12-byte surrogate pair
# ("\ud83d\ude00"), and one UTF-8 byte at most 6 bytes (a control character as "\u0001").
# Text in metadata (RAG chunks in Cyrillic or Chinese) easily doubles or triples.
_ESCAPED_BYTES_PER_CHARACTER = 12
_ESCAPED_BYTES_PER_UTF8_BYTE = 6
# What S3 Vectors' compact UTF-8 JSON can grow to in our rows: each byte at most 6 once
# escaped (a float such as "1E15," grows 4x, a control character 6x); plus, per row, the
# fields the bridge adds (similarity_score, found, query_position, renamed keys, ", " and ": ").
_WIRE_GROWTH = _ESCAPED_BYTES_PER_UTF8_BYTE
_ROW_FIELDS_BYTES = 256
# Metadata in a row: what S3 Vectors counts against METADATA_TOTAL_BYTES, plus a margin.
_METADATA_MARGIN_BYTES = 1024
# One key in a list of keys: its longest escaped form, its quotes and its ", " separator.
_KEY_IN_ANSWER_BYTES_MAX = KEY_LENGTH_MAX * _ESCAPED_BYTES_PER_CHARACTER + 4


def row_bound(*, with_metadata: bool, dimension: int = 0) -> int:
    """The largest one result row can be once serialised: a key of up to KEY_LENGTH_MAX
    characters, the row's other fields, up to METADATA_TOTAL_BYTES of metadata (as S3 Vectors
    counts it, in UTF-8), `dimension` floats, all after ASCII escaping."""
    key = KEY_LENGTH_MAX * _ESCAPED_BYTES_PER_CHARACTER
    metadata = METADATA_TOTAL_BYTES + _METADATA_MARGIN_BYTES
    escaped_metadata = metadata * _ESCAPED_BYTES_PER_UTF8_BYTE if with_metadata else 0
    return key + _ROW_FIELDS_BYTES + escaped_metadata + dimension * _BYTES_PER_FLOAT


def wire_total(sizes: Iterable[int | None]) -> int | None:
    """The wire bytes of several S3 Vectors answers together; None if one did not say."""
    total = 0
    for size in sizes:
        if size is None:
            return None
        total += size
    return total


def check_size(
    rows: list[dict[str, Any]], *, row_bound: int, hint: str, wire_bytes: int | None = None
) -> None:
    """Refuse a result over RESULT_BYTES_MAX before it is handed to the runtime.

    Measuring is only needed when the rows could pass the limit: by len(rows) * row_bound (the
    worst case of every row), or, when S3 Vectors said how many bytes its answers took
    (`wire_bytes`), by what those bytes can grow to here. Rows are then measured a slice at a
    time, stopping as soon as the limit is passed rather than serialising an oversized result.
    """
    bound = len(rows) * row_bound
    if wire_bytes is not None:
        bound = min(bound, wire_bytes * _WIRE_GROWTH + len(rows) * _ROW_FIELDS_BYTES)
    if bound < RESULT_BYTES_MAX:
        return
    size = 0
    for start in range(0, len(rows), _MEASURE_SLICE):
        size += len(json.dumps(rows[start : start + _MEASURE_SLICE]))
        if size > RESULT_BYTES_MAX:
            raise ResponseTooLarge(
                f"the result ({len(rows):,} rows) is over Lambda's 6 MB response limit; {hint}"
            )


def check_keys_fit(keys: list[str], field: str) -> None:
    """Refuse, before the first write, a write whose answer could not name all its keys.
    PUT_CHUNK keys (what SQL sends per invocation) always fit; more are measured."""
    if len(keys) * _KEY_IN_ANSWER_BYTES_MAX <= ANSWER_KEYS_BYTES_MAX:
        return
    size = len(json.dumps(keys))
    if size > ANSWER_KEYS_BYTES_MAX:
        raise InvalidRequest(
            f"has {len(keys)} keys whose names take {size:,} bytes in the answer, over the "
            f"{ANSWER_KEYS_BYTES_MAX:,} that fit Lambda's 6 MB response; send fewer per request",
            field=field,
        )
