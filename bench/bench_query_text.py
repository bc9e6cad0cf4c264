"""Asking in words from SQL (issue 13): how long embedding and searching take through the whole
path, in one invocation (s3vl.query_text) against two (s3vl.embed, then s3vl.query_vectors), and
what 1,000 such questions cost in Bedrock and S3 Vectors calls at AWS's public prices (an
estimate: the sources are printed with the table).

    python -m bench bench_query_text

Each run is a LocalStack of its own (PostgreSQL, the Invoke endpoint with the real bridge, the
local Bedrock Runtime, the local S3 Vectors service) whose index `catalog` is filled from
sample-data/catalog.sql (300 products, Titan Text Embeddings V2 at 1,024 dimensions) by
sync_table and flush, as the demo fills it:

  local - everything as fast as this machine serves it;
  warm  - devstack.production_latency's `warm` profile: S3 Vectors answers a query in 100 ms
          (AWS's "as low as 100 milliseconds") and each Lambda invocation takes 20 ms more. The
          local Bedrock (MiniLM, a few ms) is not slowed: AWS publishes no Titan latency, so an
          InvokeModel's own time on AWS comes on top of the embed rows.

Per statement, S3VL_BENCH_QUESTIONS (default 60) questions, each asked once (no cache helps),
after a few untimed ones; p50 and p95 in ms. On a busy machine each figure also waits for a CPU.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import psycopg

QUESTIONS = int(os.environ.get("S3VL_BENCH_QUESTIONS", "60"))
WARMUP = 3
TOP_K = 10
INDEX = "catalog"

# Public prices, us-east-1, on demand (estimates: check the pages before relying on them).
TITAN_PER_MILLION_TOKENS = 0.02
COHERE_PER_MILLION_TOKENS = 0.10
QUERY_REQUESTS_PER_MILLION = 2.50
QUERY_DATA_PER_TB = 0.004  # assumed, see SOURCES
SOURCES = (
    "Bedrock, on-demand embeddings per input token: https://aws.amazon.com/bedrock/pricing/ "
    "(its price table is not in the stored copy; Titan Text Embeddings V2 $0.02 and Cohere "
    "Embed English v3 $0.10 per million tokens as public price tables quote them)",
    "S3 Vectors query requests $2.50 per million: https://aws.amazon.com/s3/pricing/ (S3 Vectors "
    "worked example, as transcribed by api-evangelist/amazon-s3 plans/amazon-s3-plans-pricing.yml"
    ", 2026-09-20)",
    "S3 Vectors query data processed = average vector size (data + key + filterable metadata) x "
    "vectors in the index, per query (https://dev.classmethod.jp/en/articles/"
    "20260616-s3-vectors-query-charges/); AWS cut it by up to 80% above 10 million vectors on "
    "2026-06-16. The per-TB rate could not be read from a stored copy of the pricing page: "
    f"${QUERY_DATA_PER_TB}/TB is ASSUMED here (verify at aws.amazon.com/s3/pricing)",
)
_ADJECTIVES = ("warm", "light", "waterproof", "quiet", "small", "sturdy", "soft", "cheap",
               "portable", "durable")  # fmt: skip
_THINGS = ("something to keep my coffee hot", "boots for snow", "a lamp for reading",
           "a bag for a weekend away", "shoes for muddy trails",
           "a gift for a tea lover")  # fmt: skip


def questions(count: int) -> list[str]:
    """`count` different questions (a question is asked once per statement)."""
    made = [f"{a} {t}" for t in _THINGS for a in _ADJECTIVES]
    return [f"{made[i % len(made)]} #{i // len(made)}" if i >= len(made) else made[i]
            for i in range(count)]  # fmt: skip


def one(conn: psycopg.Connection, sql: str, args: list[Any]) -> tuple[Any, ...]:
    row = conn.execute(sql, args).fetchone()
    assert row is not None, sql
    return row


def timed(conn: psycopg.Connection, sql: str, args: list[Any]) -> float:
    started = time.perf_counter()
    conn.execute(sql, args).fetchall()
    return (time.perf_counter() - started) * 1e3


def quantiles(ms: list[float]) -> tuple[float, float]:
    ordered = sorted(ms)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def fill(conn: psycopg.Connection) -> float:
    """The catalog synced with its index, as walkthrough_words.sql does it; the flush's ms."""
    conn.execute("SELECT s3vl.set_embedding_model(%s, 'amazon.titan-embed-text-v2:0')", [INDEX])
    conn.execute("ALTER TABLE catalog ADD COLUMN embedded_text text"
                 " GENERATED ALWAYS AS (title || '. ' || description) STORED")  # fmt: skip
    conn.execute("SELECT s3vl.sync_table('catalog', 'id', 'embedded_text', %s,"
                 " ARRAY['title', 'category'])", [INDEX])  # fmt: skip
    started = time.perf_counter()
    (put, pending) = one(conn, "SELECT put_count, pending_count FROM s3vl.flush(%s)", [INDEX])
    elapsed = (time.perf_counter() - started) * 1e3
    assert (put, pending) == (300, 0), (put, pending)
    return elapsed


