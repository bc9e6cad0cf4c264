-- The s3vl walkthrough, part 2: ask in words. The catalog table's products (catalog.sql) fill the
-- index 'catalog' through sync: s3vl embeds their text with Amazon Bedrock (Titan Text
-- Embeddings V2; `python -m devstack up` serves a local stand-in), and a question in words is
-- embedded and searched in one call. Run once, on a database set up as `devstack up` sets it up
-- (the 'catalog' index registered, 1,024 dimensions, title and description searchable); the
-- end-to-end tests assert what each query returns.
--
--   psql -v ON_ERROR_STOP=1 -f sample-data/walkthrough_words.sql

\set QUIET on
\pset null '(null)'
\pset footer off
\set QUIET off
\set ECHO queries

\echo
\echo '== 8. Fill an index from a table''s text: record the model the index is made with, sync the'
\echo '      catalog table (it has no vector column), and flush: the texts are embedded, then written.'
SELECT s3vl.set_embedding_model('catalog', 'amazon.titan-embed-text-v2:0') AS embedding_model;
ALTER TABLE public.catalog
    ADD COLUMN embedded_text text GENERATED ALWAYS AS (title || '. ' || description) STORED;
SELECT s3vl.sync_table('catalog', 'id', 'embedded_text', 'catalog',
                       metadata_columns => ARRAY['title', 'description', 'category']) AS rows_queued;
SELECT put_count, pending_count, failed_count FROM s3vl.flush('catalog');

\echo '== 9. One question three ways: by meaning (query_text embeds it), by its words (search_text,'
\echo '      BM25 over title and description) and by both (hybrid_search), best first.'
SELECT rank, left(m.metadata ->> 'title', 34) AS by_meaning,
       left(w.metadata ->> 'title', 34) AS by_words,
       left(h.metadata ->> 'title', 34) AS by_both
FROM s3vl.query_text('something to keep my coffee hot', 'catalog', top_k => 5)
         WITH ORDINALITY AS m(vector_id, distance, similarity_score, metadata, rank)
FULL JOIN s3vl.search_text(
              '{"title": "something to keep my coffee hot", "description": "something to keep my coffee hot"}',
              'catalog', top_k => 5)
         WITH ORDINALITY AS w(vector_id, bm25_score, bm25_scores, metadata, rank) USING (rank)
FULL JOIN s3vl.hybrid_search(
              s3vl.embed('something to keep my coffee hot', index_name => 'catalog', input_type => 'search_query'),
              '{"title": "something to keep my coffee hot", "description": "something to keep my coffee hot"}',
              'catalog', top_k => 5)
         WITH ORDINALITY AS h(vector_id, fused_score, distance, similarity_score, bm25_scores, metadata, rank)
         USING (rank)
ORDER BY rank;

\echo '== 10. A question in words joined with the table: in stock and under 100, closest first.'
SELECT c.title, c.price, round(q.similarity_score::numeric, 3) AS similarity
FROM s3vl.query_text('warm boots for walking in deep snow', 'catalog', top_k => 20) AS q
JOIN public.catalog AS c ON c.id = q.vector_id
WHERE c.in_stock AND c.price < 100
ORDER BY q.similarity_score DESC
LIMIT 5;
