"""Every limit the bridge enforces before calling AWS, stated once (shared/DESIGN.md: the
S3 Vectors facts, Lambda's response limit, and the bridge's own). Other modules import these
names; no module of the bridge spells one of these numbers itself."""

# QueryVectors
TOP_K_MAX = 10_000
QUERY_TEXTS_MAX = 10
QUERY_TEXT_LENGTH_MAX = 1024  # characters of one query text

# Full-text search: searchable keys of an index, and a metadata key's length
TEXT_SEARCH_KEYS_MAX = 10
METADATA_KEY_LENGTH_MAX = 63

# Indexes, keys and names
DIMENSION_MAX = 4096
KEY_LENGTH_MAX = 1024
NAME_LENGTH_MIN = 3  # vector bucket and index names: 3..63 characters
NAME_LENGTH_MAX = 63

# Chunks and pages
GET_CHUNK = 100  # GetVectors takes 1..100 keys
PUT_CHUNK = 500  # PutVectors takes 1..500 vectors
PUT_CHUNK_BYTES = 20 * 1024 * 1024  # and a 20 MiB request body
DELETE_CHUNK = 500  # DeleteVectors takes 1..500 keys
# Write chunks in flight at once per request. An index takes about 2,500 vectors a second, so a
# chunk of 500 holds it ~200 ms, twice a write's own ~100 ms: two in flight keep the index busy
# and a third covers the bridge's encoding of the next body. More would only queue at the index
# (and be throttled by AWS). SQL's put_vectors and flush send PUT_CHUNK * WRITE_LANES vectors
# per invocation (s3vl._limit('put_batch')), so one invocation is one wave.
WRITE_LANES = 3
LIST_MAX_RESULTS = 1000
LIST_NEXT_TOKEN_LENGTH_MAX = 2048
SEGMENT_COUNT_MAX = 16

# float32: the largest finite value, and the magnitude below which a value rounds to 0
# (half the smallest subnormal), so "all zero" means all zero as S3 Vectors stores it.
FLOAT32_MAX = 3.4028234663852886e38
FLOAT32_ROUNDS_TO_ZERO = 7.006492321624085e-46

# S3 Vectors keeps metadata numbers as float64: a JSON number beyond this (PostgreSQL's jsonb
# keeps 1e400 as a 401-digit integer), infinity or NaN cannot be stored or compared.
FLOAT64_MAX = 1.7976931348623157e308

# Metadata per vector, as S3 Vectors counts it (compact UTF-8 JSON).
METADATA_TOTAL_BYTES = 40 * 1024
METADATA_FILTERABLE_BYTES = 2 * 1024
METADATA_KEYS_MAX = 50

# How deeply a metadata filter may nest: JSON objects and arrays on its longest path, the
# filter object itself being level 1 ({"a": 1} is 1, {"a": {"$in": [1, 2]}} is 3,
# {"$and": [{"a": 1}]} is 3). The SQL side checks the same limit.
FILTER_DEPTH_MAX = 32

# Lambda: what a synchronous invocation may answer (6 MB), in bytes.
LAMBDA_RESPONSE_BYTES = 6_291_556

# Bedrock embedding models (AWS's model parameter pages): Titan Text Embeddings V2 takes one
# text of 1..50,000 characters and up to 8,192 tokens per InvokeModel; Cohere Embed v3 up to
# 96 texts of up to 2,048 characters (and 512 tokens) each.
TITAN_TEXT_CHARACTERS_MAX = 50_000
TITAN_TEXT_TOKENS_MAX = 8_192
COHERE_TEXT_CHARACTERS_MAX = 2_048
COHERE_TEXTS_PER_CALL = 96

# The bridge's own
BATCH_QUERIES_MAX = 100  # query vectors in one query_vectors_batch
CORRELATION_ID_LENGTH_MAX = 128
# Texts in one embed request: 256 vectors of 1,024 floats, each printed with float32's 9
# significant digits (at most 17 bytes with its separator), fit the 6 MB response (4.5 MB).
EMBED_TEXTS_MAX = 256
