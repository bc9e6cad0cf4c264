"""sql/compat/aws_lambda.sql is generated from sql/compat/aws_lambda_invoke.py: the committed file
is current, the generator touches only the function body, and that body runs as PL/Python runs
it (inside a function, arguments as globals) on the rules the module's docstring states."""

from __future__ import annotations

import ast
import subprocess
import symtable
import sys
from pathlib import Path

import pytest

from sql.compat import aws_lambda_invoke as module
from sql.compat import generate
from tests.compat.plpy_stand_in import (
    COMPAT_SQL,
    ROOT,
    PlpythonFunction,
    StandInEndpoint,
    StandInPlpy,
    function_body,
    function_columns,
    plpython_source,
)

MODULE_SOURCE = generate.MODULE.read_text()
COMMITTED = COMPAT_SQL.read_text()
ARGUMENTS = {
    "p_function_name": "s3vl-bridge",
    "p_payload": '{"n": 1}',
    "p_region": None,
    "p_invocation_type": "RequestResponse",
    "p_log_type": "None",
    "p_context": None,
    "p_qualifier": None,
}


# -- the committed file is what the generator writes -------------------------------------------


def test_the_committed_sql_file_is_generated_from_the_module() -> None:
    assert generate.SQL == COMPAT_SQL
    assert generate.generate(COMMITTED, MODULE_SOURCE) == COMMITTED, (
        "sql/compat/aws_lambda.sql is not current with sql/compat/aws_lambda_invoke.py: run "
        "`.venv/bin/python -m sql.compat.generate` (and edit the Python in the module, not "
        "in the SQL file)"
    )


def test_the_body_is_the_module_as_it_is_between_a_header_and_the_epilogue() -> None:
    body = function_body(COMMITTED)
    assert body == generate.HEADER + MODULE_SOURCE + generate.EPILOGUE
    assert body.startswith("# Generated from sql/compat/aws_lambda_invoke.py")


def test_the_check_command_passes_on_the_committed_files() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sql.compat.generate", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")


