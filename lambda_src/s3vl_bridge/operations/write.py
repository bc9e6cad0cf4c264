"""put_vectors and delete_vectors: everything checked first, then written in chunks, a few at
once (one invocation of SQL's is up to three PutVectors: s3vl._limit('put_batch'))."""

from __future__ import annotations

from collections.abc import Callable
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from .. import client
from ..allowlist import served_index_arn
from ..budget import check_keys_fit
from ..errors import BridgeError, InvalidRequest, PartialWrite
from ..index_info import IndexInfo, index_info
from ..json_checks import metadata_bytes
from ..limits import (
    DELETE_CHUNK,
    FLOAT32_ROUNDS_TO_ZERO,
    METADATA_FILTERABLE_BYTES,
    PUT_CHUNK,
    PUT_CHUNK_BYTES,
    WRITE_LANES,
)
from .pool import run_in_lanes

if TYPE_CHECKING:
    from ..models.delete_vectors import DeleteVectors
    from ..models.put_vectors import PutVectors, VectorRecord


def put_vectors(request: PutVectors) -> dict[str, Any]:
    """The request's own checks are its model's; what needs the index is checked here, all
    before the first write. The answer names every key written (budget.check_keys_fit)."""
    index_arn = served_index_arn(request)
    keys = [record.key for record in request.vectors]
    check_keys_fit(keys, "vectors")
    _check_against_index(request, index_info(index_arn))  # GetIndex, cached per container
    items = list(map(_item, request.vectors))
    chunks = _chunks_by_count(index_arn, items) or _chunks(
        index_arn, [(item, client.json_body(item)) for item in items]
    )
    head = b'{"indexArn":' + client.json_body(index_arn) + b',"vectors":['
    _write_chunks(
        "put_vectors",
        index_arn,
        chunks,
        # Made in the chunk's lane: the first chunk goes out while the others are serialised.
        lambda chunk: {
            "vectors": [item for item, _ in chunk],
            "body": head
            + b",".join(client.json_body(item) if sent is None else sent for item, sent in chunk)
            + b"]}",
        },
        key_of=lambda item: item[0]["key"],
        in_request_order=True,
    )
    # The keys, in request order: what the caller may now consider written.
    return {"written_count": len(items), "written_keys": keys, "chunk_count": len(chunks)}


def delete_vectors(request: DeleteVectors) -> dict[str, Any]:
    index_arn = served_index_arn(request)
    keys = list(dict.fromkeys(request.vector_ids))
    check_keys_fit(keys, "vector_ids")
    chunks = [keys[i : i + DELETE_CHUNK] for i in range(0, len(keys), DELETE_CHUNK)]
    _write_chunks(
        "delete_vectors",
        index_arn,
        chunks,
        lambda chunk: {"keys": chunk},
        key_of=lambda key: key,
        in_request_order=len(keys) == len(request.vector_ids),
    )
    # The keys, in request order (each once): what the caller may now consider deleted.
    return {"deleted_count": len(keys), "deleted_keys": keys, "chunk_count": len(chunks)}


def _item(record: VectorRecord) -> dict[str, Any]:
    """One vector as PutVectors takes it."""
    item: dict[str, Any] = {"key": record.key, "data": {"float32": record.data}}
    if record.metadata:
        item["metadata"] = record.metadata
    return item


def _check_against_index(request: PutVectors, info: IndexInfo) -> None:
    first = request.vectors[0].data
    if len(first) != info.dimension:
        raise InvalidRequest(
            f"vectors have {len(first)} values but the index has dimension {info.dimension}",
            field="vectors[0].data",
        )
    non_filterable = set(info.non_filterable_metadata_keys)
    for i, record in enumerate(request.vectors):
        # All zero as float32 stores it: 1e-46 is not 0.0 here but is 0 in float32.
        if info.distance_metric == "cosine" and all(
            abs(v) <= FLOAT32_ROUNDS_TO_ZERO for v in record.data
        ):
            raise InvalidRequest(
                "is all zeros, which has no direction for a cosine index",
                field=f"vectors[{i}].data",
            )
        if record.metadata:
            filterable = {k: v for k, v in record.metadata.items() if k not in non_filterable}
            size = metadata_bytes(filterable)
            if size > METADATA_FILTERABLE_BYTES:
                raise InvalidRequest(
                    f"has {size} bytes of filterable metadata; S3 Vectors allows "
                    f"{METADATA_FILTERABLE_BYTES} (declare big keys non-filterable on the index)",
                    field=f"vectors[{i}].metadata",
                )


_Item = tuple[dict[str, Any], bytes | None]  # a vector as PutVectors takes it, as sent (JSON)

