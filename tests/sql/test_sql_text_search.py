"""Full-text and hybrid search in SQL: every bad argument refused (22023, naming it, with a
HINT) before any invocation, including a key the registry does not list as searchable and text
on a CLASSIC index. The database is configured for an endpoint nobody listens on: a call that
got past its checks fails with 58000 instead, which the last tests show."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.support.postgres import sql_error

pytestmark = pytest.mark.slow

V4 = "ARRAY[0.1, 0.2, 0.3, 0.4]"
TEXT_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/demo-bucket/index/text-index"
CLASSIC_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/demo-bucket/index/classic-index"
KEYS = {
    "title": {"language": "en", "status": "ACTIVE"},
    "body": {"language": None, "status": "ACTIVE"},
}


@pytest.fixture
def text_db(db: psycopg.Connection) -> psycopg.Connection:
    """text-index (ENHANCED, title and body searchable) and classic-index (CLASSIC), with what
    the registry knows of them, so no call needs to describe them."""
    for name, arn, mode in (
        ("text-index", TEXT_ARN, "ENHANCED"),
        ("classic-index", CLASSIC_ARN, "CLASSIC"),
    ):
        db.execute("SELECT s3vl.register_index(%s, %s, NULL, 4, 'cosine')", [name, arn])
        db.execute(
            "INSERT INTO s3vl.index_text_search"
            " (index_name, index_arn, index_mode, searchable_keys) VALUES (%s, %s, %s, %s)",
            [name, arn, mode, json.dumps(KEYS)],
        )
    return db


def texts(value: object) -> str:
    """A query_texts argument: JSON as a SQL literal (a str is JSON already)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return "'" + text.replace("'", "''") + "'"


def search(query_texts: object, index: str = "text-index", extra: str = "") -> str:
    return f"SELECT * FROM s3vl.search_text({texts(query_texts)}, '{index}'{extra})"


def hybrid(vector: str, query_texts: object, index: str = "text-index") -> str:
    return f"SELECT * FROM s3vl.hybrid_search({vector}, {texts(query_texts)}, '{index}')"


def add(keys: str, extra: str = "") -> str:
    return f"SELECT * FROM s3vl.add_searchable_keys('text-index', {keys}{extra})"


def entry(**fields: str) -> dict[str, str]:
    return fields


def generated_keys(count: int) -> str:
    return f"ARRAY(SELECT 'k' || i FROM generate_series(1, {count}) AS i)"


TITLE = entry(metadata_key="title", text="a")
BAD_CALLS = [
    # search_text: query_texts itself
    ("SELECT * FROM s3vl.search_text(NULL, 'text-index')", "query_texts"),
    (search('"shoes"'), "query_texts"),
    (search({}), "query_texts"),
    (search([]), "query_texts"),
    (search({f"k{i}": "x" for i in range(11)}), "query_texts"),
    # ... its entries, object form
    (search({"title": ""}), "query_texts.title"),
    (search({"title": " \t"}), "query_texts.title"),
    (search({"title": 5}), "query_texts.title"),
    (search({"title": None}), "query_texts.title"),
    (search({"title": "x" * 1025}), "query_texts.title"),
    (search({"k" * 64: "x"}), "query_texts"),
    # ... array form
    (search([TITLE, entry(metadata_key="title", text="b")]), "query_texts[1].metadata_key"),
    (search(["title"]), "query_texts[0]"),
    (search([entry(metadata_key="title")]), "query_texts[0].text"),
    (search([entry(text="shoes")]), "query_texts[0].metadata_key"),
    (search([{**TITLE, "language": "en"}]), "query_texts[0]"),
    # ... what the registry knows: searchable keys, the mode
    (search({"color": "red"}), "query_texts.color"),
    (search([entry(metadata_key="color", text="red")]), "query_texts[0].metadata_key"),
    (search({"title": "shoes"}, "classic-index"), "query_texts"),
    (search({"title": "shoes"}, extra=", query_mode => 'CLASSIC'"), "query_mode"),
    # ... and the options every search shares
    (search({"title": "shoes"}, extra=", top_k => 0"), "top_k"),
    (search({"title": "shoes"}, extra=", metadata_filter => '[1]'"), "metadata_filter"),
    # hybrid_search: the vector first, then the same checks
    (hybrid("NULL::float8[]", {"title": "x"}), "query_vector"),
    (hybrid("ARRAY[0.1, 0.2]", {"title": "x"}), "query_vector"),
    (hybrid(V4, {}), "query_texts"),
    (f"SELECT * FROM s3vl.hybrid_search({V4}, NULL, 'text-index')", "query_texts"),
    (hybrid(V4, {"color": "red"}), "query_texts.color"),
    (hybrid(V4, {"title": "x"}, "classic-index"), "query_texts"),
    # administration
    (add("NULL"), "metadata_keys"),
    (add("'{}'"), "metadata_keys"),
    (add(generated_keys(11)), "metadata_keys"),
    (add("ARRAY['color', NULL]"), "metadata_keys[2]"),
    (add("ARRAY['color', '']"), "metadata_keys[2]"),
    (add("ARRAY['color', 'color']"), "metadata_keys[2]"),
    (add("ARRAY['color']", ", 'none'"), "language"),
    (add("ARRAY['color']", ", 'english'"), "language"),
    (add("ARRAY['color', 'title']"), "metadata_keys[2]"),
    (add(generated_keys(9)), "metadata_keys"),  # 2 searchable + 9 > 10
    ("SELECT * FROM s3vl.remove_searchable_keys('text-index', ARRAY['color'])", "metadata_keys[1]"),
    ("SELECT * FROM s3vl.remove_searchable_keys('text-index', '{}')", "metadata_keys"),
    ("SELECT s3vl.set_index_mode('text-index', 'enhanced')", "index_mode"),
    ("SELECT s3vl.set_index_mode('text-index', NULL)", "index_mode"),
]


