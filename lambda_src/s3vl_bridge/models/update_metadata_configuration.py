from typing import Annotated, Self

from pydantic import Field, model_validator

from ..errors import InvalidRequest
from ..limits import TEXT_SEARCH_KEYS_MAX
from .common import IndexSelector
from .text_search import MetadataKey, TextSearchKey


class UpdateMetadataConfiguration(IndexSelector):
    """Make metadata keys full-text searchable (add, each with its language) or not (delete),
    up to 10 of each per request (UpdateMetadataConfiguration). Whether the index can take
    them (a key already searchable, more than 10 in all) is S3 Vectors' to say."""

    add: Annotated[list[TextSearchKey], Field(max_length=TEXT_SEARCH_KEYS_MAX)] | None = None
    delete: (
        Annotated[list[MetadataKey], Field(min_length=1, max_length=TEXT_SEARCH_KEYS_MAX)] | None
    ) = None

    @model_validator(mode="after")
    def _each_key_once(self) -> Self:
        if not self.add and self.delete is None:
            raise InvalidRequest(
                "give add (keys to make searchable) or delete (keys to stop searching), or both",
                field="add",
            )
        added = [item.metadata_key for item in self.add or ()]
        for field, keys in (("add", added), ("delete", self.delete or [])):
            for i, key in enumerate(keys):
                if key in keys[:i]:
                    place = f"{field}[{i}].metadata_key" if field == "add" else f"delete[{i}]"
                    raise InvalidRequest(f"'{key}' is given more than once", field=place)
        for i, key in enumerate(self.delete or ()):
            if key in added:
                raise InvalidRequest(
                    f"'{key}' is both added and deleted; send one update for each",
                    field=f"delete[{i}]",
                )
        return self
