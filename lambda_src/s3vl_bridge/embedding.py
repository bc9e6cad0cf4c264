"""The Bedrock embedding models the bridge knows how to call, and the ones this function may
call (S3VL_EMBEDDING_MODELS): any other model id is refused before any call, as an index that
is not served is (allowlist.py).

Each family has its own request shape (operations/embed.py): Titan Text Embeddings V2 takes
one text per InvokeModel and a choice of dimension and normalisation; Cohere Embed v3 takes
up to 96 texts per InvokeModel, an input type, and always answers 1,024 unit-length floats.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Literal

from .errors import AccessDenied, ConfigurationError
from .limits import (
    COHERE_TEXT_CHARACTERS_MAX,
    COHERE_TEXTS_PER_CALL,
    TITAN_TEXT_CHARACTERS_MAX,
)
from .settings import settings

TITAN_V2 = "amazon.titan-embed-text-v2:0"
DEFAULT_MODEL = TITAN_V2


@dataclass(frozen=True)
class EmbeddingModel:
    model_id: str
    family: Literal["titan", "cohere"]
    dimensions: tuple[int, ...]  # those the model can answer with; the first is its default
    characters_max: int  # per text
    texts_per_call: int
    chooses_normalization: bool  # False: always unit length

    @property
    def default_dimension(self) -> int:
        return self.dimensions[0]


# Written out as values, not made by a function at import: mutation testing cannot plant a
# bug in code that runs before a test does (tests/mutation/hand_mutants.py has these).
_COHERE_ENGLISH_V3 = EmbeddingModel(
    "cohere.embed-english-v3",
    family="cohere",
    dimensions=(1024,),
    characters_max=COHERE_TEXT_CHARACTERS_MAX,
    texts_per_call=COHERE_TEXTS_PER_CALL,
    chooses_normalization=False,
)
KNOWN_MODELS: dict[str, EmbeddingModel] = {
    TITAN_V2: EmbeddingModel(
        TITAN_V2,
        family="titan",
        dimensions=(1024, 512, 256),
        characters_max=TITAN_TEXT_CHARACTERS_MAX,
        texts_per_call=1,
        chooses_normalization=True,
    ),
    _COHERE_ENGLISH_V3.model_id: _COHERE_ENGLISH_V3,
    # The same model family and limits, another language set.
    "cohere.embed-multilingual-v3": dataclasses.replace(
        _COHERE_ENGLISH_V3, model_id="cohere.embed-multilingual-v3"
    ),
}


def served_model(model_id: str) -> EmbeddingModel:
    """The model a request names, if this function may call it (a known model, checked by the
    request model before this)."""
    if model_id not in served_models():
        raise AccessDenied(
            f"embedding model {model_id} is not served by this function; add it to "
            "S3VL_EMBEDDING_MODELS of the bridge Lambda (and bedrock:InvokeModel on it to its "
            "role)",
            field="model_id",
        )
    return KNOWN_MODELS[model_id]


def served_models() -> frozenset[str]:
    return _served_of(settings().embedding_models)


@functools.lru_cache(maxsize=1)
def _served_of(configured: tuple[str, ...]) -> frozenset[str]:
    for model_id in configured:
        if model_id not in KNOWN_MODELS:
            raise ConfigurationError(
                f"S3VL_EMBEDDING_MODELS holds {model_id!r}, which is not an embedding model the "
                f"bridge can call; use some of: {', '.join(KNOWN_MODELS)}"
            )
    return frozenset(configured)