@pytest.fixture
def copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The generator pointed at copies of the module and the SQL file."""
    sql, source = tmp_path / "aws_lambda.sql", tmp_path / "aws_lambda_invoke.py"
    sql.write_text(COMMITTED)
    source.write_text(MODULE_SOURCE)
    monkeypatch.setattr(generate, "SQL", sql)
    monkeypatch.setattr(generate, "MODULE", source)
    return sql, source


def test_an_edit_of_either_side_alone_fails_the_check_and_generating_mends_it(
    copies: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sql, source = copies
    source.write_text(MODULE_SOURCE.replace("MAX_CLIENT_CONTEXT = 3583", "MAX_CLIENT_CONTEXT = 9"))
    assert generate.main(["--check"]) == 1
    assert "not current" in capsys.readouterr().err
    assert sql.read_text() == COMMITTED  # --check changes nothing
    assert generate.main([]) == 0
    assert "MAX_CLIENT_CONTEXT = 9" in function_body(sql.read_text())
    assert generate.main(["--check"]) == 0

    source.write_text(MODULE_SOURCE)
    sql.write_text(COMMITTED.replace("LOG_TYPES = (", "LOG_TYPES = ('Verbose', "))
    assert generate.main(["--check"]) == 1
    assert generate.main([]) == 0
    assert sql.read_text() == COMMITTED


def test_the_sql_outside_the_body_is_kept_as_written(copies: tuple[Path, Path]) -> None:
    sql, _ = copies
    edited = COMMITTED.replace(
        "-- Runs in one transaction;", "-- An edit. Runs in one transaction;"
    )
    sql.write_text(edited)
    assert generate.main(["--check"]) == 0
    assert generate.generate(edited, "x = 1\n") == edited.replace(
        function_body(edited), generate.HEADER + "x = 1\n" + generate.EPILOGUE
    )


@pytest.mark.parametrize(
    ("template", "source", "problem"),
    [
        (COMMITTED, MODULE_SOURCE + "\n# $python$\n", "'$python$'"),
        (COMMITTED, MODULE_SOURCE.replace("\n", "\r\n"), "carriage return"),
        (COMMITTED.replace("AS $python$\n", "AS $$\n"), MODULE_SOURCE, "exactly one"),
        (COMMITTED + "\nAS $python$\n$python$;\n", MODULE_SOURCE, "exactly one"),
        (COMMITTED.replace("aws_lambda._invoke_http(\n", "aws_lambda._call(\n"), "", "has no"),
    ],
    ids=["marker-in-module", "crlf", "no-marker", "two-markers", "no-function"],
)
def test_the_generator_refuses_what_it_cannot_put_together(
    template: str, source: str, problem: str
) -> None:
    with pytest.raises(generate.TemplateError, match=problem.replace("$", r"\$")):
        generate.generate(template, source)


# -- the body as PL/Python runs it -------------------------------------------------------------


def test_the_epilogue_passes_every_argument_of_the_sql_function() -> None:
    arguments, out_columns = function_columns(COMMITTED)
    assert arguments == list(ARGUMENTS)
    assert out_columns == list(module.RESULT_COLUMNS + module.ERROR_COLUMNS)
    for name in arguments:
        assert f"{name.removeprefix('p_')}={name}," in generate.EPILOGUE


def test_the_generated_body_runs_inside_plpythons_function_and_answers() -> None:
    with StandInEndpoint() as endpoint:
        plpy = StandInPlpy({"aws_lambda.endpoint_override": endpoint.url}, superuser_session=True)
        function = PlpythonFunction(COMMITTED, plpy)
        for n in range(2):
            row = function(**{**ARGUMENTS, "p_payload": f'{{"n": {n}}}'})
            assert list(row) == function.out_columns
            assert (row["status_code"], row["payload"], row["error_sqlstate"]) == (
                200,
                '{"ok": true}',
                None,
            )
        assert [r.body for r in endpoint.requests] == [b'{"n": 0}', b'{"n": 1}']
        assert [r.connection for r in endpoint.requests] == [1, 1]  # SD kept the connection
        assert "connection" in function.sd


def test_the_generated_body_returns_failures_as_columns() -> None:
    plpy = StandInPlpy({"aws_lambda.endpoint_override": "http://127.0.0.1:9"})
    function = PlpythonFunction(COMMITTED, plpy)
    row = function(**{**ARGUMENTS, "p_log_type": "tail"})
    assert (row["error_sqlstate"], row["status_code"]) == ("22023", None)
    row = function(**ARGUMENTS)
    assert row["error_sqlstate"] == "42501"
    assert row["error_message"] == "aws_lambda.endpoint_override was not set by an administrator"


# -- the rules of the module (its docstring) ---------------------------------------------------

TREE = ast.parse(MODULE_SOURCE)
PLPYTHON_GLOBALS = {"plpy", "SD", "GD", *ARGUMENTS}


def test_plpy_sd_and_the_arguments_stay_plpythons_globals() -> None:
    # A name the module binds at its top level is a local of PL/Python's function: were it
    # plpy, SD or p_*, the epilogue would read the module's and not PL/Python's.
    table = symtable.symtable(plpython_source(function_body(COMMITTED)), "<body>", "exec")
    (procedure,) = table.get_children()
    for name in PLPYTHON_GLOBALS & set(procedure.get_identifiers()):
        assert procedure.lookup(name).is_global(), name
    assert {"plpy", "SD", *ARGUMENTS} <= set(procedure.get_identifiers())


def test_the_module_has_no_future_import_nor_global() -> None:
    for node in ast.walk(TREE):
        assert not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
        assert not isinstance(node, ast.Global | ast.Nonlocal)


def _annotations(tree: ast.Module) -> list[tuple[str, ast.expr]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            found.extend(
                (f"{node.name}({argument.arg})", argument.annotation)
                for argument in arguments
                if argument.annotation is not None
            )
            if node.returns is not None:
                found.append((f"{node.name} ->", node.returns))
    return found


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    return {
        inner
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }


def test_annotations_evaluated_at_run_time_are_cheap_and_valid_on_python_3_9() -> None:
    # PL/Python evaluates parameter and return annotations on every call; `X | Y` fails on 3.9.
    skipped = _type_checking_only(TREE)
    offenders = [
        f"{where}: {ast.unparse(annotation)}"
        for where, annotation in _annotations(TREE)
        if annotation not in skipped and not isinstance(annotation, ast.Constant | ast.Name)
    ]
    assert offenders == [], "quote these annotations:\n" + "\n".join(offenders)


def test_top_level_imports_are_the_standard_librarys() -> None:
    skipped = _type_checking_only(TREE)
    imported = {
        (alias.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
        for node in TREE.body
        if isinstance(node, ast.Import | ast.ImportFrom) and node not in skipped
        for alias in node.names
    }
    assert imported and imported <= set(sys.stdlib_module_names), imported
