"""What full-text search adds to the request models: a query text for one searchable metadata
key, the checks of a list of them, and a text search configuration (the index
administration's). Limits are S3 Vectors' (limits.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ..errors import InvalidRequest
from ..limits import METADATA_KEY_LENGTH_MAX, QUERY_TEXT_LENGTH_MAX, QUERY_TEXTS_MAX


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("is blank; give the words to search for")
    return text


MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=METADATA_KEY_LENGTH_MAX)]
Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=QUERY_TEXT_LENGTH_MAX),
    AfterValidator(_not_blank),
]
Language = Literal["en", "fr", "es", "pt", "it", "de", "nl", "zh", "ja", "ko"]


class Part(BaseModel):
    """A member of a request: strict, unknown fields refused, like the request itself."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class QueryText(Part):
    """Words to search for in one searchable metadata key (BM25, the key's language)."""

    metadata_key: MetadataKey
    text: Text


QueryTexts = Annotated[list[QueryText], Field(min_length=1, max_length=QUERY_TEXTS_MAX)]


def check_distinct_keys(texts: list[QueryText] | None) -> None:
    """S3 Vectors takes each searchable key at most once in a query."""
    seen: set[str] = set()
    for i, item in enumerate(texts or ()):
        if item.metadata_key in seen:
            raise InvalidRequest(
                f"'{item.metadata_key}' is given more than once; query each searchable key at "
                "most once, with all its words in one text",
                field=f"query_texts[{i}].metadata_key",
            )
        seen.add(item.metadata_key)


def wire_texts(texts: list[QueryText]) -> list[dict[str, str]]:
    """QueryVectors' queryTexts."""
    return [{"metadataKey": item.metadata_key, "text": item.text} for item in texts]


class TextSearchKey(Part):
    """A metadata key to make full-text searchable; no language is the standard analyzer."""

    metadata_key: MetadataKey
    language: Language | None = None
