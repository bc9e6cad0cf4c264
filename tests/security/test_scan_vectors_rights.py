"""scan_vectors runs with the caller's rights (issue 11): PostgreSQL inlines it into the
caller's query, so its ListVectors pages stream. It reaches s3vl's registry and the bridge
only through the definer function s3vl._scan_page: a reader may scan and call that page
function, which does no more than s3vl.list_vectors; a role without s3vl_reader may do
neither, and no role reaches the private functions under it."""

from __future__ import annotations

import re
from collections.abc import Callable

import psycopg
import pytest

from tests.support.local_path import LocalPath
from tests.support.postgres import sql_error

pytestmark = pytest.mark.slow

SCAN = "SELECT vector_id FROM s3vl.scan_vectors('items')"
PAGE = "SELECT s3vl._scan_page('items', NULL, false, true, 500, NULL, NULL, NULL)"
UNDER_THE_PAGE = [
    "SELECT s3vl._list_page('x', 'arn', 10, NULL, false, false, NULL, NULL)",
    "SELECT s3vl._invoke('x', '{\"operation\": \"list_vectors\"}')",
    "SELECT * FROM s3vl._resolve_index('x', 'items', NULL)",
    "SELECT * FROM s3vl.index_registry",
]


def put_three(path: LocalPath) -> None:
    path.put("items", [{"key": f"s{i}", "data": {"float32": [1, 2, 3, i]}} for i in range(1, 4)])


def test_a_reader_scans_and_pages_but_reaches_nothing_under_the_page(
    clean: None, path: LocalPath, reader: psycopg.Connection
) -> None:
    put_three(path)
    assert reader.execute(SCAN).fetchall() == [("s1",), ("s2",), ("s3",)]
    page = reader.execute(PAGE).fetchone()[0]
    assert [v["vector_id"] for v in page["vectors"]] == ["s1", "s2", "s3"]
    for call in UNDER_THE_PAGE:
        # PostgreSQL's own refusal of what the call names, not a 42501 from inside it.
        name = re.search(r"s3vl\.(\w+)", call)
        assert name is not None, call
        error = sql_error(reader, call)
        assert error.sqlstate == "42501", call
        assert re.fullmatch(
            rf"permission denied for (function|table) {name[1]}", error.diag.message_primary or ""
        ), error


def test_the_page_function_checks_what_scan_vectors_checks(reader: psycopg.Connection) -> None:
    # Called directly, with arguments scan_vectors would refuse: refused the same way.
    unknown = sql_error(reader, PAGE.replace("'items'", "'no-such-index'"))
    assert unknown.sqlstate == "42704"
    not_an_arn = sql_error(
        reader,
        "SELECT s3vl._scan_page(NULL, 'arn:aws:s3:::bucket', false, true, 500, NULL, NULL, NULL)",
    )
    assert not_an_arn.sqlstate == "22023" and '"index_arn"' in not_an_arn.diag.message_primary
    page_size = sql_error(reader, PAGE.replace("500", "1001"))
    assert page_size.sqlstate == "22023" and '"page_size"' in page_size.diag.message_primary
    token = sql_error(reader, PAGE.replace("NULL, NULL, NULL)", "NULL, NULL, '')"))
    assert token.sqlstate == "22023" and '"next_token"' in token.diag.message_primary


@pytest.mark.parametrize("call", [SCAN, PAGE], ids=["scan_vectors", "_scan_page"])
def test_a_role_without_s3vl_reader_can_neither_scan_nor_page(
    clean: None, path: LocalPath, attacker: Callable[..., psycopg.Connection], call: str
) -> None:
    put_three(path)
    nobody = attacker()
    # USAGE on the schema (which only s3vl's roles get) so the function's own grant is tried.
    role = nobody.execute("SELECT current_user").fetchone()[0]
    with psycopg.connect(path.dsn, autocommit=True) as admin:
        admin.execute(f'GRANT USAGE ON SCHEMA s3vl TO "{role}"')
    error = sql_error(nobody, call)
    assert error.sqlstate == "42501"
    assert "permission denied for function" in error.diag.message_primary
