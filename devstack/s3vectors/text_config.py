"""The checks of text search configurations: CreateIndex's
metadataConfiguration.textSearchConfigurations and UpdateMetadataConfiguration's add and
delete. Each refusal is a ValidationException naming the field by its request path."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .checks import count_between
from .errors import ValidationException, json_type_name
from .limits import MAX_METADATA_KEY_LENGTH, MAX_TEXT_SEARCH_KEYS, TEXT_SEARCH_LANGUAGES
from .text_index import ACTIVE, BUILDING

Configuration = tuple[str, str | None]  # (metadata key, language or None for standard)

_LANGUAGE_HINT = (
    f"Use one of {', '.join(TEXT_SEARCH_LANGUAGES)}, or omit language for the standard analyzer."
)


def at_creation(config: Any) -> list[Configuration]:
    """CreateIndex's text search configurations (none when not given)."""
    if not isinstance(config, dict) or config.get("textSearchConfigurations") is None:
        return []  # checks.non_filterable_keys refuses a configuration that is not an object
    field = "metadataConfiguration.textSearchConfigurations"
    items = count_between(config["textSearchConfigurations"], field, 0, MAX_TEXT_SEARCH_KEYS)
    made = [_configuration(item, f"{field}[{i}]") for i, item in enumerate(items)]
    _once_each([key for key, _ in made], field)
    return made


def update(
    add: Any, delete: Any, searchable: Collection[str]
) -> tuple[list[Configuration], list[str]]:
    """UpdateMetadataConfiguration's (configurations to add, keys to delete), checked against
    the index's searchable keys: nothing is changed unless all of it can be."""
    if add is None and delete is None:
        raise ValidationException(
            "add",
            "the request changes nothing",
            "Send add, delete or both, each with textSearchConfigurations.",
        )
    added: list[Configuration] = []
    if add is not None:
        field = "add.textSearchConfigurations"
        items = _list_member(add, "add", field, 0)
        added = [_configuration(item, f"{field}[{i}]") for i, item in enumerate(items)]
        _once_each([key for key, _ in added], field)
    deleted: list[str] = []
    if delete is not None:
        field = "delete.textSearchConfigurations"
        items = _list_member(delete, "delete", field, 1)
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ValidationException(f"{field}[{i}]", "must be an object {metadataKey}")
            deleted.append(_metadata_key(item.get("metadataKey"), f"{field}[{i}].metadataKey"))
        _once_each(deleted, field)
    for i, key in enumerate(deleted):
        if key not in searchable:
            raise ValidationException(
                f"delete.textSearchConfigurations[{i}].metadataKey",
                f"'{key}' is not a searchable key of this index",
                _keys_hint(searchable),
            )
    for i, (key, _) in enumerate(added):
        place = f"add.textSearchConfigurations[{i}].metadataKey"
        if key in deleted:
            raise ValidationException(
                place, f"'{key}' is both added and deleted", "Send one update for each."
            )
        if key in searchable:
            raise ValidationException(
                place,
                f"'{key}' is already searchable",
                "Delete it first to change its language.",
            )
    total = len(searchable) - len(deleted) + len(added)
    if total > MAX_TEXT_SEARCH_KEYS:
        raise ValidationException(
            "add.textSearchConfigurations",
            f"the index would have {total} searchable keys; at most {MAX_TEXT_SEARCH_KEYS} are "
            "allowed",
            "Delete searchable keys it no longer needs.",
        )
    return added, deleted


def _list_member(holder: Any, name: str, field: str, low: int) -> list[Any]:
    if not isinstance(holder, dict):
        raise ValidationException(name, "must be an object {textSearchConfigurations: [...]}")
    return count_between(holder.get("textSearchConfigurations"), field, low, MAX_TEXT_SEARCH_KEYS)


def _configuration(item: Any, field: str) -> Configuration:
    if not isinstance(item, dict):
        raise ValidationException(field, "must be an object {metadataKey, language}")
    key = _metadata_key(item.get("metadataKey"), f"{field}.metadataKey")
    language = item.get("language")
    if language is not None and language not in TEXT_SEARCH_LANGUAGES:
        raise ValidationException(
            f"{field}.language", f"{language!r} is not a language of text search", _LANGUAGE_HINT
        )
    status = item.get("status")
    if status is not None and status not in (ACTIVE, BUILDING):
        raise ValidationException(
            f"{field}.status",
            f"must be ACTIVE or BUILDING, got {status!r}",
            "The service sets the status; omit it.",
        )
    return key, language


def _metadata_key(key: Any, field: str) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_METADATA_KEY_LENGTH:
        got = f"{len(key)} characters" if isinstance(key, str) else json_type_name(key)
        raise ValidationException(
            field, f"a metadata key must be 1 to {MAX_METADATA_KEY_LENGTH} characters, got {got}"
        )
    return key


def _once_each(keys: list[str], field: str) -> None:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            raise ValidationException(
                f"{field}[{i}].metadataKey",
                f"'{key}' appears more than once",
                "Give each metadata key once.",
            )
        seen.add(key)


def _keys_hint(searchable: Collection[str]) -> str:
    if not searchable:
        return "The index has no searchable keys; add one with UpdateMetadataConfiguration."
    return f"Searchable keys: {', '.join(sorted(searchable))}."
