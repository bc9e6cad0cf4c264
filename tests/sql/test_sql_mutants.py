"""The SQL hand-made mutants (tests/sql/hand_mutants.py) still apply, and apply only on demand.

Running the mutants takes minutes (`make mutate-sql`); these checks take milliseconds and run
with every `make test`: a mutant whose text a change to sql/parts removed, or whose tests were
renamed, fails here instead of silently testing nothing."""

from __future__ import annotations

import ast
import importlib
import shutil
from pathlib import Path

import pytest

import devstack.stack
import tests.support.postgres
from tests.sql.hand_mutants import MUTANTS
from tests.support.sql_mutant import (
    ROOT,
    SQL_DIR,
    VARIABLE,
    Mutant,
    MutantError,
    mutated,
    mutated_sql,
    named,
    use_from_environment,
)

INSTALL_SQL = ROOT / "sql" / "install.sql"


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_each_mutant_text_occurs_exactly_once_in_its_file(mutant: Mutant) -> None:
    text = (SQL_DIR / "parts" / mutant.path).read_text()
    assert text.count(mutant.old) == 1, f"update the mutant {mutant.name!r}"
    assert mutant.new != mutant.old


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_each_mutant_names_tests_that_exist(mutant: Mutant) -> None:
    assert mutant.tests
    for node in mutant.tests:
        file, _, function = node.partition("::")
        path = ROOT / "tests" / file
        assert path.is_file(), f"{mutant.name!r}: no file tests/{file}"
        assert function in _test_functions(path), f"{mutant.name!r}: no test {node}"


def test_mutant_names_are_unique() -> None:
    names = [m.name for m in MUTANTS]
    assert len(set(names)) == len(names)


def test_without_the_variable_the_tests_install_the_real_sql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert devstack.stack.INSTALL_SQL == INSTALL_SQL
    assert tests.support.postgres.INSTALL_SQL == INSTALL_SQL
    monkeypatch.delenv(VARIABLE, raising=False)
    assert use_from_environment() is None
    assert devstack.stack.INSTALL_SQL == INSTALL_SQL


def test_with_the_variable_both_install_paths_take_a_mutated_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The modules as they are now: the local Lambda of earlier tests re-imports tests.*, so the
    # names imported at the top of this file may be older copies than what the code imports.
    stack = importlib.import_module("devstack.stack")
    postgres = importlib.import_module("tests.support.postgres")
    mutant = importlib.import_module("tests.sql.hand_mutants").MUTANTS[0]
    monkeypatch.setattr(stack, "INSTALL_SQL", stack.INSTALL_SQL)
    monkeypatch.setattr(postgres, "INSTALL_SQL", postgres.INSTALL_SQL)
    monkeypatch.setenv(VARIABLE, mutant.name)
    applied = use_from_environment()
    assert applied is not None
    try:
        assert applied[0] == mutant
        install = stack.INSTALL_SQL
        assert install == postgres.INSTALL_SQL
        assert install.is_relative_to(applied[1]) and install.name == "install.sql"
        assert (install.parent / "parts" / mutant.path).read_text() == mutated(
            mutant, (SQL_DIR / "parts" / mutant.path).read_text()
        )
    finally:
        shutil.rmtree(applied[1])
    assert (SQL_DIR / "parts" / mutant.path).read_text().count(mutant.old) == 1  # untouched


def test_a_mutant_that_does_not_apply_exactly_once_is_an_error(tmp_path: Path) -> None:
    gone = Mutant("gone", "81_sync_delivery.sql", "no such text in the file", "x", ())
    with pytest.raises(MutantError, match="occurs 0 times"):
        mutated_sql(gone, tmp_path)
    twice = Mutant("twice", "81_sync_delivery.sql", "s3vl.flush", "x", ())
    with pytest.raises(MutantError, match="must occur exactly once"):
        mutated(twice, "s3vl.flush s3vl.flush")
    with pytest.raises(MutantError, match="names no mutant"):
        named("no such mutant", MUTANTS)
