"""Hand-made mutants of the SQL package (issue 14): how one is applied to the tests' install.

A mutant replaces one text of one file of sql/parts with another. With S3VL_SQL_MUTANT=NAME
in the environment, the root conftest asks `use_from_environment` to copy sql/ to a scratch
directory, apply the mutant named NAME there (its text must occur exactly once: a mutant whose
text a refactor removed fails loudly instead of passing) and point both install paths of the
tests (tests.support.postgres and devstack.stack) at the mutated install.sql. Without the
variable nothing is copied or changed. The mutants are listed in tests/sql/hand_mutants.py,
which runs them (`make mutate-sql`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = ROOT / "sql"
VARIABLE = "S3VL_SQL_MUTANT"


class MutantError(Exception):
    """A mutant that cannot be applied: unknown, or its text is not in its file exactly once."""


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # under sql/parts/
    old: str
    new: str
    tests: tuple[str, ...]  # pytest node ids under tests/ that must fail with it applied


def mutated(mutant: Mutant, text: str) -> str:
    """`text` with the mutant applied; MutantError unless its old text occurs exactly once."""
    found = text.count(mutant.old)
    if found != 1:
        raise MutantError(
            f"mutant {mutant.name!r}: its text occurs {found} times in sql/parts/{mutant.path}"
            " (it must occur exactly once): update the mutant in tests/sql/hand_mutants.py"
        )
    return text.replace(mutant.old, mutant.new)


def mutated_sql(mutant: Mutant, scratch: Path) -> Path:
    """A copy of sql/ in `scratch` with the mutant applied; returns its install.sql."""
    copy = scratch / "sql"
    shutil.copytree(SQL_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "compat"))
    target = copy / "parts" / mutant.path
    target.write_text(mutated(mutant, target.read_text()))
    return copy / "install.sql"


def named(name: str, mutants: tuple[Mutant, ...]) -> Mutant:
    for mutant in mutants:
        if mutant.name == name:
            return mutant
    raise MutantError(f"{VARIABLE}={name!r} names no mutant of tests/sql/hand_mutants.py")


def use_from_environment() -> tuple[Mutant, Path] | None:
    """With S3VL_SQL_MUTANT set: the tests install the mutated SQL from here on; returns the
    mutant and the scratch directory (the caller removes it). None when the variable is unset."""
    name = os.environ.get(VARIABLE)
    if not name:
        return None
    import devstack.stack
    import tests.support.postgres
    from tests.sql.hand_mutants import MUTANTS

    mutant = named(name, MUTANTS)
    scratch = Path(tempfile.mkdtemp(prefix="s3vl-sql-mutant-"))
    try:
        install_sql = mutated_sql(mutant, scratch)
    except BaseException:
        shutil.rmtree(scratch)
        raise
    devstack.stack.INSTALL_SQL = install_sql
    tests.support.postgres.INSTALL_SQL = install_sql
    return mutant, scratch
