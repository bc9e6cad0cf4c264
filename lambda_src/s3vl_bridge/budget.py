"""Lambda's 6 MB response budget: a result, or the keys a write names in its answer, refused
before it is handed to the runtime rather than failing there as a function error.

Sizes are those of the runtime's serialisation (json's default separators, ASCII escapes: the
larger of the runtimes' two encodings). Measuring (serialising the rows, which the runtime
then does again) is skipped whenever a bound shows the answer fits: the worst case of every
row, what S3 Vectors' own answers (their wire size, client.Answer) can grow to here, or the
rows counted (every part exact but floats, each counted at its widest).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from json.encoder import encode_basestring_ascii
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
    (`wire_bytes`), by what those bytes can grow to here, or by the rows counted
    (counted_bytes). Rows are then measured a slice at a time, stopping as soon as the limit
    is passed rather than serialising an oversized result.
    """
    bound = len(rows) * row_bound
    if wire_bytes is not None:
        bound = min(bound, wire_bytes * _WIRE_GROWTH + len(rows) * _ROW_FIELDS_BYTES)
    if bound < RESULT_BYTES_MAX:
        return
    counted = counted_bytes(rows, stop_above=RESULT_BYTES_MAX)
    if counted is not None and counted <= RESULT_BYTES_MAX:
        return
    size = 0
    for start in range(0, len(rows), _MEASURE_SLICE):
        size += len(json.dumps(rows[start : start + _MEASURE_SLICE]))
        if size > RESULT_BYTES_MAX:
            raise ResponseTooLarge(
                f"the result ({len(rows):,} rows) is over Lambda's 6 MB response limit; {hint}"
            )


def counted_bytes(value: Any, *, stop_above: int | None = None) -> int | None:
    """At least the bytes the runtime's json.dumps(value) takes, without serialising a float:
    strings (escaped by json's own encoder), integers, booleans, null, brackets and separators
    are exact, and a float counts _FLOAT_BYTES_MAX, the widest float json prints, so a vector
    of 768 floats is counted from its length (float repr is most of json.dumps' time). For a
    list, counting stops at the first item that takes the count past `stop_above` (the count
    returned is then above it). None for a value json.dumps would not print as JSON itself."""
    try:
        if stop_above is None or type(value) is not list:
            return _size(value)
        total = 2 + _SEPARATOR * max(len(value) - 1, 0)
        for item in value:
            total += _size(item)
            if total > stop_above:
                break
    except _NotJson:
        return None
    return total


# The widest float json prints ("-1.2345678901234567e-308"; NaN and Infinity are shorter).
_FLOAT_BYTES_MAX = 24
_SEPARATOR = 2  # ", " between items, ": " after a key


class _NotJson(Exception):
    """A value of a type json.dumps would not print as JSON itself."""


def _size(value: Any) -> int:
    kind = type(value)
    if kind is str:
        return len(encode_basestring_ascii(value))
    if kind is float:
        return _FLOAT_BYTES_MAX
    if value is None or kind is bool:
        return 4 if value is None or value else 5  # null, true / false
    if kind is int:
        return len(int.__repr__(value))
    if kind is list:
        if value and set(map(type, value)) == {float}:  # a vector: counted, not printed
            return len(value) * (_FLOAT_BYTES_MAX + _SEPARATOR)
        return 2 + _SEPARATOR * max(len(value) - 1, 0) + sum(map(_size, value))
    if kind is dict:
        size = 2 + _SEPARATOR * max(len(value) - 1, 0)
        for key, item in value.items():
            if type(key) is not str:
                raise _NotJson
            size += len(encode_basestring_ascii(key)) + _SEPARATOR + _size(item)
        return size
    raise _NotJson


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
