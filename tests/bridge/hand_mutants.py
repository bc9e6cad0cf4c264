"""Hand-made mutants of the bridge's guards that mutmut cannot make (`make mutate`; issue 14).

mutmut 3 mutates the bodies of plain functions and methods only. Module-level values (the
patterns of ARNs and names, the limits, the error-code table, the response budget's factors),
decorated functions (the request models' validators) and the constraints of model fields are
left alone, and so are the bugs planted by hand in issue 14. Each mutant below is one such
bug: a text replaced in one file of lambda_src/s3vl_bridge, which must occur there exactly
once. The runner applies each to a scratch copy of the project and runs the named tests of
tests/bridge, which must fail. Exits 1 if one passes, or a mutant no longer applies.

    python tests/bridge/hand_mutants.py SCRATCH_DIR [NAME ...]
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
    path: str  # under lambda_src/s3vl_bridge/
    old: str
    new: str
    tests: tuple[str, ...]  # under tests/bridge/


MUTANTS = (
    # The allowlist: each membership test by prefix (issue 14's first survivor), both ways.
    Mutant(
        "a bucket allowlist entry serves every ARN starting with it",
        "allowlist.py",
        "bucket_of(index_arn) in self.bucket_arns",
        "any(index_arn.startswith(b) for b in self.bucket_arns)",
        ("test_allowlist_exact.py",),
    ),
    Mutant(
        "an index allowlist entry serves every ARN starting with it",
        "allowlist.py",
        "index_arn in self.index_arns or",
        "any(index_arn.startswith(a) for a in self.index_arns) or",
        ("test_allowlist_exact.py",),
    ),
    Mutant(
        "list_indexes serves a bucket whose ARN a served one starts with",
        "allowlist.py",
        "bucket_arn in self.bucket_arns or",
        "any(b.startswith(bucket_arn) for b in self.bucket_arns) or",
        ("test_allowlist_exact.py",),
    ),
    Mutant(
        "a bucket name may hold upper case and underscores",
        "arns.py",
        '_BUCKET_NAME = f"[a-z0-9][a-z0-9-]{_MIDDLE}[a-z0-9]"',
        '_BUCKET_NAME = f"[a-zA-Z0-9][a-zA-Z0-9_-]{_MIDDLE}[a-zA-Z0-9]"',
        ("test_bad_input.py",),
    ),
    Mutant(
        "an ARN's account may be any number of digits",
        "arns.py",
        r"(?P<account>\d{12})",
        r"(?P<account>\d+)",
        ("test_request_models.py",),
    ),
    # The response budget.
    Mutant(
        "the wire-growth factor is 1 (issue 14)",
        "budget.py",
        "_WIRE_GROWTH = _ESCAPED_BYTES_PER_UTF8_BYTE",
        "_WIRE_GROWTH = 1",
        ("test_response_budget.py",),
    ),
    Mutant(
        "rows may take 7 MB",
        "budget.py",
        "RESULT_BYTES_MAX = 6_000_000",
        "RESULT_BYTES_MAX = 7_000_000",
        ("test_response_budget.py",),
    ),
    Mutant(
        "a key in an answer is counted at its UTF-8 size",
        "budget.py",
        "_KEY_IN_ANSWER_BYTES_MAX = KEY_LENGTH_MAX * _ESCAPED_BYTES_PER_CHARACTER + 4",
        "_KEY_IN_ANSWER_BYTES_MAX = KEY_LENGTH_MAX * 4 + 4",
        ("test_write.py",),
    ),
    # list_indexes ignoring nextToken (issue 14).
    Mutant(
        "list_indexes stops after the first page",
        "operations/indexes.py",
        'params["nextToken"] = token',
        "break",
        ("test_list_indexes_pages.py",),
    ),
    # The client's error mapping and the retryable flags.
    Mutant(
        "throttling is not retryable",
        "errors.py",
        '    type = "Throttled"\n    retryable = True',
        '    type = "Throttled"\n    retryable = False',
        ("test_client_errors.py",),
    ),
    Mutant(
        "a request timeout is a validation error",
        "client.py",
        '"RequestTimeoutException": ServiceUnavailable',
        '"RequestTimeoutException": InvalidRequest',
        ("test_client_errors.py",),
    ),
    Mutant(
        "access denied by S3 Vectors is not mapped",
        "client.py",
        '    "AccessDeniedException": AccessDenied,\n',
        "",
        ("test_client_errors.py",),
    ),
    # The request models: validators and field constraints.
    Mutant(
        "an index may be selected by ARN and by names at once",
        "models/common.py",
        "            if by_name:",
        "            if False:",
        ("test_bad_input.py",),
    ),
    Mutant(
        "a bucket may be selected by ARN and by name at once",
        "models/common.py",
        "if self.vector_bucket_arn is not None and self.vector_bucket_name is not None:",
        "if False:",
        ("test_request_models.py",),
    ),
    Mutant(
        "the metadata filter is not checked before the model",
        "models/common.py",
        '            check_filter(data["metadata_filter"])\n',
        "            pass\n",
        ("test_value_checks.py",),
    ),
    Mutant(
        "top_k may be 10,001",
        "models/common.py",
        "TopK = Annotated[int, Field(ge=1, le=TOP_K_MAX)]",
        "TopK = Annotated[int, Field(ge=1, le=TOP_K_MAX + 1)]",
        ("test_bad_input.py",),
    ),
    Mutant(
        "requests are not strict",
        "models/common.py",
        'ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)',
        'ConfigDict(extra="forbid", strict=False, frozen=True, defer_build=True)',
        ("test_bad_input.py",),
    ),
    Mutant(
        "unknown fields are ignored",
        "models/common.py",
        'ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)',
        'ConfigDict(extra="ignore", strict=True, frozen=True, defer_build=True)',
        ("test_bad_input.py",),
    ),
    Mutant(
        "a segment index may equal the segment count",
        "models/list_vectors.py",
        "elif self.segment_index >= self.segment_count:",
        "elif self.segment_index > self.segment_count:",
        ("test_bad_input.py",),
    ),
    Mutant(
        "return_scores without query_texts passes",
        "models/query_vectors.py",
        "if self.return_scores and self.query_texts is None:",
        "if False:",
        ("test_request_models.py",),
    ),
    Mutant(
        "batch rows of different lengths pass",
        "models/query_vectors_batch.py",
        "            if len(vector) != dimension:",
        "            if False:",
        ("test_request_models.py",),
    ),
    Mutant(
        "one put may name a key twice",
        "models/put_vectors.py",
        "            if record.key in seen:",
        "            if False:",
        ("test_write.py",),
    ),
    Mutant(
        "metadata may hold 51 keys",
        "models/put_vectors.py",
        "if len(record.metadata) > METADATA_KEYS_MAX:",
        "if len(record.metadata) > METADATA_KEYS_MAX + 1:",
        ("test_write.py",),
    ),
    Mutant(
        "vectors of one put may differ in length",
        "models/put_vectors.py",
        "            if len(record.data) != dimension:",
        "            if False:",
        ("test_request_models.py",),
    ),
    Mutant(
        "a filter may nest 33 levels",
        "limits.py",
        "FILTER_DEPTH_MAX = 32",
        "FILTER_DEPTH_MAX = 33",
        ("test_value_checks.py",),
    ),
)


def _copy_project(scratch: Path) -> None:
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    for part in ("lambda_src", "devstack", "tests"):
        shutil.copytree(ROOT / part, scratch / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", scratch / "pyproject.toml")


def run(mutant: Mutant, scratch: Path) -> str:
    """'killed', 'survived', or why the mutant could not be tried."""
    target = scratch / "lambda_src" / "s3vl_bridge" / mutant.path
    original = target.read_text()
    if original.count(mutant.old) != 1:
        return f"not applied: its text occurs {original.count(mutant.old)} times in {mutant.path}"
    target.write_text(original.replace(mutant.old, mutant.new))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
            + ["-m", "not slow"]
            + [f"tests/bridge/{t}" for t in mutant.tests],
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
