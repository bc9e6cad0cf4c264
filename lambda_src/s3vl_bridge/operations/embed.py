"""embed: texts to vectors with an allowlisted Bedrock model, in the model's own request shape.

Titan takes one text per InvokeModel: the texts are invoked concurrently on the container's
pool (bounded by S3VL_MAX_WORKERS). Cohere takes up to 96 texts per InvokeModel: the texts go
in batches of 96, the batches concurrently. Any failure fails the whole request (there is
nothing half-written to undo: embedding stores nothing).
"""

from __future__ import annotations

import math
import re
from functools import partial
from typing import TYPE_CHECKING, Any

from ..bedrock import invoke_model
from ..embedding import EmbeddingModel, served_model
from ..errors import InvalidRequest, UpstreamError
from .pool import run_all

if TYPE_CHECKING:
    from ..models.embed import Embed

# Titan's answer to a text over its token limit (a count the bridge cannot make itself).
_TOO_MANY_TOKENS = re.compile(r"Max input tokens: (\d+), request input token count: (\d+)")
# With truncate asked, a text over Titan's tokens is cut to this share of what fits (tokens
# per character vary along a text) and sent again, at most this many times.
_TOKEN_CUT_MARGIN = 0.95
_TOKEN_CUTS_MAX = 3
_COHERE_TEXT = re.compile(r"#/texts/(\d+)")


def embed(request: Embed) -> dict[str, Any]:
    model = served_model(request.model_id)
    dimension = request.dimension or model.default_dimension
    texts, cut = _fit_characters(request.texts, model, request.truncate)
    if model.family == "titan":
        answers = run_all(
            [partial(_titan, request, model, dimension, i, t) for i, t in enumerate(texts)]
        )
        cut |= {i for i, (_, _, was_cut) in enumerate(answers) if was_cut}
        vectors = [vector for vector, _, _ in answers]
        counts = [tokens for _, tokens, _ in answers]
        invocations = len(texts)
    else:
        step = model.texts_per_call
        batches = run_all(
            [
                partial(_cohere, request, model, i, texts[i : i + step])
                for i in range(0, len(texts), step)
            ]
        )
        vectors = [vector for batch, _ in batches for vector in batch]
        counts = [tokens for _, tokens in batches]
        invocations = len(batches)
    return {
        "model_id": model.model_id,
        "dimension": dimension,
        "normalized": request.normalize or not model.chooses_normalization,
        "input_type": request.input_type if model.family == "cohere" else None,
        "embeddings": vectors,
        "input_token_count": None if None in counts else sum(c for c in counts if c is not None),
        "invocations": invocations,
        "truncated_positions": sorted(i + 1 for i in cut),
    }


def _fit_characters(
    texts: list[str], model: EmbeddingModel, truncate: str
) -> tuple[list[str], set[int]]:
    """Texts over the model's characters cut as `truncate` asks (the request model refused
    them already when it asks for none)."""
    limit = model.characters_max
    cut = {i for i, text in enumerate(texts) if len(text) > limit}
    if not cut:
        return texts, cut
    return [_cut(t, limit, truncate) if i in cut else t for i, t in enumerate(texts)], cut


def _cut(text: str, keep: int, truncate: str) -> str:
    return text[-keep:] if truncate == "START" else text[:keep]


def _titan(
    request: Embed, model: EmbeddingModel, dimension: int, position: int, text: str
) -> tuple[list[float], int | None, bool]:
    """One text: (vector, tokens counted, whether it was cut to fit Titan's tokens)."""
    field = f"texts[{position}]"
    body: dict[str, Any] = {
        "inputText": text,
        "dimensions": dimension,
        "normalize": request.normalize,
    }
    cut = False
    for attempt in range(_TOKEN_CUTS_MAX + 1):
        try:
            answer = invoke_model(model.model_id, body, field=field)
            break
        except InvalidRequest as error:
            over = _TOO_MANY_TOKENS.findall(error.message)
            if not over:
                raise
            limit, count = int(over[0][0]), int(over[0][1])
            if request.truncate == "NONE" or attempt == _TOKEN_CUTS_MAX:
                raise InvalidRequest(
                    f"has {count:,} tokens, over the {limit:,} that {model.model_id} takes; "
                    "shorten it, or set truncate to END (keep its start) or START (keep its end)",
                    field=field,
                ) from None
            keep = max(1, math.floor(len(text) * limit / count * _TOKEN_CUT_MARGIN))
            text = _cut(text, keep, request.truncate)
            body["inputText"] = text
            cut = True
    vector = _floats(answer.body.get("embedding"), dimension, model.model_id)
    tokens = answer.body.get("inputTextTokenCount")
    return vector, tokens if isinstance(tokens, int) else answer.input_tokens, cut


def _cohere(
    request: Embed, model: EmbeddingModel, start: int, texts: list[str]
) -> tuple[list[list[float]], int | None]:
    """One batch of texts from `start`: (vectors in order, tokens counted)."""
    body = {"texts": texts, "input_type": request.input_type, "truncate": request.truncate}
    try:
        answer = invoke_model(model.model_id, body, field="texts")
    except InvalidRequest as error:
        # Bedrock names a text by its place in this batch; the request's place is `start` on.
        found = _COHERE_TEXT.findall(error.message)
        if found:
            error.field = f"texts[{start + int(found[0])}]"
            error.message = _COHERE_TEXT.sub(lambda m: f"texts[{start + int(m[1])}]", error.message)
        raise
    embeddings = answer.body.get("embeddings")
    if not isinstance(embeddings, list) or len(embeddings) != len(texts):
        raise UpstreamError(f"Bedrock {model.model_id} answered no list of {len(texts)} embeddings")
    dimension = model.default_dimension
    return [_floats(e, dimension, model.model_id) for e in embeddings], answer.input_tokens


def _floats(values: Any, dimension: int, model_id: str) -> list[float]:
    """A vector of the model's answer, each value printed with float32's 9 significant digits:
    what S3 Vectors stores is float32, and the answer is half the size."""
    if not isinstance(values, list) or len(values) != dimension:
        raise UpstreamError(f"Bedrock {model_id} answered no vector of {dimension} values")
    out = []
    for value in values:
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            raise UpstreamError(f"Bedrock {model_id} answered a vector holding {value!r}")
        out.append(float(f"{value:.9g}"))
    return out
