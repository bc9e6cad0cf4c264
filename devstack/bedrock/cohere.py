"""Cohere Embed v3 (cohere.embed-english-v3, cohere.embed-multilingual-v3): up to 96 texts per
invocation, 1,024 dimensions, unit length.

Request  {"texts": [str], "input_type": "search_document"|"search_query"|"classification"|
          "clustering", "truncate": "NONE"|"START"|"END",
          "embedding_types": ["float", "int8", "uint8", "binary", "ubinary"]};
          texts and input_type are required here (images are not served locally).
Response {"id": str, "texts": [str], "embeddings": [[float]],
          "response_type": "embeddings_floats"} or, with embedding_types,
          {"embeddings": {"float": [[...]], "int8": [[...]], ...},
          "response_type": "embeddings_by_type"}.
Limits: 0..96 texts of 0..2,048 characters each (AWS docs); 512 tokens a text, over which
truncate NONE (the default) is an error and START / END drop tokens from that end.

input_type is checked and then has no effect: the real model prepends a token per type, the
local encoder reads queries and documents alike (retrieval still works: it was trained on
symmetric pairs). Quantised types come from the float vector: int8 scales each vector so its
largest magnitude is 127, uint8 is int8 + 128, ubinary packs the signs (8 per byte, first
dimension in the high bit) and binary is ubinary - 128.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .encoder import encoder
from .errors import malformed, validation
from .invocation import Invocation
from .projection import project
from .schema import check_keys, string_choice, string_list

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MODEL_IDS = ("cohere.embed-english-v3", "cohere.embed-multilingual-v3")
DIMENSION = 1024
MAX_TEXTS = 96
MAX_CHARACTERS = 2048
MAX_TOKENS = 512
INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
TRUNCATE = ("NONE", "START", "END")
EMBEDDING_TYPES = ("float", "int8", "uint8", "binary", "ubinary")
_KEYS = ("texts", "images", "input_type", "truncate", "embedding_types")


def invoke(model_id: str, body: Any) -> Invocation:
    body = check_keys(body, _KEYS, required=("input_type",))
    if "images" in body:
        raise validation(
            "Malformed input request: #/images: the local Bedrock stand-in embeds texts only, "
            "please reformat your input and try again."
        )
    texts = string_list(body, "texts", max_items=MAX_TEXTS, item_max_length=MAX_CHARACTERS)
    if texts is None:
        raise malformed("", "required key [texts] not found")
    input_type = string_choice(body, "input_type", INPUT_TYPES)
    if input_type == "image":
        raise malformed("/input_type", "image needs images, not texts")
    truncate = string_choice(body, "truncate", TRUNCATE) or "NONE"
    types = string_list(body, "embedding_types", min_items=1, choices=EMBEDDING_TYPES)

    model = encoder()
    ids = model.token_ids(texts) if texts else []
    for i, text_ids in enumerate(ids):
        if len(text_ids) <= MAX_TOKENS:
            continue
        if truncate == "NONE":
            raise malformed(
                f"/texts/{i}",
                f"has {len(text_ids)} tokens, over the model's limit of {MAX_TOKENS}; shorten "
                "it, or set truncate to START or END",
            )
        ids[i] = text_ids[-MAX_TOKENS:] if truncate == "START" else text_ids[:MAX_TOKENS]
    vectors = _vectors(model_id, ids)
    floats = vectors.tolist()
    body_out: dict[str, Any] = {"id": str(uuid.uuid4()), "texts": texts}
    if types is None:
        body_out |= {"embeddings": floats, "response_type": "embeddings_floats"}
    else:
        by_type = {kind: _quantised(vectors, kind) for kind in types}
        body_out |= {"embeddings": by_type, "response_type": "embeddings_by_type"}
    return Invocation(body_out, input_tokens=sum(len(t) for t in ids))


def _vectors(model_id: str, ids: list[list[int]]) -> npt.NDArray[np.float32]:
    import numpy as np

    if not ids:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    return project(encoder().encode_ids(ids).vectors, model_id, DIMENSION, normalize=True)


def _quantised(vectors: npt.NDArray[np.float32], kind: str) -> list[list[Any]]:
    import numpy as np

    if kind == "float":
        return list(vectors.tolist())
    if kind in ("int8", "uint8"):
        peak = np.abs(vectors).max(axis=1, keepdims=True)
        int8 = np.round(vectors / np.where(peak == 0, 1, peak) * 127).astype(np.int16)
        return list((int8 if kind == "int8" else int8 + 128).tolist())
    packed = np.packbits(vectors > 0, axis=1).astype(np.int16)
    return list((packed if kind == "ubinary" else packed - 128).tolist())
