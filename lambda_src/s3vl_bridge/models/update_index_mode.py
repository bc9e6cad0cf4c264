from typing import Literal

from .common import IndexSelector


class UpdateIndexMode(IndexSelector):
    """Set an index's mode (UpdateIndexMode): ENHANCED filters before the search and serves
    full-text and hybrid queries; CLASSIC only in buckets created before 2026-09-30."""

    index_mode: Literal["CLASSIC", "ENHANCED"]
