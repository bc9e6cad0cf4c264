-- The s3vl walkthrough: SQL that reaches S3 Vectors through the bridge Lambda and comes back as
-- rows. `python -m devstack up` runs it against the local stack; the end-to-end tests assert
-- what each query returns. It expects the sample vectors (sample-vectors.json) in an index
-- registered as 'demo-index', and the products table (products.sql).
--
--   psql -v ON_ERROR_STOP=1 -f sample-data/walkthrough.sql

\set QUIET on
\pset null '(null)'
\pset footer off
\set QUIET off
-- Show each statement above its rows: the walkthrough is there to be copied from.
\set ECHO queries

\echo
\echo '== 1. Is the bridge reachable? s3vl.validate_config() makes one round trip.'
SELECT is_valid, lambda_arn, aws_region, response_time_ms
FROM s3vl.validate_config();

\echo '== 2. The registered index: its dimension and metric were asked of S3 Vectors.'
SELECT index_name, bucket_name, dimension, distance_metric, is_active
FROM s3vl.list_indexes();

\echo '== 3. The 5 vectors most similar to a query vector (closest first).'
SELECT vector_id, round(similarity_score::numeric, 4) AS similarity,
       round(distance::numeric, 4) AS distance, metadata ->> 'category' AS category
FROM s3vl.query_vectors(
    query_vector => ARRAY[0.1, 0.2, 0.3, 0.4, 0.5],
    index_name => 'demo-index',
    top_k => 5);

\echo '== 4. Vectors by key: vec_999 does not exist, so found is false.'
SELECT vector_id, found, embedding::real[] AS embedding, metadata ->> 'title' AS title
FROM s3vl.get_vectors(
    vector_ids => ARRAY['vec_001', 'vec_999', 'vec_002'],
    index_name => 'demo-index');

\echo '== 5. Query with the stored vector of vec_048: vec_048, vec_049 and vec_050 hold the same'
\echo '      vector, so all three come back with similarity 1.'
SELECT q.vector_id, round(q.similarity_score::numeric, 4) AS similarity,
       q.metadata ->> 'category' AS category
FROM s3vl.get_vectors(ARRAY['vec_048'], index_name => 'demo-index') AS g
CROSS JOIN LATERAL s3vl.query_vectors(g.embedding, index_name => 'demo-index', top_k => 3) AS q;

\echo '== 6. A metadata filter: only category "demo".'
SELECT vector_id, round(similarity_score::numeric, 4) AS similarity,
       metadata ->> 'category' AS category
FROM s3vl.query_vectors(
    query_vector => ARRAY[0.1, 0.2, 0.3, 0.4, 0.5],
    index_name => 'demo-index',
    top_k => 5,
    metadata_filter => '{"category": "demo"}'::jsonb);

\echo '== 7. Vector search joined with a relational table: in-stock products under 300,'
\echo '      most similar first.'
WITH nearest AS (
    SELECT vector_id, similarity_score
    FROM s3vl.query_vectors(
        query_vector => ARRAY[0.1, 0.2, 0.3, 0.4, 0.5],
        index_name => 'demo-index',
        top_k => 20)
)
SELECT p.name, p.price, round(s.similarity_score::numeric, 4) AS similarity, s.vector_id
FROM nearest AS s
JOIN public.products AS p ON p.vector_key = s.vector_id
WHERE p.in_stock AND p.price < 300
ORDER BY s.similarity_score DESC;
