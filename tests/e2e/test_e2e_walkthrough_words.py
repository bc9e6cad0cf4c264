"""Part 2 of the walkthrough (walkthrough_words.sql) through the whole local path, as the demo
runs it: the catalog's text is embedded by the local Bedrock and written, and the questions in
words find what they should (the thermos for hot coffee, not the desk lamp)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import psycopg
import pytest

from devstack.postgres import TemporaryCluster
from devstack.stack import CATALOG_INDEX, CATALOG_SQL, WALKTHROUGH_WORDS_SQL, LocalStack
from tests.support.bedrock import cosine

pytestmark = pytest.mark.slow

THERMOS = "Stainless steel vacuum thermos, 750 ml"
LAMP = "Dimmable LED desk lamp"


def statements() -> list[str]:
    """The SQL statements of walkthrough_words.sql, in order (psql commands left out)."""
    lines = [
        line
        for line in WALKTHROUGH_WORDS_SQL.read_text().splitlines()
        if not line.startswith(("\\", "--"))
    ]
    return [s.strip().rstrip(";") for s in "\n".join(lines).split(";\n") if s.strip()]


@pytest.fixture(scope="module")
def stack(cluster: TemporaryCluster) -> Iterator[LocalStack]:
    with LocalStack(
        cluster=cluster,
        bucket="s3vl-words",
        indexes=(CATALOG_INDEX,),
        database="e2e_words",
        database_sql=(CATALOG_SQL,),
    ) as local:
        yield local


@pytest.fixture(scope="module")
def ran(stack: LocalStack) -> subprocess.CompletedProcess[str]:
    # The written products and every tenth of the others: the demo's questions and their near
    # misses, at a seventh of the embedding calls (devstack up's own test runs all 300).
    with psycopg.connect(stack.dsn(), autocommit=True) as conn:
        conn.execute("DELETE FROM catalog WHERE id NOT LIKE 'demo%' AND id NOT LIKE '%1'")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return subprocess.run(
        [str(stack.cluster.pg_bin / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-P", "pager=off",
         "-d", stack.dsn(), "-f", str(WALKTHROUGH_WORDS_SQL)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip


@pytest.fixture
def db(stack: LocalStack, ran: subprocess.CompletedProcess[str]) -> Iterator[psycopg.Connection]:
    assert ran.returncode == 0, ran.stderr
    with psycopg.connect(stack.dsn(), autocommit=True) as conn:
        yield conn


def test_it_runs_in_psql_without_error_and_shows_its_three_sections(ran) -> None:
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr == ""
    assert [line[:5] for line in ran.stdout.splitlines() if line.startswith("== ")] == [
        "== 8.",
        "== 9.",
        "== 10",
    ]
    assert len(statements()) == 6


def test_the_whole_catalog_is_embedded_and_written(db, stack) -> None:
    assert db.execute("SELECT count(*) FROM s3vl.outbox WHERE done_at IS NULL").fetchone() == (0,)
    keys = ["txt_0001", "demo_01", "txt_0281"]
    held = stack.client.get_vectors(vectorBucketName=stack.bucket, indexName="catalog", keys=keys,
                                    returnData=True, returnMetadata=True)["vectors"]  # fmt: skip
    assert sorted(v["key"] for v in held) == sorted(keys)
    for vector in held:
        text, title = db.execute(
            "SELECT embedded_text, title FROM catalog WHERE id = %s", [vector["key"]]
        ).fetchone()
        (expected,) = db.execute(
            "SELECT s3vl.embed(%s, index_name => 'catalog')", [text]
        ).fetchone()
        assert cosine(vector["data"]["float32"], expected) > 0.999999
        assert vector["metadata"]["title"] == title
    count = db.execute("SELECT count(*) FROM catalog").fetchone()[0]
    listed = stack.client.list_vectors(vectorBucketName=stack.bucket, indexName="catalog",
                                       maxResults=1000)["vectors"]  # fmt: skip
    assert len(listed) == count == 12 + 29


def test_hot_coffee_finds_the_thermos_by_meaning_and_not_the_desk_lamp(db) -> None:
    rows = db.execute(statements()[4]).fetchall()
    by_meaning = [row[1] for row in rows]
    assert by_meaning[0] == THERMOS[:34]
    assert LAMP[:34] not in by_meaning
    assert [row[0] for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0][3] == THERMOS[:34]
    # Every row of the words ranking shares a word with the question (BM25 matches words).
    for title in (row[2] for row in rows if row[2] is not None):
        (text,) = db.execute(
            "SELECT lower(embedded_text) FROM catalog WHERE left(title, 34) = %s", [title]
        ).fetchone()
        assert any(word in text for word in ("coffee", "keep", "hot")), text


def test_the_join_keeps_in_stock_products_under_100_by_similarity(db) -> None:
    rows = db.execute(statements()[5]).fetchall()
    assert rows[0][0] == "Fleece-lined winter boots"
    similarities = [row[2] for row in rows]
    assert similarities == sorted(similarities, reverse=True)
    stock = dict(db.execute("SELECT title, in_stock AND price < 100 FROM catalog").fetchall())
    assert all(stock[row[0]] for row in rows)
