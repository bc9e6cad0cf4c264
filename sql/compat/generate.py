"""Writes the Python of aws_lambda._invoke_http into sql/compat/aws_lambda.sql.

    python -m sql.compat.generate           rewrite sql/compat/aws_lambda.sql
    python -m sql.compat.generate --check   exit 1, changing nothing, if the file is not current

aws_lambda.sql is its own template: everything outside `AS $python$` ... `$python$;` stays as
written there. Between the markers go a line naming this generator, aws_lambda_invoke.py as it
is, and EPILOGUE, which hands PL/Python's arguments (globals p_*), SD and plpy to the module's
entry point and returns its row. tests/compat/test_generate.py fails when the committed file
is not what this writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULE = HERE / "aws_lambda_invoke.py"
SQL = HERE / "aws_lambda.sql"
FUNCTION = "aws_lambda._invoke_http"
OPEN = "AS $python$\n"
CLOSE = "$python$;\n"
HEADER = (
    "# Generated from sql/compat/aws_lambda_invoke.py by `python -m sql.compat.generate`:\n"
    "# edit it there, then run that command.\n"
)
EPILOGUE = """

# -- generated: PL/Python's arguments, SD and plpy go to the module's entry point ----------------
return invoke(
    plpy,
    SD,
    function_name=p_function_name,
    payload=p_payload,
    region=p_region,
    invocation_type=p_invocation_type,
    log_type=p_log_type,
    context=p_context,
    qualifier=p_qualifier,
)
"""


class TemplateError(ValueError):
    """The SQL file or the module cannot be put together as they are."""


def body(module_source: str) -> str:
    """The function body: HEADER, the module, EPILOGUE."""
    if "$python$" in module_source:
        raise TemplateError(f"{MODULE.name} holds '$python$', which would end the function body")
    if "\r" in module_source:
        raise TemplateError(f"{MODULE.name} holds a carriage return; keep it to \\n line ends")
    return HEADER + module_source.rstrip("\n") + "\n" + EPILOGUE


def generate(template: str, module_source: str) -> str:
    """template with the body of aws_lambda._invoke_http replaced by body(module_source)."""
    start = template.find(f"CREATE OR REPLACE FUNCTION {FUNCTION}(")
    if start < 0:
        raise TemplateError(f"{SQL.name} has no CREATE OR REPLACE FUNCTION {FUNCTION}(")
    if template.count(OPEN) != 1 or template.count(CLOSE) != 1:
        raise TemplateError(
            f"{SQL.name} must hold exactly one {OPEN.strip()!r} and one {CLOSE.strip()!r}"
        )
    opened = template.index(OPEN) + len(OPEN)
    closed = template.index(CLOSE)
    if not start < opened <= closed or template[closed - 1] != "\n":
        raise TemplateError(
            f"in {SQL.name}, {OPEN.strip()!r} must open the body of {FUNCTION} and "
            f"{CLOSE.strip()!r} close it at the start of a line"
        )
    return template[:opened] + body(module_source) + template[closed:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sql.compat.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if aws_lambda.sql is not current"
    )
    args = parser.parse_args(argv)
    current = SQL.read_text()
    try:
        wanted = generate(current, MODULE.read_text())
    except TemplateError as exc:
        print(f"sql/compat/generate: {exc}", file=sys.stderr)
        return 2
    if current == wanted:
        return 0
    if args.check:
        print(
            f"sql/compat/{SQL.name} is not current with {MODULE.name}: "
            "run `python -m sql.compat.generate`",
            file=sys.stderr,
        )
        return 1
    SQL.write_text(wanted)
    print(f"wrote sql/compat/{SQL.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
