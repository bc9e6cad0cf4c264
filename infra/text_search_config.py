"""An index's full-text search and mode from context: `searchableKeys` and `indexMode` of one
entry of `indexes`, checked before anything is built.

    {"name": "products", "dimension": 384,
     "searchableKeys": [{"metadataKey": "title", "language": "en"}, {"metadataKey": "sku"}],
     "indexMode": "ENHANCED"}

A key without language gets S3 Vectors' standard analyzer. Full-text search needs an ENHANCED
index, so searchable keys without `indexMode` make the index ENHANCED, and with CLASSIC are
refused. Each error names the context key and says what to write instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

IndexMode = Literal["CLASSIC", "ENHANCED"]

# S3 Vectors' limits and languages (botocore's s3vectors model: LanguageCode,
# MetadataConfigurationTextSearchConfigurationsList; the bridge's limits.py).
TEXT_SEARCH_LANGUAGES = ("en", "fr", "es", "pt", "it", "de", "nl", "zh", "ja", "ko")
MAX_SEARCHABLE_KEYS = 10
MAX_METADATA_KEY_LENGTH = 63
INDEX_MODES: tuple[IndexMode, ...] = ("CLASSIC", "ENHANCED")
_ENTRY_FIELDS = ("metadataKey", "language")


class TextSearchConfigError(ValueError):
    """Raised as config.ConfigError's base: the message names the context key."""


@dataclass(frozen=True, kw_only=True)
class SearchableKey:
    """A metadata key made full-text searchable; language None is the standard analyzer."""

    metadata_key: str
    language: str | None = None


@dataclass(frozen=True, kw_only=True)
class TextSearchSettings:
    """What the stack applies to an index after creating it. `searchable_keys` None: the stack
    leaves the index's keys alone (SQL may manage them); () removes those it configured."""

    searchable_keys: tuple[SearchableKey, ...] | None = None
    index_mode: IndexMode | None = None

    @property
    def applies(self) -> bool:
        return self.searchable_keys is not None or self.index_mode is not None


def text_search(where: str, item: dict[str, Any]) -> TextSearchSettings:
    """The searchableKeys and indexMode of the index entry `item` (`where` names it)."""
    keys = _searchable_keys(where, item.get("searchableKeys"))
    mode = item.get("indexMode")
    if mode is not None and mode not in INDEX_MODES:
        raise TextSearchConfigError(
            f"{where}.indexMode must be 'ENHANCED' or 'CLASSIC', got {mode!r}"
        )
    if keys and mode == "CLASSIC":
        raise TextSearchConfigError(
            f"{where}.indexMode is CLASSIC, but full-text search on searchableKeys needs an "
            "ENHANCED index: set indexMode to ENHANCED (or leave it out), or remove "
            "searchableKeys"
        )
    if keys and mode is None:
        mode = "ENHANCED"
    return TextSearchSettings(searchable_keys=keys, index_mode=cast(IndexMode | None, mode))


def _searchable_keys(where: str, value: Any) -> tuple[SearchableKey, ...] | None:
    if value is None:
        return None
    field = f"{where}.searchableKeys"
    if not isinstance(value, list):
        raise TextSearchConfigError(
            f"{field} must be a list such as "
            '[{"metadataKey": "title", "language": "en"}, {"metadataKey": "sku"}]'
        )
    if len(value) > MAX_SEARCHABLE_KEYS:
        raise TextSearchConfigError(
            f"{field} holds at most {MAX_SEARCHABLE_KEYS} keys (S3 Vectors' limit per index), "
            f"got {len(value)}: keep the keys queries search"
        )
    keys = tuple(_searchable_key(f"{field}[{i}]", entry) for i, entry in enumerate(value))
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key.metadata_key in seen:
            raise TextSearchConfigError(
                f"{field}[{i}].metadataKey names {key.metadata_key!r} a second time: give each "
                "metadata key once, with one language"
            )
        seen.add(key.metadata_key)
    return keys


def _searchable_key(field: str, entry: Any) -> SearchableKey:
    if not isinstance(entry, dict):
        raise TextSearchConfigError(
            f'{field} must be an object such as {{"metadataKey": "title", "language": "en"}}'
        )
    unknown = sorted(set(entry) - set(_ENTRY_FIELDS))
    if unknown:
        raise TextSearchConfigError(
            f"{field} has unknown keys {unknown}: use metadataKey and, optionally, language"
        )
    name = entry.get("metadataKey")
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_METADATA_KEY_LENGTH:
        raise TextSearchConfigError(
            f"{field}.metadataKey must be a metadata key name of 1 to "
            f"{MAX_METADATA_KEY_LENGTH} characters, got {name!r}"
        )
    language = entry.get("language")
    if language is not None and language not in TEXT_SEARCH_LANGUAGES:
        raise TextSearchConfigError(
            f"{field}.language {language!r} is not a language of S3 Vectors' text search: use "
            f"one of {', '.join(TEXT_SEARCH_LANGUAGES)}, or leave language out for the "
            "standard analyzer"
        )
    return SearchableKey(metadata_key=name, language=language)
