"""The bridge's name for the place in a request that S3 Vectors refused.

AWS's ValidationException names what it refused in `fieldList[].path`, by the API's camelCase
path (`queryTexts[0].metadataKey`); the envelope's `field` names it as the caller wrote it to
the bridge (`query_texts[0].metadata_key`), so SQL can point at the argument. Paths are read
in the bracket form (`vectors[3].key`), dotted (`vectors.3.key`) or as a JSON pointer
(`/vectors/3/key`).
"""

from __future__ import annotations

# Per operation (boto3's name): AWS's path, list positions written `[]`, -> the bridge's field.
# A longer path is named by its longest entry; under OPEN entries (a filter, metadata: the
# caller's own keys) the rest of the path is kept. A path no entry names gets no field.
_EVERY = {"indexArn": "index_arn"}
_FIELDS: dict[str, dict[str, str]] = {
    "query_vectors": {
        "topK": "top_k",
        "queryVector": "query_vector",
        "filter": "metadata_filter",
        "queryMode": "query_mode",
        "queryTexts": "query_texts",
        "queryTexts[]": "query_texts[]",
        "queryTexts[].metadataKey": "query_texts[].metadata_key",
        "queryTexts[].text": "query_texts[].text",
        "returnScores": "return_scores",
        "returnMetadata": "return_metadata",
        "returnDistance": "return_distance",
    },
    "put_vectors": {
        "vectors": "vectors",
        "vectors[]": "vectors[]",
        "vectors[].key": "vectors[].key",
        "vectors[].data": "vectors[].data",
        "vectors[].metadata": "vectors[].metadata",
    },
    "get_vectors": {
        "keys": "vector_ids",
        "keys[]": "vector_ids[]",
        "returnData": "include_vector_data",
        "returnMetadata": "include_metadata",
    },
    "delete_vectors": {"keys": "vector_ids", "keys[]": "vector_ids[]"},
    "list_vectors": {
        "maxResults": "max_results",
        "nextToken": "next_token",
        "returnData": "return_data",
        "returnMetadata": "return_metadata",
        "segmentCount": "segment_count",
        "segmentIndex": "segment_index",
    },
    "update_metadata_configuration": {
        "add": "add",
        "add.textSearchConfigurations": "add",
        "add.textSearchConfigurations[]": "add[]",
        "add.textSearchConfigurations[].metadataKey": "add[].metadata_key",
        "add.textSearchConfigurations[].language": "add[].language",
        "delete": "delete",
        "delete.textSearchConfigurations": "delete",
        "delete.textSearchConfigurations[]": "delete[]",
        "delete.textSearchConfigurations[].metadataKey": "delete[]",
    },
    "update_index_mode": {"indexMode": "index_mode"},
}
_OPEN = frozenset({"filter", "vectors[].metadata"})

Step = str | int


def bridge_field(operation: str, path: str, *, item_offset: int | None) -> str | None:
    """The bridge's field for AWS's `path` in `operation`'s request, or None.

    item_offset: where the call's first list item sits in the bridge's request (a chunked
    write sends items from there), added to the path's first position; None when the
    positions cannot be told (the call's list was deduplicated), so the list is named."""
    table = {**_EVERY, **_FIELDS.get(operation, {})}
    steps = _steps(path)
    for end in range(len(steps), 0, -1):
        target = table.get(_shape(steps[:end]))
        if target is None:
            continue
        positions = [step for step in steps[:end] if isinstance(step, int)]
        if positions and item_offset is None:
            return target.partition("[]")[0]
        if positions:
            positions[0] += item_offset or 0
        field = _fill(target, positions)
        if _shape(steps[:end]) in _OPEN:
            field += _render(steps[end:])
        return field
    return None


def _steps(path: str) -> list[Step]:
    """'queryTexts[0].metadataKey', 'queryTexts.0.metadataKey' and '/queryTexts/0/metadataKey'
    -> ['queryTexts', 0, 'metadataKey']."""
    for separator in ("/", "[", "]"):
        path = path.replace(separator, ".")
    return [int(part) if part.isdecimal() else part for part in path.split(".") if part]


def _shape(steps: list[Step]) -> str:
    return _render(steps, positions="[]").removeprefix(".")


def _render(steps: list[Step], positions: str | None = None) -> str:
    return "".join(
        (positions or f"[{step}]") if isinstance(step, int) else f".{step}" for step in steps
    )


def _fill(target: str, positions: list[int]) -> str:
    parts = target.split("[]")
    filled = parts[0]
    for position, rest in zip(positions, parts[1:], strict=True):
        filled += f"[{position}]{rest}"
    return filled