# Most bytes a float32 value takes in the body: its shortest float64 text, at most 24 (such as
# -0.000012814234651159495: 17 digits, 4 zeros, sign and point; a float32 has no 3-digit
# exponent), and a comma.
_FLOAT32_JSON_BYTES = 25


def _vectors_budget(index_arn: str) -> int:
    """Bytes a PutVectors body leaves its vectors: PUT_CHUNK_BYTES less the body around them."""
    return PUT_CHUNK_BYTES - len(client.json_body({"indexArn": index_arn, "vectors": []}))


def _chunks_by_count(index_arn: str, items: list[dict[str, Any]]) -> list[list[_Item]] | None:
    """PUT_CHUNK vectors per chunk, when no chunk can pass PUT_CHUNK_BYTES even if every value
    took its longest text; the bodies are then serialised in the lanes, not all before the first
    write (a 768-d vector takes ~40 us). None when some chunk might: _chunks sizes them exactly."""
    budget = _vectors_budget(index_arn)
    chunks = [items[i : i + PUT_CHUNK] for i in range(0, len(items), PUT_CHUNK)]
    for chunk in chunks:
        most = 0
        for item in chunk:
            data = item["data"]["float32"]
            # the rest exactly ("data": {"float32": []} included), the values at their longest
            rest = client.json_body({**item, "data": {"float32": []}})
            most += len(rest) + _FLOAT32_JSON_BYTES * len(data) + 1  # and its "," separator
        if most > budget:
            return None
    return [[(item, None) for item in chunk] for chunk in chunks]


def _chunks(index_arn: str, items: list[_Item]) -> list[list[_Item]]:
    """At most PUT_CHUNK vectors and PUT_CHUNK_BYTES of request body per PutVectors call.
    Sizes are those of the body sent: each vector counts its JSON's bytes and a comma, the
    body around them its own."""
    chunks: list[list[_Item]] = []
    current: list[_Item] = []
    budget = _vectors_budget(index_arn)
    size = 0
    for item, sent in items:
        assert sent is not None  # serialised: sized exactly here
        item_size = len(sent) + 1  # and its "," separator
        if current and (len(current) == PUT_CHUNK or size + item_size > budget):
            chunks.append(current)
            current, size = [], 0
        current.append((item, sent))
        size += item_size
    if current:
        chunks.append(current)
    return chunks


def _write_chunks(
    operation: str,
    index_arn: str,
    chunks: list[list[Any]],
    body: Callable[[list[Any]], dict[str, Any]],
    *,
    key_of: Callable[[Any], str],
    in_request_order: bool,
) -> None:
    """Write the chunks, WRITE_LANES at a time; on failure say exactly which keys were written
    and which not. Every chunk is tried: one failing does not stop the others, as they run at
    once. in_request_order: the chunks hold the request's items at their positions, so a
    refusal names the request's item (else, with duplicates dropped, it names the list)."""
    offsets = [0, *accumulate(len(chunk) for chunk in chunks[:-1])]  # of each chunk's first item

    def write(n: int) -> Callable[[], Exception | None]:
        def attempt() -> Exception | None:
            try:
                client.call(
                    operation,
                    indexArn=index_arn,
                    item_offset=offsets[n] if in_request_order else None,
                    **body(chunks[n]),
                )
            except Exception as exc:  # every lane runs to its end; raised below
                return exc
            return None

        return attempt

    outcomes = run_in_lanes([write(n) for n in range(len(chunks))], WRITE_LANES)
    failed = [n for n, outcome in enumerate(outcomes) if outcome is not None]
    if not failed:
        return
    causes = [outcome for outcome in outcomes if outcome is not None]
    bug = next((cause for cause in causes if not isinstance(cause, BridgeError)), None)
    if bug is not None:
        raise bug  # in any chunk: an InternalError, its trace in the log, as before the lanes
    first = causes[0]
    assert isinstance(first, BridgeError)
    if len(failed) == len(chunks):
        raise first  # nothing written: the cause as it is
    verb = "written" if operation == "put_vectors" else "deleted"
    done = [key_of(x) for n, c in enumerate(chunks) if outcomes[n] is None for x in c]
    left = [key_of(x) for n in failed for x in chunks[n]]
    raise PartialWrite(
        f"{operation} failed on chunk {failed[0] + 1} of {len(chunks)}: {first.message}; "
        f"{len(chunks) - len(failed)} chunk(s) with {len(done)} keys were {verb}, "
        f"{len(failed)} with {len(left)} keys were not (retry those)",
        cause=first,
        details={
            "cause": first.type,
            "chunks_done": len(chunks) - len(failed),
            "chunk_count": len(chunks),
            f"{verb}_keys": done,
            f"not_{verb}_keys": left,
        },
    )
