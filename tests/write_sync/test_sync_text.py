"""s3vl.sync_table with a text column (the table has no vector column): the capture trigger
records the text, s3vl.flush embeds it with the index's model (invocations of at most 256
texts) and writes the vectors, through the real bridge, the local Bedrock Runtime and the local
S3 Vectors service. Texts the capture can judge are refused at the write; a text only Bedrock
refuses, and a Bedrock that fails, leave exactly those changes pending with their error."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest

from tests.support.bedrock import cosine
from tests.support.local_path import LocalPath, SpyOnWrites
from tests.support.postgres import sql_error

pytestmark = pytest.mark.slow

COHERE = "cohere.embed-english-v3"
INDEX = "texts"  # 1,024 dimensions, Cohere English
_tables = itertools.count()


@pytest.fixture(scope="module")
def texts_index(path: LocalPath) -> str:
    """Index `texts` in the module's bucket (the bridge serves the bucket), registered, and its
    model recorded through the bridge (set_embedding_model asks it)."""
    path.client.create_index(vectorBucketName=path.bucket, indexName=INDEX, dataType="float32",
                             dimension=1024, distanceMetric="cosine")  # fmt: skip
    arn = path.client.get_index(vectorBucketName=path.bucket, indexName=INDEX)["index"]["indexArn"]
    with psycopg.connect(path.dsn, autocommit=True) as conn:
        conn.execute("SELECT s3vl.register_index(%s, %s)", [INDEX, arn])
        conn.execute("SELECT s3vl.set_embedding_model(%s, %s)", [INDEX, COHERE])
    return INDEX


@pytest.fixture
def bedrock(path: LocalPath) -> Iterator[object]:
    assert path.bedrock is not None
    yield path.bedrock
    path.bedrock.faults.clear()


@pytest.fixture
def products(db: psycopg.Connection, path: LocalPath, texts_index: str) -> Iterator[str]:
    """A table with a text column and no vector, synced with `texts`; the index emptied."""
    keys = list(path.key_set(INDEX))
    if keys:
        path.client.delete_vectors(vectorBucketName=path.bucket, indexName=INDEX, keys=keys)
    name = f"products_{next(_tables)}"
    db.execute(
        f"CREATE TABLE {name} (id text PRIMARY KEY, title text, description text, price numeric)"
    )
    yield name
    db.execute(f"DROP TABLE {name}")


def sync(db: psycopg.Connection, table: str, backfill: bool = True) -> int:
    return db.execute(
        "SELECT s3vl.sync_table(%s, 'id', 'description', %s, ARRAY['title', 'price'], %s)",
        [table, INDEX, backfill],
    ).fetchone()[0]


def flush(db: psycopg.Connection) -> dict:
    cur = db.execute("SELECT * FROM s3vl.flush(%s)", [INDEX])
    return dict(zip([c.name for c in cur.description], cur.fetchone(), strict=True))


def sent_since(bedrock, since: int) -> list[dict]:
    return [r.json() for r in bedrock.received(after=since)]


def test_a_text_column_fills_the_index_in_embedding_batches(db, path, products, bedrock, spy):
    db.execute(f"INSERT INTO {products} SELECT 'p' || i, 'Product ' || i,"
               f" 'A steel thermos, model ' || i, i FROM generate_series(1, 300) AS i")  # fmt: skip
    assert sync(db, products) == 300
    since = bedrock.last_sequence()
    result = flush(db)
    assert (result["put_count"], result["pending_count"], result["failed_count"]) == (300, 0, 0)
    # Two embed invocations (256 + 44 texts), in Cohere's batches of 96 at Bedrock.
    assert sorted(len(body["texts"]) for body in sent_since(bedrock, since)) == [44, 64, 96, 96]
    held = path.vectors(INDEX)
    assert len(held) == 300
    assert held["p7"][1] == {"title": "Product 7", "price": 7}
    (expected,) = db.execute(
        "SELECT s3vl.embed('A steel thermos, model 7', index_name => %s)", [INDEX]
    ).fetchone()
    assert cosine(held["p7"][0], expected) > 0.999999
    assert spy.put_keys and set(spy.put_keys) == set(held)


def test_changes_of_the_text_are_embedded_again_and_a_blank_text_is_not_indexed(db, path, products):
    db.execute(f"INSERT INTO {products} VALUES ('lamp', 'Lamp', 'A dimmable desk lamp', 20),"
               " ('flask', 'Flask', 'An insulated thermos for hot coffee', 30),"
               " ('gone', 'Gone', 'Soon deleted', 1)")  # fmt: skip
    sync(db, products)
    flush(db)
    before = path.vectors(INDEX)
    db.execute(f"UPDATE {products} SET description = 'Waterproof hiking boots' WHERE id = 'lamp'")
    db.execute(f"UPDATE {products} SET price = 35 WHERE id = 'flask'")
    db.execute(f"UPDATE {products} SET description = '   ' WHERE id = 'gone'")
    db.execute(f"INSERT INTO {products} VALUES ('none', 'None', NULL, 5)")
    assert flush(db)["put_count"] == 2
    after = path.vectors(INDEX)
    assert set(after) == {"lamp", "flask"}
    assert cosine(after["lamp"][0], before["lamp"][0]) < 0.9
    assert cosine(after["flask"][0], before["flask"][0]) > 0.999999
    assert after["flask"][1]["price"] == 35
    ask = "SELECT vector_id FROM s3vl.query_text('keeps my coffee hot', %s, top_k => 1)"
    rows = db.execute(ask, [INDEX]).fetchall()
    assert rows == [("flask",)]


def test_stale_keys_and_reconcile_know_a_text_synced_table(db, path, products):
    db.execute(
        f"INSERT INTO {products} VALUES ('a', 'A', 'a red kettle', 1), ('b', 'B', 'a blue mug', 2)"
    )
    sync(db, products)
    flush(db)
    assert db.execute("SELECT * FROM s3vl.reconcile(%s, %s)", [products, INDEX]).fetchall() == []
    db.execute(f"UPDATE {products} SET description = 'a green kettle' WHERE id = 'a'")
    assert [
        r[0] for r in db.execute("SELECT * FROM s3vl.stale_keys(%s, %s)", [products, INDEX])
    ] == ["a"]
    path.client.delete_vectors(vectorBucketName=path.bucket, indexName=INDEX, keys=["b"])
    problems = db.execute(
        "SELECT key, problem FROM s3vl.reconcile(%s, %s)", [products, INDEX]
    ).fetchall()
    assert sorted(problems) == [("a", "stale"), ("b", "missing")]
    repaired = db.execute("SELECT key, repaired FROM s3vl.reconcile(%s, %s, repair => true)",
                          [products, INDEX]).fetchall()  # fmt: skip
    assert sorted(repaired) == [("a", True), ("b", True)]
    assert db.execute("SELECT * FROM s3vl.reconcile(%s, %s)", [products, INDEX]).fetchall() == []


def test_a_text_over_the_model_s_characters_is_refused_at_the_write(db, products):
    sync(db, products)
    error = sql_error(db, f"INSERT INTO {products} VALUES ('long', 'Long', repeat('x', 2049), 1)")
    assert error.sqlstate == "22023"
    assert "its text (column description) is 2049 characters long, over the 2048" in (
        error.diag.message_primary
    )
    assert "GENERATED ALWAYS AS (left(description, 2048))" in error.diag.message_hint
    assert db.execute("SELECT count(*) FROM s3vl.outbox").fetchone() == (0,)


def test_a_text_column_needs_the_index_s_model_before_anything_is_synced(db, products, bedrock):
    since = bedrock.last_sequence()
    error = sql_error(db, f"SELECT s3vl.sync_table('{products}', 'id', 'description', 'items')")
    assert (error.sqlstate, 'argument "embedding_column"' in error.diag.message_primary) == (
        "22023",
        True,
    )
    assert "s3vl.set_embedding_model('items'" in error.diag.message_hint
    error = sql_error(db, f"SELECT s3vl.sync_table('{products}', 'id', 'price', 'items')")
    assert "it must hold numbers, or text to embed" in error.diag.message_primary
    assert db.execute("SELECT count(*) FROM s3vl.sync_source").fetchone() == (0,)
    assert sent_since(bedrock, since) == []


def test_a_text_bedrock_refuses_is_charged_alone_and_the_rest_is_written(db, path, products):
    # Within Cohere's 2,048 characters, yet refused by the model: an empty input after its
    # own processing is not one the stand-in refuses, so a fault names the text instead.
    db.execute(f"INSERT INTO {products} SELECT 'p' || i, 'P', 'text number ' || i, i"
               " FROM generate_series(1, 5) AS i")  # fmt: skip
    sync(db, products)
    path.bedrock.faults.inject(code="ValidationException", times=1, model_id=COHERE,
                               message="Malformed input request: #/texts/3: bad text")  # fmt: skip
    result = flush(db)
    assert (result["put_count"], result["failed_count"], result["pending_count"]) == (4, 1, 1)
    assert "texts[3]" in result["last_error"]
    assert path.key_set(INDEX) == {"p1", "p2", "p3", "p5"}
    assert db.execute("SELECT key, attempts FROM s3vl.outbox WHERE done_at IS NULL").fetchall() == [
        ("p4", 1)
    ]
    assert flush(db)["put_count"] == 1  # the fault is spent
    assert path.key_set(INDEX) == {f"p{i}" for i in range(1, 6)}


def test_a_failing_bedrock_leaves_the_texts_pending_and_the_next_flush_writes_them(
    db, path, products
):
    db.execute(f"INSERT INTO {products} VALUES ('a', 'A', 'a kettle', 1), ('b', 'B', 'a mug', 2)")
    sync(db, products)
    path.bedrock.faults.inject(code="ThrottlingException", times=1, model_id=COHERE)
    result = flush(db)
    assert (result["put_count"], result["failed_count"], result["pending_count"]) == (0, 2, 2)
    assert "Throttl" in result["last_error"] or "throttl" in result["last_error"]
    assert path.key_set(INDEX) == set()
    assert flush(db)["put_count"] == 2
    assert path.key_set(INDEX) == {"a", "b"}


def test_an_index_whose_model_was_forgotten_keeps_its_text_changes_pending(
    db, path, products, bedrock
):
    db.execute(f"INSERT INTO {products} VALUES ('a', 'A', 'a kettle', 1)")
    sync(db, products)
    model = db.execute("SELECT model_id FROM s3vl.embedding_model(%s)", [INDEX]).fetchone()[0]
    db.execute("SELECT s3vl.set_embedding_model(%s, NULL)", [INDEX])
    try:
        since = bedrock.last_sequence()
        result = flush(db)
        assert (result["put_count"], result["pending_count"]) == (0, 1)
        assert "records no embedding model" in result["last_error"]
        assert sent_since(bedrock, since) == []
        assert db.execute("SELECT attempts FROM s3vl.outbox WHERE done_at IS NULL").fetchone() == (
            0,
        )
    finally:
        db.execute("SELECT s3vl.set_embedding_model(%s, %s)", [INDEX, model])
    assert flush(db)["put_count"] == 1


def test_a_vector_of_the_text_is_what_query_text_compares_with(db, path, products):
    db.execute(f"INSERT INTO {products} VALUES ('flask', 'F', 'An insulated thermos', 1),"
               " ('lamp', 'L', 'A desk lamp', 2)")  # fmt: skip
    sync(db, products)
    flush(db)
    (question,) = db.execute("SELECT s3vl.embed('something hot to drink from', index_name => %s,"
                             " input_type => 'search_query')", [INDEX]).fetchone()  # fmt: skip
    held = path.vectors(INDEX)
    by_hand = sorted(held, key=lambda k: -cosine(question, held[k][0]))
    ask = "SELECT vector_id, distance FROM s3vl.query_text('something hot to drink from', %s)"
    rows = db.execute(ask, [INDEX]).fetchall()
    assert [k for k, _ in rows] == by_hand
    assert np.allclose([d for _, d in rows], [1 - cosine(question, held[k][0]) for k in by_hand],
                       atol=1e-5)  # fmt: skip


def test_spy_sees_only_vectors_never_texts(db, products, spy: SpyOnWrites, path):
    db.execute(f"INSERT INTO {products} VALUES ('a', 'A', 'a kettle', 1)")
    sync(db, products)
    flush(db)
    (vector, metadata) = path.vectors(INDEX)["a"]
    assert len(vector) == 1024 and metadata == {"title": "A", "price": 1}
    assert spy.put_keys == ["a"]


def test_only_the_newest_text_of_a_key_is_embedded_and_written(db, path, products, bedrock):
    sync(db, products)
    db.execute(f"INSERT INTO {products} VALUES ('k', 'K', 'first: a desk lamp', 1)")
    db.execute(f"UPDATE {products} SET description = 'second: a wool blanket' WHERE id = 'k'")
    db.execute(f"UPDATE {products} SET description = 'third: a steel thermos' WHERE id = 'k'")
    since = bedrock.last_sequence()
    assert flush(db)["put_count"] == 1
    assert [body["texts"] for body in sent_since(bedrock, since)] == [["third: a steel thermos"]]
    (expected,) = db.execute(
        "SELECT s3vl.embed('third: a steel thermos', index_name => %s)", [INDEX]
    ).fetchone()
    assert cosine(path.vectors(INDEX)["k"][0], expected) > 0.999999
