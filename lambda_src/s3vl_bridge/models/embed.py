from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from ..embedding import DEFAULT_MODEL, KNOWN_MODELS
from ..errors import BridgeError, InvalidRequest
from ..limits import EMBED_TEXTS_MAX
from .common import Request


def _has_text(text: str) -> str:
    if not text.strip():
        raise ValueError("is empty; give each text something to embed")
    return text


EmbedText = Annotated[str, AfterValidator(_has_text)]
ModelId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
E = TypeVar("E", bound=BridgeError)
InputType = Literal["search_document", "search_query", "classification", "clustering"]
Truncate = Literal["NONE", "START", "END"]


class Embed(Request):
    """Texts to vectors with a Bedrock embedding model, in the order given. What each model
    takes is checked here, before any invocation: its dimensions, whether normalisation is a
    choice, its characters per text (cut only when `truncate` asks: END keeps a text's start,
    START its end). input_type is Cohere's (Titan has none and ignores it)."""

    texts: Annotated[list[EmbedText], Field(min_length=1, max_length=EMBED_TEXTS_MAX)]
    model_id: ModelId = DEFAULT_MODEL
    dimension: int | None = None
    normalize: bool = True
    input_type: InputType = "search_document"
    truncate: Truncate = "NONE"

    @model_validator(mode="before")
    @classmethod
    def _no_null_text(cls, data: Any) -> Any:
        """A NULL text gets its own message, not the type error of a string field."""
        texts = data.get("texts") if isinstance(data, dict) else None
        if isinstance(texts, list):
            for i, text in enumerate(texts):
                if text is None:
                    raise InvalidRequest(
                        "is null; a NULL text cannot be embedded (leave it out, or coalesce it)",
                        field=f"texts[{i}]",
                    )
        return data

    @model_validator(mode="after")
    def _fits_the_model(self) -> Self:
        model = KNOWN_MODELS.get(self.model_id)
        if model is None:
            raise InvalidRequest(
                f"{self.model_id[:128]!r} is not an embedding model the bridge can call; one "
                f"of: {', '.join(KNOWN_MODELS)}",
                field="model_id",
            )
        if self.dimension is not None and self.dimension not in model.dimensions:
            raise InvalidRequest(
                f"{self.model_id} answers with {' or '.join(map(str, model.dimensions))} "
                f"dimensions, not {self.dimension}; give one of those (the index's dimension "
                "must be one of them)",
                field="dimension",
            )
        if not self.normalize and not model.chooses_normalization:
            raise InvalidRequest(
                f"{self.model_id} always answers unit-length vectors; leave normalize true",
                field="normalize",
            )
        if self.truncate == "NONE":
            for i, text in enumerate(self.texts):
                if len(text) > model.characters_max:
                    raise InvalidRequest(
                        f"has {len(text):,} characters, over the {model.characters_max:,} that "
                        f"{self.model_id} takes; shorten it, or set truncate to END (keep its "
                        "start) or START (keep its end)",
                        field=f"texts[{i}]",
                    )
        return self


class EmbedQuery(BaseModel):
    """A query_vectors search by text: the text is embedded first (one text, the fields of
    embed), in the same invocation. input_type defaults to Cohere's search_query, the side of
    a search that asks; the index's vectors were made with search_document."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    text: EmbedText
    model_id: ModelId = DEFAULT_MODEL
    dimension: int | None = None
    normalize: bool = True
    input_type: InputType = "search_query"
    truncate: Truncate = "NONE"

    @model_validator(mode="after")
    def _fits_the_model(self) -> Self:
        """embed's checks, each error naming this member's field (embed_query.text, ...)."""
        try:
            self.as_embed()
        except InvalidRequest as error:
            raise renamed(error) from None
        return self

    def as_embed(self) -> Embed:
        return Embed(
            operation="embed",
            texts=[self.text],
            model_id=self.model_id,
            dimension=self.dimension,
            normalize=self.normalize,
            input_type=self.input_type,
            truncate=self.truncate,
        )


def renamed(error: E) -> E:
    """An embed error (a check's, or Bedrock's) about the one text of an embed_query, naming
    embed_query's field instead."""
    if error.field is not None:
        error.field = "embed_query." + ("text" if error.field == "texts[0]" else error.field)
    return error
