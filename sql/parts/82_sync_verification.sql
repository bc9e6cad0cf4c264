-- Keeping a table in sync with an index, part 3: verification. s3vl.stale_keys compares a table
-- with what flush last wrote, s3vl.reconcile with what the index really holds (and repairs),
-- s3vl.sync_status shows every synced table with its queue.

-- s3vl._synced: the sync_source of a table and index, or error 42704 saying to sync it first.
CREATE OR REPLACE FUNCTION s3vl._synced(fn text, source_table regclass, index_name text)
RETURNS s3vl.sync_source
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_source s3vl.sync_source;
BEGIN
    SELECT * INTO v_source FROM s3vl.sync_source AS s
    WHERE s.source_table = _synced.source_table AND s.index_name = _synced.index_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 's3vl.%: table % is not synced with index "%"', fn, source_table, index_name
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'Arguments "table" and "index_name" must match a call of s3vl.sync_table.',
                  HINT = 'Run SELECT s3vl.sync_table(''TABLE'', ''KEY_COLUMN'', ''EMBEDDING_COLUMN'', ''INDEX''); first.';
    END IF;
    RETURN v_source;
END
$$;
COMMENT ON FUNCTION s3vl._synced(text, regclass, text) IS
    'Private: the sync_source of a table and index; SQLSTATE 42704 when the table is not synced with it';

-- s3vl.stale_keys: rows whose current content differs from what s3vl.flush last wrote for their
-- key (changed since, or never written), from the stored key versions: no invocation.
CREATE OR REPLACE FUNCTION s3vl.stale_keys("table" regclass, index_name text)
RETURNS TABLE (key text, table_hash text, written_hash text, written_version bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_source s3vl.sync_source := s3vl._synced('stale_keys', $1, $2);
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format(
        'SELECT c.key, c.content_hash, v.content_hash, v.version
         FROM %s AS t
         CROSS JOIN LATERAL s3vl._row_change($1, pg_catalog.to_jsonb(t)) AS c
         LEFT JOIN s3vl.key_version AS v ON v.index_name = $2 AND v.key = c.key
         WHERE c.data IS NOT NULL AND v.content_hash IS DISTINCT FROM c.content_hash
         ORDER BY c.key', v_source.source_table)
    USING v_source, v_source.index_name;
END
$$;
COMMENT ON FUNCTION s3vl.stale_keys(regclass, text) IS
    'Keys of a synced table whose row differs from the version s3vl.flush last wrote (hash and version per key), without asking S3 Vectors';

-- s3vl.reconcile: compare a synced table with what its index really holds: keys missing from
-- the index, orphans in the index with no row, and stale keys whose vector or metadata differ.
-- With repair => true the differences are queued (puts of the rows, deletes of the orphans)
-- and flushed; repaired says whether each key's fix was accepted.
CREATE OR REPLACE FUNCTION s3vl.reconcile("table" regclass, index_name text, repair boolean DEFAULT false)
RETURNS TABLE (key text, problem text, repaired boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_source s3vl.sync_source;
    v_problems jsonb;
BEGIN
    SELECT * INTO v_index FROM s3vl._write_target('reconcile', $2);
    v_source := s3vl._synced('reconcile', $1, v_index.label);
    PERFORM s3vl._check_flag('reconcile', 'repair', $3);

    EXECUTE pg_catalog.format($query$
        WITH wanted AS (
            SELECT c.key, c.content_hash
            FROM %s AS t CROSS JOIN LATERAL s3vl._row_change($1, pg_catalog.to_jsonb(t)) AS c
            WHERE c.data IS NOT NULL
        ), held AS (
            SELECT v.vector_id AS key,
                   s3vl._content_hash(v.vector_data::real[], v.metadata) AS content_hash
            FROM s3vl.scan_vectors(index_arn => $2, return_data => true, return_metadata => true) AS v
        )
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'key', coalesce(w.key, h.key),
                   'problem', CASE WHEN h.key IS NULL THEN 'missing'
                                   WHEN w.key IS NULL THEN 'orphan' ELSE 'stale' END)
                   ORDER BY coalesce(w.key, h.key))
        FROM wanted AS w FULL JOIN held AS h ON h.key = w.key
        WHERE w.key IS NULL OR h.key IS NULL OR w.content_hash <> h.content_hash
        $query$, v_source.source_table)
    INTO v_problems
    USING v_source, v_index.arn;

    IF v_problems IS NULL THEN
        RETURN;
    END IF;
    IF NOT $3 THEN
        RETURN QUERY SELECT p ->> 'key', p ->> 'problem', false
                     FROM pg_catalog.jsonb_array_elements(v_problems) AS p;
        RETURN;
    END IF;

    -- Queue the fixes as ordinary changes, so concurrent flushes and the order per key hold.
    EXECUTE pg_catalog.format(
        'SELECT pg_catalog.sum(s3vl._enqueue($1, pg_catalog.to_jsonb(t))) FROM %s AS t
         WHERE t.%I::text IN (SELECT p ->> ''key'' FROM pg_catalog.jsonb_array_elements($2) AS p
                              WHERE p ->> ''problem'' <> ''orphan'')',
        v_source.source_table, v_source.key_column)
    USING v_source, v_problems;
    INSERT INTO s3vl.outbox (source_id, index_name, key, operation)
    SELECT v_source.id, v_source.index_name, p ->> 'key', 'delete'
    FROM pg_catalog.jsonb_array_elements(v_problems) AS p
    WHERE p ->> 'problem' = 'orphan';
    PERFORM * FROM s3vl.flush(v_index.label);

    RETURN QUERY
    SELECT p ->> 'key', p ->> 'problem',
           NOT EXISTS (SELECT 1 FROM s3vl.outbox AS o
                       WHERE o.index_name = v_source.index_name AND o.key = p ->> 'key'
                         AND o.done_at IS NULL)
    FROM pg_catalog.jsonb_array_elements(v_problems) AS p;
END
$$;
COMMENT ON FUNCTION s3vl.reconcile(regclass, text, boolean) IS
    'Compares a synced table with its index: missing keys, orphans and stale vectors (content hash differs); repair => true queues and flushes the fixes';

-- s3vl.sync_status: every synced table with its pending and failed changes.
CREATE OR REPLACE FUNCTION s3vl.sync_status()
RETURNS TABLE ("table" regclass, index_name text, key_column name, embedding_column name,
               metadata_columns name[], pending_count bigint, failed_count bigint,
               oldest_pending timestamp with time zone, max_attempts integer, last_error text,
               written_keys bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.source_table, s.index_name, s.key_column, s.embedding_column, s.metadata_columns,
           pg_catalog.count(o.id), pg_catalog.count(o.id) FILTER (WHERE o.attempts > 0),
           pg_catalog.min(o.enqueued_at), pg_catalog.max(o.attempts),
           (pg_catalog.array_agg(o.last_error ORDER BY o.last_attempt_at DESC NULLS LAST)
                FILTER (WHERE o.last_error IS NOT NULL))[1],
           (SELECT pg_catalog.count(*) FROM s3vl.key_version AS v WHERE v.index_name = s.index_name)
    FROM s3vl.sync_source AS s
    JOIN pg_catalog.pg_class AS c ON c.oid = s.source_table  -- a dropped table is not shown
    LEFT JOIN s3vl.outbox AS o ON o.source_id = s.id AND o.done_at IS NULL
    GROUP BY s.id
    ORDER BY s.source_table::text, s.index_name
$$;
COMMENT ON FUNCTION s3vl.sync_status() IS
    'Every synced table and index: columns, pending and failed changes, the oldest pending, most attempts, the last error, keys written';
