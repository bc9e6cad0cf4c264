"""The models the local Bedrock Runtime serves, by model id, and how a request names one."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import cohere, titan
from .encoder import encoder
from .errors import validation
from .invocation import Invocation
from .projection import projection

# InvokeModel takes a base model's id or its ARN (arn:aws:bedrock:<region>::foundation-model/<id>).
FOUNDATION_MODEL_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]+::foundation-model/(?P<model_id>[a-z0-9][a-z0-9.:-]*)"
)


@dataclass(frozen=True)
class Model:
    model_id: str
    family: str
    invoke: Callable[[str, Any], Invocation]


MODELS: dict[str, Model] = {
    **{model_id: Model(model_id, "titan", titan.invoke) for model_id in titan.MODEL_IDS},
    **{model_id: Model(model_id, "cohere", cohere.invoke) for model_id in cohere.MODEL_IDS},
}


def resolve(model_identifier: str) -> Model:
    """The served model a request's modelId names (an id or a foundation-model ARN)."""
    match = FOUNDATION_MODEL_ARN.fullmatch(model_identifier)
    model_id = match["model_id"] if match else model_identifier
    model = MODELS.get(model_id)
    if model is None:
        # AWS's words for a model id it does not know.
        raise validation("The provided model identifier is invalid.")
    return model


def warm_up() -> None:
    """Load the encoder, run it once and draw every served model's projections, so that the
    first requests answer as fast as later ones."""
    encoder().encode(["warm up"])
    for model_id in titan.MODEL_IDS:
        for dimension in titan.DIMENSIONS:
            projection(model_id, dimension)
    for model_id in cohere.MODEL_IDS:
        projection(model_id, cohere.DIMENSION)
