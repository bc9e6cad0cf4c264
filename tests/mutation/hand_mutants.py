"""Hand-made mutants of the guards that mutmut cannot make (`make mutate`; issue 14).

mutmut 3 mutates the bodies of plain functions and methods only. Module-level values (the
patterns of ARNs and names, the limits, the error-code table, the response budget's factors,
the filter language's range tests, the JSON depth scanner's patterns), decorated functions
(the request models' validators, the filter columns' cached properties) and the constraints
of model fields are left alone, and so are the bugs planted by hand in issue 14. Each mutant
below is one such bug: a text replaced in one file of the bridge (lambda_src/s3vl_bridge) or
of the local S3 Vectors service (devstack), which must occur there exactly once. The runner
applies each to a scratch copy of the project and runs the named tests (of tests/bridge or
tests/s3vectors), which must fail. Exits 1 if one passes, or a mutant no longer applies.

    python tests/mutation/hand_mutants.py SCRATCH_DIR [NAME ...]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # from the project's root
    old: str
    new: str
    tests: tuple[str, ...]  # from the project's root


def _bridge(name: str, path: str, old: str, new: str, tests: tuple[str, ...]) -> Mutant:
    """A mutant of lambda_src/s3vl_bridge/`path`, caught by tests/bridge/`tests`."""
    return Mutant(
        name, f"lambda_src/s3vl_bridge/{path}", old, new, tuple(f"tests/bridge/{t}" for t in tests)
    )


def _local(name: str, path: str, old: str, new: str, tests: tuple[str, ...]) -> Mutant:
    """A mutant of devstack/`path`, caught by tests/s3vectors/`tests`."""
    return Mutant(name, f"devstack/{path}", old, new, tuple(f"tests/s3vectors/{t}" for t in tests))


BRIDGE = (
    # The bound that lets a put's bodies be serialised in their lanes (operations/write.py).
    _bridge(
        "a float32 value's text is taken for at most 20 bytes",
        "operations/write.py",
        "_FLOAT32_JSON_BYTES = 25",
        "_FLOAT32_JSON_BYTES = 20",
        ("test_write.py",),
    ),
    # The allowlist: each membership test by prefix (issue 14's first survivor), both ways.
    _bridge(
        "a bucket allowlist entry serves every ARN starting with it",
        "allowlist.py",
        "bucket_of(index_arn) in self.bucket_arns",
        "any(index_arn.startswith(b) for b in self.bucket_arns)",
        ("test_allowlist_exact.py",),
    ),
    _bridge(
        "an index allowlist entry serves every ARN starting with it",
        "allowlist.py",
        "index_arn in self.index_arns or",
        "any(index_arn.startswith(a) for a in self.index_arns) or",
        ("test_allowlist_exact.py",),
    ),
    _bridge(
        "list_indexes serves a bucket whose ARN a served one starts with",
        "allowlist.py",
        "bucket_arn in self.bucket_arns or",
        "any(b.startswith(bucket_arn) for b in self.bucket_arns) or",
        ("test_allowlist_exact.py",),
    ),
    _bridge(
        "a bucket name may hold upper case and underscores",
        "arns.py",
        '_BUCKET_NAME = f"[a-z0-9][a-z0-9-]{_MIDDLE}[a-z0-9]"',
        '_BUCKET_NAME = f"[a-zA-Z0-9][a-zA-Z0-9_-]{_MIDDLE}[a-zA-Z0-9]"',
        ("test_bad_input.py",),
    ),
    _bridge(
        "an ARN's account may be any number of digits",
        "arns.py",
        r"(?P<account>\d{12})",
        r"(?P<account>\d+)",
        ("test_request_models.py",),
    ),
    # The response budget.
    _bridge(
        "the wire-growth factor is 1 (issue 14)",
        "budget.py",
        "_WIRE_GROWTH = _ESCAPED_BYTES_PER_UTF8_BYTE",
        "_WIRE_GROWTH = 1",
        ("test_response_budget.py",),
    ),
    _bridge(
        "rows may take 7 MB",
        "budget.py",
        "RESULT_BYTES_MAX = 6_000_000",
        "RESULT_BYTES_MAX = 7_000_000",
        ("test_response_budget.py",),
    ),
    _bridge(
        "a key in an answer is counted at its UTF-8 size",
        "budget.py",
        "_KEY_IN_ANSWER_BYTES_MAX = KEY_LENGTH_MAX * _ESCAPED_BYTES_PER_CHARACTER + 4",
        "_KEY_IN_ANSWER_BYTES_MAX = KEY_LENGTH_MAX * 4 + 4",
        ("test_write.py",),
    ),
    # list_indexes ignoring nextToken (issue 14).
    _bridge(
        "list_indexes stops after the first page",
        "operations/indexes.py",
        'params["nextToken"] = token',
        "break",
        ("test_list_indexes_pages.py",),
    ),
    # The client's error mapping and the retryable flags.
    _bridge(
        "throttling is not retryable",
        "errors.py",
        '    type = "Throttled"\n    retryable = True',
        '    type = "Throttled"\n    retryable = False',
        ("test_client_errors.py",),
    ),
    _bridge(
        "a request timeout is a validation error",
        "client.py",
        '"RequestTimeoutException": ServiceUnavailable',
        '"RequestTimeoutException": InvalidRequest',
        ("test_client_errors.py",),
    ),
    _bridge(
        "access denied by S3 Vectors is not mapped",
        "client.py",
        '    "AccessDeniedException": AccessDenied,\n',
        "",
        ("test_client_errors.py",),
    ),
    # The request models: validators and field constraints.
    _bridge(
        "an index may be selected by ARN and by names at once",
        "models/common.py",
        "            if by_name:",
        "            if False:",
        ("test_bad_input.py",),
    ),
    _bridge(
        "a bucket may be selected by ARN and by name at once",
        "models/common.py",
        "if self.vector_bucket_arn is not None and self.vector_bucket_name is not None:",
        "if False:",
        ("test_request_models.py",),
    ),
    _bridge(
        "the metadata filter is not checked before the model",
        "models/common.py",
        '            check_filter(data["metadata_filter"])\n',
        "            pass\n",
        ("test_value_checks.py",),
    ),
    _bridge(
        "top_k may be 10,001",
        "models/common.py",
        "TopK = Annotated[int, Field(ge=1, le=TOP_K_MAX)]",
        "TopK = Annotated[int, Field(ge=1, le=TOP_K_MAX + 1)]",
        ("test_bad_input.py",),
    ),
    _bridge(
        "requests are not strict",
        "models/common.py",
        'ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)',
        'ConfigDict(extra="forbid", strict=False, frozen=True, defer_build=True)',
        ("test_bad_input.py",),
    ),
    _bridge(
        "unknown fields are ignored",
        "models/common.py",
        'ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)',
        'ConfigDict(extra="ignore", strict=True, frozen=True, defer_build=True)',
        ("test_bad_input.py",),
    ),
    _bridge(
        "a segment index may equal the segment count",
        "models/list_vectors.py",
        "elif self.segment_index >= self.segment_count:",
        "elif self.segment_index > self.segment_count:",
        ("test_bad_input.py",),
    ),
    _bridge(
        "return_scores without query_texts passes",
        "models/query_vectors.py",
        "if self.return_scores and self.query_texts is None:",
        "if False:",
        ("test_request_models.py",),
    ),
    _bridge(
        "batch rows of different lengths pass",
        "models/query_vectors_batch.py",
        "            if len(vector) != dimension:",
        "            if False:",
        ("test_request_models.py",),
    ),
    _bridge(
        "one put may name a key twice",
        "models/put_vectors.py",
        "            if record.key in seen:",
        "            if False:",
        ("test_write.py",),
    ),
    _bridge(
        "metadata may hold 51 keys",
        "models/put_vectors.py",
        "if len(record.metadata) > METADATA_KEYS_MAX:",
        "if len(record.metadata) > METADATA_KEYS_MAX + 1:",
        ("test_write.py",),
    ),
    _bridge(
        "vectors of one put may differ in length",
        "models/put_vectors.py",
        "            if len(record.data) != dimension:",
        "            if False:",
        ("test_request_models.py",),
    ),
    _bridge(
        "a filter may nest 33 levels",
        "limits.py",
        "FILTER_DEPTH_MAX = 32",
        "FILTER_DEPTH_MAX = 33",
        ("test_value_checks.py",),
    ),
    # The embedding models' table (values written out at import).
    _bridge(
        "Cohere is sent one text per call",
        "embedding.py",
        "texts_per_call=COHERE_TEXTS_PER_CALL,",
        "texts_per_call=1,",
        ("test_embed.py",),
    ),
    _bridge(
        "Cohere is taken to choose normalisation",
        "embedding.py",
        "chooses_normalization=False,",
        "chooses_normalization=True,",
        ("test_embed.py",),
    ),
    _bridge(
        "Cohere is sent Titan's request shape",
        "embedding.py",
        'family="cohere",',
        'family="titan",',
        ("test_embed.py",),
    ),
)

LOCAL_SERVICE = (
    # The limits (limits.py), each one step past the edge the tests hold it to.
    _local(
        "the local service takes a filter of 33 levels",
        "s3vectors/limits.py",
        "MAX_FILTER_DEPTH = 32",
        "MAX_FILTER_DEPTH = 33",
        ("test_filter_checks.py",),
    ),
    _local(
        "topK may be 10,001",
        "s3vectors/limits.py",
        "MAX_TOP_K = 10_000",
        "MAX_TOP_K = 10_001",
        ("test_limits.py",),
    ),
    _local(
        "a put may hold 501 vectors",
        "s3vectors/limits.py",
        "MAX_PUT_VECTORS = 500",
        "MAX_PUT_VECTORS = 501",
        ("test_limit_edges.py",),
    ),
    _local(
        "a put request may be one byte over 20 MiB",
        "s3vectors/limits.py",
        "MAX_PUT_REQUEST_BYTES = 20 * 1024 * 1024",
        "MAX_PUT_REQUEST_BYTES = 20 * 1024 * 1024 + 1",
        ("test_limit_edges.py",),
    ),
    _local(
        "a get may name 101 keys",
        "s3vectors/limits.py",
        "MAX_GET_KEYS = 100",
        "MAX_GET_KEYS = 101",
        ("test_limits.py",),
    ),
    _local(
        "a delete may name 501 keys",
        "s3vectors/limits.py",
        "MAX_DELETE_KEYS = 500",
        "MAX_DELETE_KEYS = 501",
        ("test_limits.py",),
    ),
    _local(
        "a key may be 1,025 characters",
        "s3vectors/limits.py",
        "MAX_KEY_LENGTH = 1024",
        "MAX_KEY_LENGTH = 1025",
        ("test_limit_edges.py",),
    ),
    _local(
        "a dimension may be 4,097",
        "s3vectors/limits.py",
        "MAX_DIMENSION = 4096",
        "MAX_DIMENSION = 4097",
        ("test_limits.py",),
    ),
    _local(
        "metadata may be one byte over 40 KB",
        "s3vectors/limits.py",
        "MAX_METADATA_BYTES = 40 * 1024",
        "MAX_METADATA_BYTES = 40 * 1024 + 1",
        ("test_limit_edges.py",),
    ),
    _local(
        "filterable metadata may be one byte over 2 KB",
        "s3vectors/limits.py",
        "MAX_FILTERABLE_METADATA_BYTES = 2 * 1024",
        "MAX_FILTERABLE_METADATA_BYTES = 2 * 1024 + 1",
        ("test_limit_edges.py",),
    ),
    _local(
        "the local service takes metadata of 51 keys",
        "s3vectors/limits.py",
        "MAX_METADATA_KEYS = 50",
        "MAX_METADATA_KEYS = 51",
        ("test_limit_edges.py",),
    ),
    _local(
        "a non-filterable key may be named in 64 characters",
        "s3vectors/limits.py",
        "MAX_METADATA_KEY_LENGTH = 63",
        "MAX_METADATA_KEY_LENGTH = 64",
        ("test_limit_edges.py",),
    ),
    _local(
        "an index may have 11 non-filterable keys",
        "s3vectors/limits.py",
        "MAX_NON_FILTERABLE_KEYS = 10",
        "MAX_NON_FILTERABLE_KEYS = 11",
        ("test_limit_edges.py",),
    ),
    _local(
        "a list page may hold 1,001 vectors",
        "s3vectors/limits.py",
        "MAX_LIST_RESULTS = 1000",
        "MAX_LIST_RESULTS = 1001",
        ("test_limits.py",),
    ),
    _local(
        "a scan may take 17 segments",
        "s3vectors/limits.py",
        "MAX_SEGMENTS = 16",
        "MAX_SEGMENTS = 17",
        ("test_limits.py",),
    ),
    _local(
        "an ENHANCED filter may hold 101 constraints",
        "s3vectors/limits.py",
        "MAX_ENHANCED_FILTER_CONSTRAINTS = 100",
        "MAX_ENHANCED_FILTER_CONSTRAINTS = 101",
        ("test_text_queries.py",),
    ),
    _local(
        "query pages hold 101 results",
        "s3vectors/limits.py",
        "QUERY_PAGE_SIZE = 100",
        "QUERY_PAGE_SIZE = 101",
        ("test_pagination.py",),
    ),
    _local(
        "vector values may reach 3.5e38",
        "s3vectors/limits.py",
        "FLOAT32_MAX = 3.4028234663852886e38",
        "FLOAT32_MAX = 3.5e38",
        ("test_limit_edges.py",),
    ),
    _local(
        "metadata numbers may reach 1.8e308",
        "s3vectors/limits.py",
        "FLOAT64_MAX = 1.7976931348623157e308",
        "FLOAT64_MAX = 1.8e308",
        ("test_limit_edges.py",),
    ),
    _local(
        "a token of 4,096 characters is kept here instead of sent",
        "s3vectors/limits.py",
        "MAX_TOKEN_LENGTH = 4096",
        "MAX_TOKEN_LENGTH = 4095",
        ("test_tokens.py",),
    ),
    _local(
        "1,023 long tokens are kept",
        "s3vectors/tokens.py",
        "_KEPT_PAYLOADS = 1024",
        "_KEPT_PAYLOADS = 1023",
        ("test_tokens.py",),
    ),
    # The filter language: its range tests and operator names, and the typed columns (cached
    # properties) its conditions are tested on.
    _local(
        "$gt matches the bound itself",
        "s3vectors/filters.py",
        '"$gt": lambda v, a: v > a,',
        '"$gt": lambda v, a: v >= a,',
        ("test_filter_reference.py",),
    ),
    _local(
        "$gte leaves out the bound",
        "s3vectors/filters.py",
        '"$gte": lambda v, a: v >= a,',
        '"$gte": lambda v, a: v > a,',
        ("test_filter_reference.py",),
    ),
    _local(
        "$lt matches the bound itself",
        "s3vectors/filters.py",
        '"$lt": lambda v, a: v < a,',
        '"$lt": lambda v, a: v <= a,',
        ("test_filter_reference.py",),
    ),
    _local(
        "$lte leaves out the bound",
        "s3vectors/filters.py",
        '"$lte": lambda v, a: v <= a,',
        '"$lte": lambda v, a: v < a,',
        ("test_filter_reference.py",),
    ),
    _local(
        "$or is not an operator",
        "s3vectors/filters.py",
        'LOGICAL_OPERATORS = ("$and", "$or")',
        'LOGICAL_OPERATORS = ("$and",)',
        ("test_filter_reference.py",),
    ),
    _local(
        "a missing key counts as present",
        "s3vectors/filters.py",
        "(v is not _MISSING for v in self.values)",
        "(v is not None for v in self.values)",
        ("test_filter_reference.py",),
    ),
    _local(
        "booleans are numbers to the range operators",
        "s3vectors/filters.py",
        "(v if _is_number(v) else np.nan for v in self.values)",
        "(v if isinstance(v, int | float) else np.nan for v in self.values)",
        ("test_filter_reference.py",),
    ),
    _local(
        "strings compare without case",
        "s3vectors/filters.py",
        "codes.setdefault(v, len(codes)) if isinstance(v, str)",
        "codes.setdefault(v.lower(), len(codes)) if isinstance(v, str)",
        ("test_filter_reference.py",),
    ),
    _local(
        "false is not a boolean",
        "s3vectors/filters.py",
        "((1 if v else 0) if isinstance(v, bool) else -1 for v in self.values)",
        "((1 if v else -1) if isinstance(v, bool) else -1 for v in self.values)",
        ("test_filter_reference.py",),
    ),
    _local(
        "only the first element of a list counts",
        "s3vectors/filters.py",
        "for _ in v]\n"
        "        items = [item for v in self.values if isinstance(v, list) for item in v]",
        "for _ in v[:1]]\n"
        "        items = [item for v in self.values if isinstance(v, list) for item in v[:1]]",
        ("test_filter_reference.py",),
    ),
    _local(
        "a bad filter's message does not point to the guide",
        "s3vectors/filters.py",
        '_HINT = "See the S3 Vectors metadata filtering guide for the supported operators."',
        '_HINT = ""',
        ("test_filter_checks.py",),
    ),
    # JSON depth: an object does not open a level.
    _local(
        "objects do not count towards a body's depth",
        "json_depth.py",
        '_OPENERS = frozenset(b"[{")',
        '_OPENERS = frozenset(b"[")',
        ("test_json_depth.py",),
    ),
    _local(
        "a body may nest 513 levels",
        "json_depth.py",
        "MAX_JSON_DEPTH = 512",
        "MAX_JSON_DEPTH = 513",
        ("test_json_depth.py",),
    ),
)

MUTANTS = BRIDGE + LOCAL_SERVICE
assert len({m.name for m in MUTANTS}) == len(MUTANTS), "each mutant needs a name of its own"


def _copy_project(scratch: Path) -> None:
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    for part in ("lambda_src", "devstack", "tests"):
        shutil.copytree(ROOT / part, scratch / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", scratch / "pyproject.toml")


_PYTEST = (sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow")


def run(mutant: Mutant, scratch: Path) -> str:
    """'killed', 'survived', or why the mutant could not be tried."""
    target = scratch / mutant.path
    original = target.read_text()
    if original.count(mutant.old) != 1:
        return f"not applied: its text occurs {original.count(mutant.old)} times in {mutant.path}"
    target.write_text(original.replace(mutant.old, mutant.new))
    try:
        done = subprocess.run(
            [*_PYTEST, *mutant.tests],
            cwd=scratch,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        target.write_text(original)
    if done.returncode == 1:
        return "killed"
    if done.returncode == 0:
        return "survived"
    return f"not tried: pytest exited {done.returncode}\n{done.stdout[-2000:]}"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    scratch, names = Path(argv[0]).resolve(), set(argv[1:])
    _copy_project(scratch)
    outcomes = {m.name: run(m, scratch) for m in MUTANTS if not names or m.name in names}
    width = max(len(name) for name in outcomes)
    for name, outcome in outcomes.items():
        print(f"{name:<{width}}  {outcome}")
    killed = sum(outcome == "killed" for outcome in outcomes.values())
    print(f"hand-made mutants: {len(outcomes)}, killed {killed}")
    return 0 if killed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
