"""Every regular expression of the bridge (lambda_src/) and the local stand-ins (devstack/) that
guards access or validates a name, ARN or key matches the whole value (issue 9, §6).

`$` also matches before a trailing "\\n", and `match`/`search` do not need the whole string:
with them an allowlisted ARN plus "\\n" passed the bridge's allowlist and reached S3 Vectors,
and "s3vl-bridge%0A" was served by the local Invoke endpoint. The rule, checked over every
pattern found (so a new pattern written the old way fails here):

- no pattern anchors with `$` (use fullmatch; `\\Z` where an anchor is really needed);
- nothing calls `.match(` / `.search(` on a pattern, nor `re.match` / `re.search`
  (validate with fullmatch; scan with finditer, findall or sub);
- no pydantic `pattern=` constraint (its regex is searched, not fully matched: validate with an
  AfterValidator that calls fullmatch);
- every compiled module or class attribute has a valid example below, which it matches
  whole, and refuses with a newline added at either end.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# source folder -> the folder that is on sys.path for its modules
PACKAGES = {
    ROOT / "lambda_src" / "s3vl_bridge": ROOT / "lambda_src",
    ROOT / "devstack": ROOT,
    ROOT / "infra": ROOT,
    ROOT / "sql" / "compat": ROOT,
}

# A valid value for every compiled pattern, by "module.attribute" (or "module.Class.attribute").
EXAMPLES: dict[str, str | bytes] = {
    "s3vl_bridge.arns.BUCKET_ARN": "arn:aws:s3vectors:us-east-1:123456789012:bucket/my-bucket",
    "s3vl_bridge.arns.INDEX_ARN": (
        "arn:aws:s3vectors:us-east-1:123456789012:bucket/my-bucket/index/my.index-1"
    ),
    "s3vl_bridge.arns.BUCKET_NAME": "my-bucket",
    "s3vl_bridge.arns.INDEX_NAME": "my.index-1",
    "devstack.s3vectors.backend._INDEX_NAME": "my.index-1",
    "devstack.s3vectors.backend._BUCKET_NAME": "my-bucket",
    "devstack.lambda_invoke.server._INVOKE_PATH": "/2015-03-31/functions/s3vl-bridge/invocations",
    "devstack.lambda_invoke.server._FULL_ARN": (
        "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge:$LATEST"
    ),
    "devstack.lambda_invoke.server._PARTIAL_ARN": "123456789012:function:s3vl-bridge",
    "devstack.lambda_invoke.server._NAME": "s3vl-bridge:$LATEST",
    "devstack.lambda_invoke.server._QUALIFIER": "$LATEST",
    "devstack.json_depth._STRING": b'"a \\" [ {"',
    "infra.config._BUCKET_NAME": "my-bucket",
    "infra.config._INDEX_NAME": "my.index-1",
    "infra.config._KMS_KEY_ARN": (
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ),
    "infra.config._EC2_ID": "vpc-0123456789abcdef0",
    "devstack.bedrock.catalog.FOUNDATION_MODEL_ARN": (
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"
    ),
    # Scanned for in Bedrock's error messages (findall), never used to validate.
    "s3vl_bridge.operations.embed._TOO_MANY_TOKENS": (
        "Max input tokens: 8192, request input token count: 9000"
    ),
    "s3vl_bridge.operations.embed._COHERE_TEXT": "#/texts/3",
    # The local service's text analysis: split and scanned (split, findall), never validating.
    "devstack.s3vectors.text_analysis._RUNS": "\u8dd1\u6b65\u30e9\ub7ec",
    "devstack.s3vectors.text_analysis._HAN_OR_HIRAGANA": "\u8dd1",
    "devstack.s3vectors.text_analysis._WORD": "don't",
    "sql.compat.aws_lambda_invoke.FULL_ARN": (
        "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge:$LATEST"
    ),
    "sql.compat.aws_lambda_invoke.PARTIAL_ARN": "123456789012:function:s3vl-bridge:prod",
    "sql.compat.aws_lambda_invoke.NAME": "s3vl-bridge:$LATEST",
}


@dataclass(frozen=True)
class Source:
    path: Path
    module: str
    tree: ast.Module

    def where(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def sources() -> Iterator[Source]:
    for folder, root in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield Source(path, module, ast.parse(path.read_text(), str(path)))


SOURCES = list(sources())


def compiled_patterns() -> dict[str, re.Pattern[Any]]:
    """Patterns assigned at module or class level, found by importing each module (so a
    pattern built from f-strings or constants is seen as compiled)."""
    found: dict[str, re.Pattern[Any]] = {}
    for source in SOURCES:
        if source.module.endswith("__main__"):
            continue  # importing it would run the command line
        module = importlib.import_module(source.module)
        for node in source.tree.body:
            owner: Any = module
            prefix = source.module
            statements: list[ast.stmt] = [node]
            if isinstance(node, ast.ClassDef):
                owner = getattr(module, node.name)
                prefix = f"{source.module}.{node.name}"
                statements = node.body
            found.update(
                (label, value)
                for statement in statements
                for name in _assigned_names(statement)
                for label, value in _values(f"{prefix}.{name}", getattr(owner, name, None))
                if isinstance(value, re.Pattern)
            )
    return found


def _assigned_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign):
        targets = [statement.target]
    else:
        return []
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _values(label: str, value: Any) -> Iterator[tuple[str, Any]]:
    """A value, and the members of a dict, list or tuple of patterns."""
    yield label, value
    if isinstance(value, dict):
        for key, member in value.items():
            yield f"{label}[{key!r}]", member
    elif isinstance(value, list | tuple):
        for i, member in enumerate(value):
            yield f"{label}[{i}]", member


PATTERNS = compiled_patterns()


def literal_patterns() -> list[tuple[str, str | bytes]]:
    """Literal patterns handed to the re module anywhere (inside functions too)."""
    found = []
    for source in SOURCES:
        found.extend(
            (source.where(node), node.args[0].value)
            for node in ast.walk(source.tree)
            if isinstance(node, ast.Call)
            and _is_re_function(node.func)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str | bytes)
        )
    return found


def _is_re_function(func: ast.expr) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "re"
    )


def _anchors_with_dollar(pattern: str | bytes, flags: int = 0) -> bool:
    """Whether the parsed pattern holds `$` (AT_END), anywhere, in any branch or group."""
    from re import _constants as constants  # type: ignore[attr-defined]
    from re import _parser as parser  # type: ignore[attr-defined]

    def walk(items: Any) -> bool:
        for op, argument in items:
            if op is constants.AT and argument is constants.AT_END:
                return True
            for part in argument if isinstance(argument, list | tuple) else ():
                if isinstance(part, parser.SubPattern) and walk(part):
                    return True
                if isinstance(part, list | tuple):
                    for sub in part:
                        if isinstance(sub, parser.SubPattern) and walk(sub):
                            return True
            if isinstance(argument, parser.SubPattern) and walk(argument):
                return True
        return False

    return walk(parser.parse(pattern, flags))


def test_the_walk_finds_the_patterns_it_must_guard() -> None:
    # A walk that silently found nothing would prove nothing.
    for name in ("s3vl_bridge.arns.INDEX_ARN", "devstack.lambda_invoke.server._NAME"):
        assert name in PATTERNS
    assert any("faults.py" in where for where, _ in LITERALS)
    assert _anchors_with_dollar(r"^a(b|c$)$")
    assert _anchors_with_dollar(r"(?:x|y$)")
    assert not _anchors_with_dollar(r"[A-Za-z0-9$_-]+\Z")


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_no_compiled_pattern_anchors_with_dollar(name: str) -> None:
    pattern = PATTERNS[name]
    assert not _anchors_with_dollar(pattern.pattern, pattern.flags & ~re.UNICODE), (
        f"{name} = {pattern.pattern!r} uses `$`, which also matches before a trailing newline: "
        "drop it and use fullmatch (or \\Z)"
    )


LITERALS = literal_patterns()


@pytest.mark.parametrize(("where", "pattern"), LITERALS, ids=[where for where, _ in LITERALS])
def test_no_literal_pattern_anchors_with_dollar(where: str, pattern: str | bytes) -> None:
    assert not _anchors_with_dollar(pattern), (
        f"{where}: {pattern!r} uses `$`; use fullmatch (or \\Z)"
    )


def test_nothing_matches_a_pattern_by_its_start_only() -> None:
    """`.match(` and `.search(` (and re.match / re.search) accept a value with anything after
    the part that matched; every check must use fullmatch."""
    offenders = []
    for source in SOURCES:
        offenders.extend(
            f"{source.where(node)}: {ast.unparse(node.func)}(...)"
            for node in ast.walk(source.tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("match", "search")
        )
    assert offenders == [], "use fullmatch:\n" + "\n".join(offenders)


def test_no_pydantic_pattern_constraint() -> None:
    offenders = []
    for source in SOURCES:
        offenders.extend(
            f"{source.where(node)}: {ast.unparse(node)[:80]}"
            for node in ast.walk(source.tree)
            if isinstance(node, ast.Call) and any(k.arg == "pattern" for k in node.keywords)
        )
    assert offenders == [], (
        "pydantic searches a `pattern=` anywhere in the value; validate with an "
        "AfterValidator calling fullmatch instead:\n" + "\n".join(offenders)
    )


def test_every_compiled_pattern_has_an_example() -> None:
    missing = sorted(set(PATTERNS) - set(EXAMPLES))
    assert missing == [], f"add a valid example to EXAMPLES for: {missing}"
    stale = sorted(set(EXAMPLES) - set(PATTERNS))
    assert stale == [], f"EXAMPLES names patterns that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_pattern_matches_its_example_whole_and_refuses_it_with_a_newline(name: str) -> None:
    pattern, example = PATTERNS[name], EXAMPLES[name]
    newline: Any = b"\n" if isinstance(example, bytes) else "\n"
    assert pattern.fullmatch(example), f"{name} does not match its own example {example!r}"
    for bad in (example + newline, newline + example, example + newline + example):
        assert pattern.fullmatch(bad) is None, f"{name} matches {bad!r}"


# -- the guards built on them refuse a valid value plus a newline ------------------------------


@pytest.mark.parametrize(
    ("check", "valid"),
    [
        ("check_index_arn", EXAMPLES["s3vl_bridge.arns.INDEX_ARN"]),
        ("check_bucket_arn", EXAMPLES["s3vl_bridge.arns.BUCKET_ARN"]),
        ("check_bucket_name", "my-bucket"),
        ("check_index_name", "my.index-1"),
    ],
)
def test_the_bridge_checks_refuse_a_valid_value_plus_a_newline(check: str, valid: str) -> None:
    from s3vl_bridge import arns

    function = getattr(arns, check)
    assert function(valid) == valid
    for bad in (valid + "\n", "\n" + valid, valid + "\r\n"):
        with pytest.raises(ValueError, match=r"^not an? "):
            function(bad)


@pytest.mark.parametrize(
    "valid",
    [
        "s3vl-bridge",
        "s3vl-bridge:$LATEST",
        "123456789012:function:s3vl-bridge",
        "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge",
    ],
)
def test_the_invoke_endpoint_refuses_a_served_function_name_plus_a_newline(valid: str) -> None:
    from devstack.lambda_invoke.server import ApiError, LocalLambda

    function = LocalLambda()  # not started: resolve needs only its name, region and account
    assert function.resolve(valid, None).startswith(function.function_arn)
    for bad in (valid + "\n", valid + "%0A", "\n" + valid):
        with pytest.raises(ApiError) as refused:
            function.resolve(bad, None)
        assert refused.value.status in (400, 404)
    with pytest.raises(ApiError):
        function.resolve(valid.split(":$")[0], "$LATEST\n")
