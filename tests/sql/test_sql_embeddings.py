"""Text to vectors in SQL: s3vl.embed, query_text, put_texts and set_embedding_model refuse every
bad argument (22023, naming it, with a HINT) before any invocation: an empty or NULL text, one
over the model's characters, a model s3vl cannot call, a model, dimension or normalisation other
than the index was filled with, an index with no model recorded. The database is configured for
an endpoint nobody listens on: a call that got past its checks fails with 58000 instead, which
the last tests show; the whole path is tests/e2e/test_e2e_embeddings.py."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.postgres import sql_error

pytestmark = pytest.mark.slow

BUCKET_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/demo-bucket"
TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-english-v3"
# name -> (dimension, the model recorded for it, normalized)
INDEXES = {
    "titan-index": (256, TITAN, True),
    "raw-index": (512, TITAN, False),
    "cohere-index": (1024, COHERE, True),
    "bare-index": (256, None, None),
}


@pytest.fixture
def embed_db(db: psycopg.Connection) -> psycopg.Connection:
    """The indexes of INDEXES registered, with what the registry records of their models (as
    s3vl.set_embedding_model would, which asks the bridge)."""
    for name, (dimension, model, normalized) in INDEXES.items():
        arn = f"{BUCKET_ARN}/index/{name}"
        db.execute("SELECT s3vl.register_index(%s, %s, NULL, %s, 'cosine')", [name, arn, dimension])
        if model is not None:
            db.execute(
                "INSERT INTO s3vl.index_embedding (index_name, index_arn, model_id, dimension,"
                " normalized) VALUES (%s, %s, %s, %s, %s)",
                [name, arn, model, dimension, normalized],
            )
    return db


def put(texts: str, keys: str = "ARRAY['a', 'b']", extra: str = "") -> str:
    return f"SELECT s3vl.put_texts('titan-index', {keys}, {texts}{extra})"


UNREGISTERED = f"{BUCKET_ARN}/index/elsewhere"
BAD_CALLS = [
    # embed: the text
    ("SELECT s3vl.embed(NULL::text)", "input"),
    ("SELECT s3vl.embed('')", "input"),
    ("SELECT s3vl.embed(E' \\n\\t')", "input"),
    ("SELECT s3vl.embed(repeat('x', 50001))", "input"),
    (f"SELECT s3vl.embed(repeat('x', 2049), model => '{COHERE}')", "input"),
    # ... many texts
    ("SELECT s3vl.embed(NULL::text[])", "input"),
    ("SELECT s3vl.embed('{}'::text[])", "input"),
    ("SELECT s3vl.embed(ARRAY[['a', 'b'], ['c', 'd']])", "input"),
    ("SELECT s3vl.embed(ARRAY['a', NULL])", "input[2]"),
    ("SELECT s3vl.embed(ARRAY['a', 'b', ' '])", "input[3]"),
    ("SELECT s3vl.embed(ARRAY['a', repeat('x', 50001)])", "input[2]"),
    # ... the model and how it embeds
    ("SELECT s3vl.embed('a', model => 'openai.text-embedding-3')", "model"),
    ("SELECT s3vl.embed('a', model => '')", "model"),
    ("SELECT s3vl.embed('a', dimension => 384)", "dimension"),
    (f"SELECT s3vl.embed('a', model => '{COHERE}', dimension => 512)", "dimension"),
    (f"SELECT s3vl.embed('a', model => '{COHERE}', normalized => false)", "normalized"),
    ("SELECT s3vl.embed('a', input_type => 'query')", "input_type"),
    ("SELECT s3vl.embed('a', input_type => NULL)", "input_type"),
    ("SELECT s3vl.embed('a', truncate => 'MIDDLE')", "truncate"),
    ("SELECT s3vl.embed('a', truncate => NULL)", "truncate"),
    # ... against the index it is for
    (f"SELECT s3vl.embed('a', index_name => 'titan-index', model => '{COHERE}')", "model"),
    ("SELECT s3vl.embed('a', index_name => 'titan-index', dimension => 512)", "dimension"),
    ("SELECT s3vl.embed('a', index_name => 'titan-index', normalized => false)", "normalized"),
    ("SELECT s3vl.embed('a', index_name => 'raw-index', normalized => true)", "normalized"),
    ("SELECT s3vl.embed('a', index_name => 'demo-index')", "index_name"),
    (f"SELECT s3vl.embed('a', index_name => 'demo-index', model => '{COHERE}')", "model"),
    ("SELECT s3vl.embed('a', index_name => '')", "index_name"),
    # query_text
    ("SELECT * FROM s3vl.query_text(NULL, 'titan-index')", "query_text"),
    ("SELECT * FROM s3vl.query_text('', 'titan-index')", "query_text"),
    ("SELECT * FROM s3vl.query_text(repeat('x', 50001), 'titan-index')", "query_text"),
    ("SELECT * FROM s3vl.query_text(repeat('x', 2049), 'cohere-index')", "query_text"),
    ("SELECT * FROM s3vl.query_text('a', 'bare-index')", "index_name"),
    (f"SELECT * FROM s3vl.query_text('a', '{UNREGISTERED}')", "index_name"),
    (f"SELECT * FROM s3vl.query_text('a', 'titan-index', model => '{COHERE}')", "model"),
    (f"SELECT * FROM s3vl.query_text('a', 'demo-index', model => '{TITAN}')", "model"),
    ("SELECT * FROM s3vl.query_text('a', 'titan-index', top_k => 0)", "top_k"),
    (
        "SELECT * FROM s3vl.query_text('a', 'titan-index', metadata_filter => '[1]')",
        "metadata_filter",
    ),
    ("SELECT * FROM s3vl.query_text('a', 'titan-index', query_mode => 'FAST')", "query_mode"),
    ("SELECT * FROM s3vl.query_text('a', 'titan-index', truncate => 'x')", "truncate"),
    ("SELECT * FROM s3vl.query_text('a')", "index_name"),
    # put_texts: keys, texts and metadata before anything is embedded
    (put("ARRAY['x', 'y']", keys="NULL"), "keys"),
    (put("ARRAY['x']"), "texts"),
    (put("NULL"), "texts"),
    (put("ARRAY['x', 'y']", keys="ARRAY['a', NULL]"), "keys[2]"),
    (put("ARRAY['x', 'y']", keys="ARRAY['a', '']"), "keys[2]"),
    (put("ARRAY['x', 'y']", keys="ARRAY['a', 'a']"), "keys[2]"),
    (put("ARRAY['x', NULL]"), "texts[2]"),
    (put("ARRAY['', 'y']"), "texts[1]"),
    (put("ARRAY['x', repeat('y', 50001)]"), "texts[2]"),
    (put("ARRAY['x', 'y']", extra=", ARRAY['{}']::jsonb[]"), "metadata"),
    (put("ARRAY['x', 'y']", extra=", ARRAY['[1]', NULL]::jsonb[]"), "metadata[1]"),
    (
        put("ARRAY['x', 'y']", extra=", ARRAY[NULL, '{\"text\": 1}']::jsonb[], 'text'"),
        "metadata[2]",
    ),
    (put("ARRAY['x', 'y']", extra=", text_key => ''"), "text_key"),
    (put("ARRAY['x', 'y']", extra=f", model => '{COHERE}'"), "model"),
    ("SELECT s3vl.put_texts('bare-index', ARRAY['a'], ARRAY['x'])", "index_name"),
    # set_embedding_model
    (f"SELECT s3vl.set_embedding_model('demo-index', '{TITAN}')", "model"),
    ("SELECT s3vl.set_embedding_model('bare-index', 'titan')", "model"),
    (f"SELECT s3vl.set_embedding_model('bare-index', '{TITAN}', NULL)", "normalized"),
    (f"SELECT s3vl.set_embedding_model('cohere-index', '{COHERE}', false)", "normalized"),
    (f"SELECT s3vl.set_embedding_model('bare-index', '{COHERE}')", "model"),
    (f"SELECT s3vl.set_embedding_model('{UNREGISTERED}', '{TITAN}')", "index_name"),
]


@pytest.mark.parametrize(("call", "argument"), BAD_CALLS)
def test_a_bad_argument_is_refused_before_invoking(
    embed_db: psycopg.Connection, call: str, argument: str
) -> None:
    error = sql_error(embed_db, call)
    assert error.sqlstate == "22023", error.diag.message_primary
    assert f'argument "{argument}" ' in (error.diag.message_primary or "")
    assert "before invoking" in (error.diag.message_detail or "")
    assert error.diag.message_hint


def test_a_model_other_than_the_index_s_says_which_the_index_is_filled_with(
    embed_db: psycopg.Connection,
) -> None:
    error = sql_error(
        embed_db, f"SELECT * FROM s3vl.query_text('a', 'titan-index', model => '{COHERE}')"
    )
    assert f"index titan-index is filled with {TITAN}" in error.diag.message_primary
    assert f"Leave model out to use {TITAN}" in error.diag.message_hint


def test_an_index_without_a_model_says_how_to_record_one(embed_db: psycopg.Connection) -> None:
    error = sql_error(embed_db, "SELECT * FROM s3vl.query_text('a', 'bare-index')")
    assert "has no embedding model recorded" in error.diag.message_primary
    assert "s3vl.set_embedding_model('bare-index'" in error.diag.message_hint


def test_a_text_over_the_limit_says_how_many_characters_the_model_takes(
    embed_db: psycopg.Connection,
) -> None:
    error = sql_error(embed_db, "SELECT s3vl.embed(ARRAY['a', repeat('é', 50001)])")
    assert f"is 50001 characters long, over the 50000 that {TITAN} takes" in (
        error.diag.message_primary
    )
    assert "truncate => 'END'" in error.diag.message_hint


@pytest.mark.parametrize(
    "call",
    [
        "SELECT s3vl.embed('a')",
        "SELECT s3vl.embed('a', dimension => 256, normalized => false)",
        f"SELECT s3vl.embed('a', model => '{COHERE}', input_type => 'search_query')",
        "SELECT s3vl.embed(repeat('x', 50001), truncate => 'END')",
        "SELECT s3vl.embed(ARRAY['a', 'b'], index_name => 'titan-index')",
        "SELECT s3vl.embed('a', index_name => 'raw-index', dimension => 512)",
        f"SELECT s3vl.embed('a', index_name => 'bare-index', model => '{TITAN}')",
        "SELECT * FROM s3vl.query_text('a', 'titan-index')",
        f"SELECT * FROM s3vl.query_text('a', index_arn => '{BUCKET_ARN}/index/titan-index')",
        f"SELECT * FROM s3vl.query_text('a', 'bare-index', model => '{TITAN}')",
        f"SELECT * FROM s3vl.query_text('a', '{UNREGISTERED}', model => '{COHERE}')",
        put("ARRAY['x', 'y']", extra=", ARRAY['{\"n\": 1}', NULL]::jsonb[], 'text'"),
        f"SELECT s3vl.set_embedding_model('bare-index', '{TITAN}')",
    ],
)
def test_a_call_that_passes_its_checks_reaches_the_endpoint(
    embed_db: psycopg.Connection, call: str
) -> None:
    error = sql_error(embed_db, call)
    assert error.sqlstate == "58000", error.diag.message_primary
    assert "invoking the Lambda function failed" in error.diag.message_primary


def test_the_model_follows_the_index_and_forgets_it_with_the_index(
    embed_db: psycopg.Connection,
) -> None:
    assert embed_db.execute(
        "SELECT model_id, dimension, normalized FROM s3vl.embedding_model('raw-index')"
    ).fetchall() == [(TITAN, 512, False)]
    assert embed_db.execute("SELECT * FROM s3vl.embedding_model('bare-index')").fetchall() == []
    # The same name registered for another ARN: what was recorded was the other index's.
    embed_db.execute(
        "SELECT s3vl.register_index('raw-index', %s, NULL, 512, 'cosine')", [UNREGISTERED]
    )
    assert embed_db.execute("SELECT * FROM s3vl.embedding_model('raw-index')").fetchall() == []
    embed_db.execute("SELECT s3vl.unregister_index('raw-index')")
    assert embed_db.execute("SELECT count(*) FROM s3vl.index_embedding").fetchone() == (2,)


def test_set_embedding_model_null_forgets_without_invoking(embed_db: psycopg.Connection) -> None:
    assert embed_db.execute("SELECT s3vl.set_embedding_model('titan-index', NULL)").fetchone() == (
        None,
    )
    assert embed_db.execute("SELECT * FROM s3vl.embedding_model('titan-index')").fetchall() == []


def test_the_models_s3vl_knows_are_listed_with_the_default_first(
    embed_db: psycopg.Connection,
) -> None:
    rows = embed_db.execute(
        "SELECT model_id, dimensions, characters_max, is_default FROM s3vl.embedding_models()"
    ).fetchall()
    assert rows[0] == (TITAN, [1024, 512, 256], 50000, True)
    assert {row[0] for row in rows[1:]} == {COHERE, "cohere.embed-multilingual-v3"}
    assert not any(row[3] for row in rows[1:])
