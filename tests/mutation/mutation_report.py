"""The per-module table of a mutmut run (`make mutate`; not a test module).

Reads the results mutmut keeps beside each mutated file (mutants/<path>.meta) and prints, per
module (the bridge's s3vl_bridge.* and the local S3 Vectors service's devstack.*), the mutants
in all, killed, survived, timed out and not reached by any test, and the share caught (killed
or timed out). A survivor listed in EQUIVALENT (with the reason no test can tell it from the
original) is counted apart. Exits 1 when a module catches less than the threshold of the
mutants that are not equivalent, or any other mutant survived; `mutmut show NAME` (in
build/mutate) shows one.

    python tests/mutation/mutation_report.py build/mutate/mutants [--fail-under 90] [--retest]
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut.stats.status_by_exit_code), folded to the table's columns.
_STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
_STATUS.update(dict.fromkeys((36, 24, -24, 152), "timeout"))
# mutmut files 255 under timeout, but its worker exits 255 (os._exit(-1)) when running the tests
# raised (pytest's usage error, exit 4, among others): the tests never judged the mutant, so it
# is not caught; `mutmut run NAME` tries it again (mutants equivalent by reading crashed too).
_STATUS[255] = "crashed"

# Survivors that answer exactly as the original for every input the module can be given:
# mutant name -> why. A name here that no longer survives is reported, so the list stays true
# (mutmut numbers the mutants of a function anew when the function changes).
EQUIVALENT: dict[str, str] = {
    "s3vl_bridge.client.x__make_client__mutmut_18": (
        "parameter_validation=None: botocore turns validation off for any false value "
        "(args.py: `if client_config and not client_config.parameter_validation`)"
    ),
    "s3vl_bridge.aws_fields.x_bridge_field__mutmut_26": (
        "rpartition('[]'): no field in the table holds more than one [] (test_aws_fields checks "
        "the table), so cutting at the first or the last is the same cut"
    ),
    "s3vl_bridge.float32_binary.x_decode__mutmut_62": (
        "'Infinity' if bad >= 0: bad is an infinity there (NaN was named first), never 0"
    ),
    "s3vl_bridge.float32_binary.x_decode__mutmut_63": (
        "'Infinity' if bad > 1: bad is +inf or -inf there, on the same sides of 1 as of 0"
    ),
    "s3vl_bridge.bedrock.x_invoke_model__mutmut_8": (
        "contentType left out: InvokeModel's contentType defaults to application/json (the "
        "API reference), the only type the embedding models take; sent to say so"
    ),
    "s3vl_bridge.bedrock.x_invoke_model__mutmut_9": (
        "accept left out: InvokeModel's accept defaults to application/json (the API reference)"
    ),
    "s3vl_bridge.bedrock.x_invoke_model__mutmut_12": (
        "contentType 'APPLICATION/JSON': media types are case-insensitive (RFC 9110 8.3.1)"
    ),
    "s3vl_bridge.bedrock.x_invoke_model__mutmut_14": "accept 'APPLICATION/JSON': as for mutant 12",
    "s3vl_bridge.aws_fields.x__fill__mutmut_8": (
        "zip(..., strict=None): every field in the table has as many positions as the AWS path "
        "it names (test_aws_fields checks the table), so the two lists are always as long"
    ),
    "s3vl_bridge.aws_fields.x__fill__mutmut_11": "zip without strict: as for mutant 8",
    "s3vl_bridge.aws_fields.x__fill__mutmut_13": "zip(..., strict=False): as for mutant 8",
    "s3vl_bridge.budget.x_check_size__mutmut_15": (
        "counted_bytes(rows, stop_above=None): counts every row instead of stopping at the one "
        "that passes the limit; the same count decides the same way, with more work"
    ),
    "s3vl_bridge.budget.x_check_size__mutmut_17": "counted_bytes(rows): as for mutant 15",
    "s3vl_bridge.allowlist.x_served_index_arn__mutmut_12": (
        "`assert bucket is not None or index is not None`: IndexSelector's validator already "
        "refused a request with one of the two names; the assert only narrows the types"
    ),
    "s3vl_bridge.arns.x_bucket_of__mutmut_4": (
        "rsplit without maxsplit: a valid index ARN holds '/index/' at most twice, overlapping "
        "(bucket 'index'), so splitting from the right once or more leaves the same first part"
    ),
    "s3vl_bridge.arns.x_bucket_of__mutmut_8": "rsplit(..., 2): as for mutant 4",
    "s3vl_bridge.budget.x_check_keys_fit__mutmut_2": (
        "`<` for `<=` in the shortcut: len(keys) * 12,292 never equals 6,275,172 (not a "
        "multiple), so the two never differ"
    ),
    "s3vl_bridge.budget.x_check_size__mutmut_12": (
        "`bound <= RESULT_BYTES_MAX` skips measuring also when the bound equals the limit: "
        "then the rows take at most the limit, which is allowed, so measuring would not refuse"
    ),
    "s3vl_bridge.budget.x_row_bound__mutmut_1": (
        "dimension defaults to 1 instead of 0 (query rows carry no vector): the bound grows "
        "26 bytes a row, so a result that fits may be measured; no answer changes"
    ),
    "s3vl_bridge.budget.x_row_bound__mutmut_5": (
        "metadata less its 1 KB margin: metadata grows at most about 4 times the size S3 "
        "Vectors counts once escaped (a character 3 times, a number such as 1E15 written out "
        "4 times), the bound allows 6 times, so the margin never decides "
        "(test_the_row_bound_holds_the_largest_row_the_bridge_can_return still holds)"
    ),
    "s3vl_bridge.budget.x_row_bound__mutmut_10": (
        "1 byte instead of 0 for rows without metadata: a bound one byte larger only measures "
        "more often; no answer changes"
    ),
    "s3vl_bridge.json_checks.x_check_filter__mutmut_4": (
        "deepest starts at 1 instead of 0: it is only compared with FILTER_DEPTH_MAX (32), and a "
        "filter that is an object or array is at least 1 deep anyway"
    ),
    "s3vl_bridge.json_checks.x_check_filter__mutmut_26": (
        "`bad is None or isinstance(...)`: a later bad number replaces the one found first, "
        "still named at its own place; which of several bad numbers is named is not specified, "
        "and non-numbers give no problem either way"
    ),
    # The local S3 Vectors service.
    "devstack.json_depth.x_text_depth_over__mutmut_13": (
        "escaped backslashes replaced by 'XXXX' instead of nothing: the next step keeps only "
        "brackets and quotes, so the X's go too"
    ),
    "devstack.json_depth.x_text_depth_over__mutmut_15": (
        "escaped quotes replaced by 'XXXX' instead of nothing: as for mutant 13"
    ),
    "devstack.json_depth.x_text_depth_over__mutmut_19": (
        "translate(None) keeps every byte instead of brackets and quotes only: the shortcut "
        "counts the same openers and the string pattern and final translate see the same "
        "structure; it is only slower"
    ),
    "devstack.json_depth.x_text_depth_over__mutmut_25": (
        "`<` for `<=` in the shortcut: with exactly `limit` openers the text cannot nest "
        "deeper than `limit`, so the full count answers None as the shortcut does"
    ),
    "devstack.json_depth.x_text_depth_over__mutmut_29": (
        "the final translate keeps the quotes too: after the escapes go, every quote of a "
        "valid document is paired and the string pattern removes it; a malformed document "
        "(an unpaired quote) fails to parse anyway"
    ),
    "devstack.json_depth.x_text_depth_over__mutmut_34": (
        "strings replaced by 'XXXX' instead of nothing: the final translate removes the X's"
    ),
    "devstack.s3vectors.filters.x__compile_entry__mutmut_91": (
        "enhanced=None for an implicit $eq: only $startsWith reads the mode, and an implicit "
        "condition is always $eq"
    ),
    "devstack.s3vectors.checks.x_count_between__mutmut_19": (
        "len(items) >= high for the hint: inside the branch the count is outside low..high, so "
        "it is never high itself"
    ),
    "devstack.s3vectors.checks.x__numbers_only__mutmut_7": (
        "kinds < {int, float}: for exactly {int, float} the next line answers True as well "
        "(no strings to look at)"
    ),
    "devstack.s3vectors.checks.x_metadata__mutmut_39": (
        "the filterable bytes always measured: when every key is filterable they are the "
        "total, measured once already (an optimisation only)"
    ),
    "devstack.s3vectors.tokens.x_encode__mutmut_5": (
        "token_hex(None) makes a 32-byte reference instead of 16: any unguessable name that "
        "fits in a token serves"
    ),
    "devstack.s3vectors.tokens.x_encode__mutmut_6": "token_hex(17): as for mutant 5",
    "devstack.s3vectors.tokens.x_encode__mutmut_9": (
        "popitem(last=None): None is false, so the oldest payload goes as with last=False"
    ),
    "devstack.s3vectors.tokens.x_decode__mutmut_7": (
        "'ASCII' for 'ascii': codec names are not case-sensitive"
    ),
    "devstack.s3vectors.tokens.x_request_digest__mutmut_10": (
        "parts separated by 'XX\\x00XX' instead of a zero byte: any fixed separator keeps "
        "the parts apart, and the digest is compared only with digests made the same way"
    ),
    "devstack.s3vectors.tokens.x_decode__mutmut_8": (
        "an unreadable token gives '' instead of None: neither is a dict, so both are refused "
        "the same way"
    ),
}


def _status(code: int | None) -> str:
    if code is None:
        return "not checked"
    return _STATUS.get(code, "suspicious")


def _alive(mutants: Path) -> list[str]:
    names = []
    for meta in sorted(mutants.rglob("*.py.meta")):
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        names += [
            n
            for n, c in codes.items()
            if _status(c) in ("survived", "no tests", "suspicious", "crashed")
            and n not in EQUIVALENT
        ]
    return names


def _drop_unmutated_copies(mutants: Path) -> None:
    """Delete the copies of to-be-mutated files that mutmut copied without mutating them (it
    does so while a file is not yet in only_mutate, and then never mutates an unchanged copy)."""
    config = tomllib.loads((mutants.parent / "pyproject.toml").read_text())["tool"]["mutmut"]
    for pattern in config["only_mutate"]:
        for copy in mutants.glob(pattern):
            if copy.suffix == ".py" and not copy.with_name(copy.name + ".meta").exists():
                print(f"mutating {copy.relative_to(mutants)} anew", file=sys.stderr)
                copy.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mutants", type=Path, help="mutmut's mutants/ folder")
    parser.add_argument("--fail-under", type=float, default=90.0, help="percent killed")
    parser.add_argument(
        "--retest",
        action="store_true",
        help="only print the names of the mutants an earlier run left alive and EQUIVALENT "
        "does not name (mutmut keeps a result until asked to try that mutant again, or its "
        "function changes), for `mutmut run NAME...`, after deleting the copies of files "
        "that joined only_mutate since the copy was made",
    )
    args = parser.parse_args(argv)
    if args.retest:
        _drop_unmutated_copies(args.mutants)
        print(" ".join(_alive(args.mutants)))
        return 0

    rows: dict[str, Counter[str]] = {}
    left: list[str] = []
    stale = set(EQUIVALENT)
    for meta in sorted(args.mutants.rglob("*.py.meta")):
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        module = next(iter(codes)).split(".x")[0]
        counts = rows.setdefault(module, Counter())
        for name, code in codes.items():
            status = _status(code)
            if status in ("survived", "crashed") and name in EQUIVALENT:
                status = "equivalent"
                stale.discard(name)
            counts["total"] += 1
            counts[status] += 1
            if status not in ("killed", "timeout", "equivalent"):
                left.append(f"{status}: {name}")
    if not rows:
        print(f"no mutmut results under {args.mutants}", file=sys.stderr)
        return 1

    columns = ("total", "killed", "survived", "timeout", "crashed", "no tests", "equivalent")
    width = max(len(m) for m in rows)
    print(f"{'module':<{width}} " + " ".join(f"{c:>10}" for c in columns) + "   caught %")
    failing = []
    for module, counts in sorted(rows.items()):
        judged = counts["total"] - counts["equivalent"]
        caught = counts["killed"] + counts["timeout"]  # a suite that hangs does not pass either
        score = 100.0 * caught / judged if judged else 100.0
        if score < args.fail_under:
            failing.append(module)
        cells = " ".join(f"{counts[c]:>10}" for c in columns)
        print(f"{module:<{width}} {cells}   {score:8.1f}")
    for line in left:
        print(line)
    for name in sorted(stale):
        print(f"listed as equivalent but not a survivor (update EQUIVALENT): {name}")
    if failing:
        print(f"under {args.fail_under:g}% killed: {', '.join(failing)}")
    return 1 if failing or left or stale else 0


if __name__ == "__main__":
    sys.exit(main())