@pytest.mark.parametrize(("call", "argument"), BAD_CALLS)
def test_a_bad_argument_is_refused_before_invoking(
    text_db: psycopg.Connection, call: str, argument: str
) -> None:
    error = sql_error(text_db, call)
    assert error.sqlstate == "22023", error.diag.message_primary
    assert f'argument "{argument}" ' in (error.diag.message_primary or "")
    assert "before invoking" in (error.diag.message_detail or "")
    assert error.diag.message_hint


def test_a_key_not_searchable_is_named_with_the_searchable_ones_and_how_to_add_it(
    text_db: psycopg.Connection,
) -> None:
    error = sql_error(text_db, search({"color": "red"}))
    assert "(searchable: body, title)" in error.diag.message_primary
    assert "s3vl.add_searchable_keys('text-index', ARRAY['color'])" in error.diag.message_hint
    assert "s3vl.refresh_text_search('text-index')" in error.diag.message_hint


def test_text_on_a_classic_index_says_how_to_make_it_enhanced(text_db: psycopg.Connection) -> None:
    error = sql_error(text_db, search({"title": "x"}, "classic-index"))
    assert "CLASSIC" in error.diag.message_primary
    assert "s3vl.set_index_mode('classic-index', 'ENHANCED')" in error.diag.message_hint


@pytest.mark.parametrize(
    "call",
    [
        search({"title": "shoes", "body": "red"}),
        search([entry(metadata_key="body", text="red")]),
        search({"title": "x"}, "classic-index", ", query_mode => 'ENHANCED'"),
        hybrid(V4, {"title": "x"}),
        hybrid(f"{V4}::real[]", {"title": "x"}),
        hybrid(f"{V4}::float8[]", {"title": "x"}),
        # an index known only by its ARN: its keys are S3 Vectors' to check
        search({"anything": "x"}, TEXT_ARN.replace("text-index", "other")),
        add("ARRAY['color']", ", 'fr'"),
        "SELECT * FROM s3vl.remove_searchable_keys('text-index', ARRAY['body'])",
        "SELECT s3vl.set_index_mode('classic-index', 'ENHANCED')",
        "SELECT * FROM s3vl.refresh_text_search('text-index')",
    ],
)
def test_a_call_that_passes_its_checks_reaches_the_endpoint(
    text_db: psycopg.Connection, call: str
) -> None:
    error = sql_error(text_db, call)
    assert error.sqlstate == "58000", error.diag.message_primary
    assert "invoking the Lambda function failed" in error.diag.message_primary


def test_an_index_the_registry_has_not_described_is_described_first(db: psycopg.Connection) -> None:
    error = sql_error(db, search({"title": "x"}, "demo-index"))
    assert error.sqlstate == "58000"
    assert "operation describe_index" in error.diag.message_detail


def test_the_registry_lists_searchable_keys_and_forgets_them_with_the_index(
    text_db: psycopg.Connection,
) -> None:
    rows = text_db.execute(
        "SELECT metadata_key, analyzer, status, index_mode FROM s3vl.searchable_keys('text-index')"
    ).fetchall()
    assert rows == [
        ("body", "standard", "ACTIVE", "ENHANCED"),
        ("title", "en", "ACTIVE", "ENHANCED"),
    ]
    text_db.execute("SELECT s3vl.unregister_index('text-index')")
    assert text_db.execute(
        "SELECT count(*) FROM s3vl.index_text_search WHERE index_name = 'text-index'"
    ).fetchone() == (0,)
