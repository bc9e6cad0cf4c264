"""Amazon Titan Text Embeddings V2 (amazon.titan-embed-text-v2:0): one text per invocation.

Request  {"inputText": str, "dimensions": 256|512|1024, "normalize": bool,
          "embeddingTypes": ["float", "binary"]}; only inputText is required.
Response {"embedding": [float], "inputTextTokenCount": int,
          "embeddingsByType": {"float": [...], "binary": [0|1, ...]}}.
Limits: 1..50,000 characters and at most 8,192 tokens; no truncation (AWS docs). Tokens are
counted with the local encoder's WordPiece tokenizer, not Titan's own, so a count is close to
what AWS would report, not equal to it.
"""

from __future__ import annotations

from typing import Any

from .encoder import encoder
from .errors import validation
from .invocation import Invocation
from .projection import project
from .schema import boolean, check_keys, integer_choice, string, string_list

MODEL_IDS = ("amazon.titan-embed-text-v2:0",)
DIMENSIONS = (256, 512, 1024)
DEFAULT_DIMENSION = 1024
MAX_CHARACTERS = 50_000
MAX_TOKENS = 8_192
EMBEDDING_TYPES = ("float", "binary")
_KEYS = ("inputText", "dimensions", "normalize", "embeddingTypes")


def invoke(model_id: str, body: Any) -> Invocation:
    body = check_keys(body, _KEYS, required=("inputText",))
    text = string(body, "inputText", min_length=1, max_length=MAX_CHARACTERS)
    assert text is not None  # required above
    dimension = integer_choice(body, "dimensions", DIMENSIONS) or DEFAULT_DIMENSION
    normalize = boolean(body, "normalize")
    types = string_list(body, "embeddingTypes", min_items=1, choices=EMBEDDING_TYPES)

    model = encoder()
    (ids,) = model.token_ids([text])
    check_token_count(len(ids))
    (vector,) = project(
        model.encode_ids([ids]).vectors,
        model_id,
        dimension,
        normalize=True if normalize is None else normalize,
    )
    floats = vector.tolist()
    by_type: dict[str, list[Any]] = {}
    for kind in types or ["float"]:
        # Titan's binary embedding: one 0 or 1 per dimension, 1 where the float is positive.
        by_type[kind] = floats if kind == "float" else (vector > 0).astype(int).tolist()
    return Invocation(
        {"embedding": floats, "inputTextTokenCount": len(ids), "embeddingsByType": by_type},
        input_tokens=len(ids),
    )


def check_token_count(count: int) -> None:
    """AWS's answer to a text of more than MAX_TOKENS tokens (up to 50,000 characters)."""
    if count > MAX_TOKENS:
        raise validation(
            f"400 Bad Request: Too many input tokens. Max input tokens: {MAX_TOKENS}, "
            f"request input token count: {count}"
        )