def measure(profile: str | None) -> tuple[list[tuple[str, float, float]], float, float]:
    """Rows (statement, p50, p95), the flush's ms, and the bytes of one stored vector."""
    from devstack.production_latency import ProductionLatency
    from devstack.stack import CATALOG_INDEX, CATALOG_SQL, LocalStack

    latency = ProductionLatency.named(profile) if profile else None
    stack = LocalStack(indexes=(CATALOG_INDEX,), database="bench_query_text",
                       database_sql=(CATALOG_SQL,), production_latency=latency)  # fmt: skip
    with stack, psycopg.connect(stack.dsn(), autocommit=True) as conn:
        flush_ms = fill(conn)
        asked = questions(QUESTIONS + WARMUP)
        embed = "SELECT s3vl.embed(%s, index_name => 'catalog', input_type => 'search_query')"
        vectors = {q: one(conn, embed, [q])[0] for q in asked}
        statements: list[tuple[str, str, Callable[[str], list[Any]]]] = [
            ("embed only (1 invocation: embed)", embed, lambda q: [q]),
            ("search only, vector given (1 invocation: query_vectors)",
             "SELECT * FROM s3vl.query_vectors(%s::real[], 'catalog', top_k => %s)",
             lambda q: [vectors[q], TOP_K]),
            ("query_text: embed + search (1 invocation)",
             "SELECT * FROM s3vl.query_text(%s, 'catalog', top_k => %s)",
             lambda q: [q, TOP_K]),
            ("query_vectors(embed(...)): embed, then search (2 invocations)",
             "SELECT * FROM s3vl.query_vectors(s3vl.embed(%s, index_name => 'catalog',"
             " input_type => 'search_query'), 'catalog', top_k => %s)",
             lambda q: [q, TOP_K]),
        ]  # fmt: skip
        rows = []
        for label, sql, args in statements:
            for q in asked[:WARMUP]:
                timed(conn, sql, args(q))
            ms = [timed(conn, sql, args(q)) for q in asked[WARMUP:]]
            rows.append((label, *quantiles(ms)))
        # What one vector weighs for query data processed: its float32 data, its key and
        # its filterable metadata, as stored.
        page = stack.client.list_vectors(vectorBucketName=stack.bucket, indexName=INDEX,
                                         returnMetadata=True, maxResults=1000)  # fmt: skip
        held = page["vectors"]
        vector_bytes = 4 * CATALOG_INDEX.dimension + statistics.mean(
            len(v["key"].encode()) + len(json.dumps(v.get("metadata") or {}).encode()) for v in held
        )
    return rows, flush_ms, vector_bytes


def tokens_per_question() -> float:
    """The local Titan's inputTextTokenCount of the questions (the local model's WordPiece
    count: close to Titan's own, not equal to it)."""
    from devstack.bedrock.server import LocalBedrock
    from tests.support.bedrock import TITAN, invoke, make_client

    with LocalBedrock() as url:
        client = make_client(url)
        counts = [invoke(client, TITAN, {"inputText": q})[0]["inputTextTokenCount"]
                  for q in questions(QUESTIONS)]  # fmt: skip
    return statistics.mean(counts)


def main() -> None:
    results = {}
    for profile in (None, "warm"):
        results[profile or "local"] = measure(profile)

    print(f"\n{QUESTIONS} questions per statement, top_k {TOP_K}, index of 300 vectors of 1,024"
          " dimensions; ms")  # fmt: skip
    print("| statement | local p50 | local p95 | warm p50 | warm p95 |\n|---|---|---|---|---|")
    local, warm = results["local"][0], results["warm"][0]
    for (label, lp50, lp95), (_, wp50, wp95) in zip(local, warm, strict=True):
        print(f"| {label} | {lp50:.1f} | {lp95:.1f} | {wp50:.1f} | {wp95:.1f} |")
    print(f"| flush of 300 synced texts (2 embed invocations, 1 put) | {results['local'][1]:.0f}"
          f" | | {results['warm'][1]:.0f} | |")  # fmt: skip

    tokens = tokens_per_question()
    vector_bytes = results["local"][2]
    print(f"\nCost of 1,000 questions (estimate; {tokens:.1f} tokens a question by the local"
          f" tokenizer, {vector_bytes:,.0f} bytes a stored vector)")  # fmt: skip
    print("| item | per 1,000 questions, USD |\n|---|---|")
    print(f"| Bedrock Titan Text Embeddings V2 ({tokens * 1000:,.0f} tokens) |"
          f" {tokens * 1000 / 1e6 * TITAN_PER_MILLION_TOKENS:.6f} |")  # fmt: skip
    print(f"| Bedrock Cohere Embed English v3 (same tokens) |"
          f" {tokens * 1000 / 1e6 * COHERE_PER_MILLION_TOKENS:.6f} |")  # fmt: skip
    print(f"| S3 Vectors QueryVectors requests (1,000) |"
          f" {1000 / 1e6 * QUERY_REQUESTS_PER_MILLION:.6f} |")  # fmt: skip
    for vectors in (300, 100_000, 1_000_000, 10_000_000):
        terabytes = 1000 * vectors * vector_bytes / 1e12
        dollars = terabytes * QUERY_DATA_PER_TB
        print(f"| S3 Vectors query data processed, index of {vectors:,} vectors"
              f" ({terabytes:.4g} TB; rate assumed) | {dollars:.6f} |")  # fmt: skip
    print("\nSources:")
    for source in SOURCES:
        print(f"- {source}")
