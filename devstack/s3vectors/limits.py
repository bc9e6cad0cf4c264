"""The S3 Vectors limits (shared/DESIGN.md), the one place devstack states them.

Facts only: checks.py checks them (raising AWS's ValidationException), and the rest of
devstack (the loader, the local stack) batches by them. Nothing here imports moto or numpy,
so a command that only sends requests pays nothing for reading a limit.
"""

from __future__ import annotations

# Indexes
MAX_DIMENSION = 4096
MAX_LIST_INDEXES = 500
MAX_NON_FILTERABLE_KEYS = 10

# Vectors: PutVectors, GetVectors, DeleteVectors, keys
MAX_PUT_VECTORS = 500
MAX_PUT_REQUEST_BYTES = 20 * 1024 * 1024
MAX_GET_KEYS = 100
MAX_DELETE_KEYS = 500
MAX_KEY_LENGTH = 1024

# QueryVectors: topK, and the page size its nextToken follows
MAX_TOP_K = 10_000
QUERY_PAGE_SIZE = 100

# Full-text search (ENHANCED): queryTexts entries and their text, searchable keys per index
# (CreateIndex, and each add or delete of UpdateMetadataConfiguration), and an ENHANCED
# filter's constraints (each $in or $nin value counts as one).
MAX_QUERY_TEXTS = 10
MAX_QUERY_TEXT_LENGTH = 1024
MAX_TEXT_SEARCH_KEYS = 10
MAX_ENHANCED_FILTER_CONSTRAINTS = 100
TEXT_SEARCH_LANGUAGES = ("en", "fr", "es", "pt", "it", "de", "nl", "zh", "ja", "ko")

# ListVectors: a page stops at maxResults or near 1 MB; segments for parallel scans
MAX_LIST_RESULTS = 1000
DEFAULT_LIST_RESULTS = 500
LIST_PAGE_BYTES = 1024 * 1024
MAX_SEGMENTS = 16

# The model's bound on nextToken: boto3 refuses to send a longer one.
MAX_TOKEN_LENGTH = 4096

# Metadata
MAX_METADATA_BYTES = 40 * 1024
MAX_FILTERABLE_METADATA_BYTES = 2 * 1024
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 63

# AWS documents no nesting limit for a filter; the local service refuses filters deeper than
# the bridge and the SQL side send (objects and arrays on the longest path, the filter itself
# being level 1), so nothing comes to rely on a depth AWS may not take.
MAX_FILTER_DEPTH = 32

# Vector data is float32: the largest finite value (numpy.finfo(numpy.float32).max).
FLOAT32_MAX = 3.4028234663852886e38
# Metadata numbers are float64 in S3 Vectors: anything beyond (a 401-digit integer, say) cannot
# be stored or compared (numpy.finfo(numpy.float64).max).
FLOAT64_MAX = 1.7976931348623157e308
