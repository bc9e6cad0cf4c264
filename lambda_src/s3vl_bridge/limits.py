"""S3 Vectors and Lambda limits the bridge enforces before calling AWS (shared/DESIGN.md)."""

TOP_K_MAX = 10_000
DIMENSION_MAX = 4096
KEY_LENGTH_MAX = 1024
QUERY_TEXTS_MAX = 10
BATCH_QUERIES_MAX = 100

GET_CHUNK = 100  # GetVectors takes 1..100 keys
PUT_CHUNK = 500  # PutVectors takes 1..500 vectors
PUT_CHUNK_BYTES = 20 * 1024 * 1024  # and a 20 MiB request body
DELETE_CHUNK = 500
LIST_MAX_RESULTS = 1000
SEGMENT_COUNT_MAX = 16

# float32: the largest finite value, and the magnitude below which a value rounds to 0
# (half the smallest subnormal), so "all zero" means all zero as S3 Vectors stores it.
FLOAT32_MAX = 3.4028234663852886e38
FLOAT32_ROUNDS_TO_ZERO = 7.006492321624085e-46

# S3 Vectors keeps metadata numbers as float64: a JSON number beyond this (PostgreSQL's jsonb
# keeps 1e400 as a 401-digit integer), infinity or NaN cannot be stored or compared.
FLOAT64_MAX = 1.7976931348623157e308

# How deeply a metadata filter may nest: JSON objects and arrays on its longest path, the
# filter object itself being level 1 ({"a": 1} is 1, {"a": {"$in": [1, 2]}} is 3,
# {"$and": [{"a": 1}]} is 3). The SQL side checks the same limit.
MAX_FILTER_DEPTH = 32

METADATA_TOTAL_BYTES = 40 * 1024
METADATA_FILTERABLE_BYTES = 2 * 1024
METADATA_KEYS_MAX = 50

# Lambda's synchronous response limit is 6 MB; keep room for the envelope and JSON escaping.
RESPONSE_BYTES_MAX = 6_000_000
