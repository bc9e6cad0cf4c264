-- Keeping a table in sync with an index, part 3: verification. s3vl.stale_keys compares a table
-- with what flush last wrote, s3vl.reconcile with what the index really holds (and repairs),
-- s3vl.sync_status shows every synced table with its queue.

-- s3vl._row_version
-- Granted to s3vl_writer for stale_keys and reconcile, which read the table with its rights.
DROP FUNCTION IF EXISTS s3vl._row_version(integer, text, jsonb, jsonb);
CREATE OR REPLACE FUNCTION s3vl._row_version(source_id integer, p_key text, p_embedding jsonb, p_metadata jsonb,
                                             p_vector real[] DEFAULT NULL)
RETURNS TABLE (key text, content_hash text, written_hash text, written_version bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_source s3vl.sync_source;
BEGIN
    SELECT * INTO STRICT v_source FROM s3vl.sync_source AS s WHERE s.id = _row_version.source_id;
    RETURN QUERY
    SELECT c.key, c.content_hash, v.content_hash, v.version
    FROM s3vl._row_change(v_source, p_key, p_embedding, p_metadata, p_vector) AS c
    LEFT JOIN s3vl.key_version AS v ON v.index_name = v_source.index_name AND v.key = c.key
    WHERE c.data IS NOT NULL;
END
$$;
COMMENT ON FUNCTION s3vl._row_version(integer, text, jsonb, jsonb, real[]) IS
    'Private: one synced row as the caller read it: key and content_hash, beside the hash and version flush last wrote for its key (written_hash, written_version); no row when it has no embedding';

-- s3vl.stale_keys
-- Reads the table with the caller's rights.
CREATE OR REPLACE FUNCTION s3vl.stale_keys("table" regclass, index_name text)
RETURNS TABLE (key text, table_hash text, written_hash text, written_version bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 1  -- real prints its exact float32 when read as JSON (s3vl._read_columns)
AS $$
DECLARE
    p_table ALIAS FOR "table";
    v_source s3vl.sync_source;
BEGIN
    SELECT (t.source).* INTO v_source FROM s3vl._sync_target('stale_keys', p_table, index_name) AS t;
    PERFORM s3vl._check_sync_columns('stale_keys', p_table, v_source.key_column,
                                     v_source.embedding_column, v_source.metadata_columns);
    PERFORM s3vl._check_table_privilege('stale_keys', p_table, NULL,
        ARRAY[v_source.key_column, v_source.embedding_column]::text[] || v_source.metadata_columns::text[]);
    RETURN QUERY EXECUTE pg_catalog.format(
        'SELECT v.key, v.content_hash, v.written_hash, v.written_version
         FROM (SELECT %s FROM %s AS t) AS r
         CROSS JOIN LATERAL s3vl._row_version(%s, r.key, r.embedding, r.metadata, r.vector) AS v
         WHERE v.written_hash IS DISTINCT FROM v.content_hash
         ORDER BY v.key', s3vl._read_columns(v_source, 't'), p_table, v_source.id);
END
$$;
COMMENT ON FUNCTION s3vl.stale_keys(regclass, text) IS
    'Keys of a synced table whose row differs from the version s3vl.flush last wrote (changed since, or never written), with hash and version per key, from the stored key versions: no invocation. Needs SELECT on the synced columns';

-- s3vl._reconcile_problems
CREATE OR REPLACE FUNCTION s3vl._reconcile_problems(source_id integer, wanted jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_arn text;
    v_label text;
    v_text boolean;
    v_problems jsonb;
BEGIN
    SELECT r.index_arn, s.index_name, s3vl._text_column(s.source_table, s.embedding_column)
    INTO STRICT v_arn, v_label, v_text
    FROM s3vl.sync_source AS s JOIN s3vl.index_registry AS r ON r.index_name = s.index_name
    WHERE s.id = _reconcile_problems.source_id;
    WITH w AS (
        SELECT e ->> 'key' AS key, e ->> 'content_hash' AS content_hash
        FROM pg_catalog.jsonb_array_elements(wanted) AS e
    ), held AS (
        -- A synced text column's vectors cannot be told from its texts without embedding every
        -- row again: the hash flush recorded for the key stands in for what the index holds.
        SELECT v.vector_id AS key,
               CASE WHEN v_text
                    THEN (SELECT k.content_hash FROM s3vl.key_version AS k
                          WHERE k.index_name = v_label AND k.key = v.vector_id)
                    ELSE s3vl._content_hash(v.vector_data::real[], v.metadata) END AS content_hash
        FROM s3vl.scan_vectors(index_arn => v_arn, return_data => NOT v_text, return_metadata => true) AS v
    )
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'key', coalesce(w.key, h.key),
               'problem', CASE WHEN h.key IS NULL THEN 'missing'
                               WHEN w.key IS NULL THEN 'orphan' ELSE 'stale' END)
               ORDER BY coalesce(w.key, h.key))
    INTO v_problems
    FROM w FULL JOIN held AS h ON h.key = w.key
    WHERE w.key IS NULL OR h.key IS NULL OR w.content_hash <> h.content_hash;
    RETURN v_problems;
END
$$;
COMMENT ON FUNCTION s3vl._reconcile_problems(integer, jsonb) IS
    'Private: compares the rows the caller read ([{key, content_hash}]) with what the index holds: [{key, problem}], problem missing, orphan or stale; NULL when they are equal';

-- s3vl._enqueue_deletes
-- For reconcile's orphans; called directly it does no more than delete_vectors.
CREATE OR REPLACE FUNCTION s3vl._enqueue_deletes(source_id integer, keys text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_source s3vl.sync_source;
    v_key text;
BEGIN
    SELECT * INTO STRICT v_source FROM s3vl.sync_source AS s WHERE s.id = _enqueue_deletes.source_id;
    FOREACH v_key IN ARRAY coalesce(keys, '{}') LOOP
        PERFORM s3vl._record_change(v_source, v_key, false, NULL, NULL, NULL);
    END LOOP;
    RETURN pg_catalog.cardinality(keys);
END
$$;
COMMENT ON FUNCTION s3vl._enqueue_deletes(integer, text[]) IS
    'Private: queues the delete of each key for a sync; returns how many';

-- s3vl._pending_keys
CREATE OR REPLACE FUNCTION s3vl._pending_keys(index_name text, keys text[])
RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.array_agg(DISTINCT o.key), '{}')
    FROM s3vl.outbox AS o
    WHERE o.index_name = _pending_keys.index_name AND o.key = ANY (keys) AND o.done_at IS NULL
$$;
COMMENT ON FUNCTION s3vl._pending_keys(text, text[]) IS
    'Private: the keys among these that still have pending changes for the index';

-- s3vl.reconcile
-- Reads the table with the caller's rights.
CREATE OR REPLACE FUNCTION s3vl.reconcile("table" regclass, index_name text, repair boolean DEFAULT false)
RETURNS TABLE (key text, problem text, repaired boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 1  -- real prints its exact float32 when read as JSON (s3vl._read_columns)
AS $$
DECLARE
    p_table ALIAS FOR "table";
    v_source s3vl.sync_source;
    v_read text;
    v_wanted jsonb;
    v_problems jsonb;
    v_pending text[];
BEGIN
    SELECT (t.source).* INTO v_source FROM s3vl._sync_target('reconcile', p_table, index_name) AS t;
    PERFORM s3vl._check_flag('reconcile', 'repair', repair);
    PERFORM s3vl._check_sync_columns('reconcile', p_table, v_source.key_column,
                                     v_source.embedding_column, v_source.metadata_columns);
    PERFORM s3vl._check_table_privilege('reconcile', p_table, NULL,
        ARRAY[v_source.key_column, v_source.embedding_column]::text[] || v_source.metadata_columns::text[]);
    v_read := pg_catalog.format('SELECT %s FROM %s AS t', s3vl._read_columns(v_source, 't'), p_table);

    EXECUTE pg_catalog.format(
        'SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(''key'', v.key, ''content_hash'', v.content_hash))
         FROM (%s) AS r CROSS JOIN LATERAL s3vl._row_version(%s, r.key, r.embedding, r.metadata, r.vector) AS v',
        v_read, v_source.id)
    INTO v_wanted;
    v_problems := s3vl._reconcile_problems(v_source.id, coalesce(v_wanted, '[]'::jsonb));
    IF v_problems IS NULL THEN
        RETURN;
    END IF;
    IF NOT repair THEN
        RETURN QUERY SELECT p ->> 'key', p ->> 'problem', false
                     FROM pg_catalog.jsonb_array_elements(v_problems) AS p;
        RETURN;
    END IF;

    -- Queue the fixes as ordinary changes, so concurrent flushes and the order per key hold.
    EXECUTE pg_catalog.format(
        'SELECT pg_catalog.sum(s3vl._enqueue_row(%s, r.key, r.embedding, r.metadata, r.vector)) FROM (%s) AS r
         WHERE r.key IN (SELECT p ->> ''key'' FROM pg_catalog.jsonb_array_elements($1) AS p
                         WHERE p ->> ''problem'' <> ''orphan'')',
        v_source.id, v_read)
    USING v_problems;
    PERFORM s3vl._enqueue_deletes(v_source.id, ARRAY(
        SELECT p ->> 'key' FROM pg_catalog.jsonb_array_elements(v_problems) AS p
        WHERE p ->> 'problem' = 'orphan'));
    PERFORM * FROM s3vl.flush(v_source.index_name);

    v_pending := s3vl._pending_keys(v_source.index_name,
        ARRAY(SELECT p ->> 'key' FROM pg_catalog.jsonb_array_elements(v_problems) AS p));
    RETURN QUERY
    SELECT p ->> 'key', p ->> 'problem', NOT (p ->> 'key' = ANY (v_pending))
    FROM pg_catalog.jsonb_array_elements(v_problems) AS p;
END
$$;
COMMENT ON FUNCTION s3vl.reconcile(regclass, text, boolean) IS
    'Compares a synced table with what its index really holds: keys missing from the index, orphans in it with no row, and stale keys whose vector or metadata differ (content hash); repair => true queues the fixes (puts of the rows, deletes of the orphans) and flushes them, and repaired says whether each key''s fix was accepted. Needs SELECT on the synced columns';

-- s3vl.sync_status
CREATE OR REPLACE FUNCTION s3vl.sync_status()
RETURNS TABLE ("table" regclass, index_name text, key_column name, embedding_column name,
               metadata_columns name[], pending_count bigint, failed_count bigint,
               oldest_pending timestamp with time zone, max_attempts integer, last_error text,
               written_keys bigint, dead_count bigint, in_doubt_count bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.source_table, s.index_name, s.key_column, s.embedding_column, s.metadata_columns,
           pg_catalog.count(o.id) FILTER (WHERE o.dead_at IS NULL),
           pg_catalog.count(o.id) FILTER (WHERE o.dead_at IS NULL AND o.attempts > 0),
           pg_catalog.min(o.enqueued_at) FILTER (WHERE o.dead_at IS NULL),
           pg_catalog.max(o.attempts) FILTER (WHERE o.dead_at IS NULL),
           (pg_catalog.array_agg(o.last_error ORDER BY o.last_attempt_at DESC NULLS LAST)
                FILTER (WHERE o.last_error IS NOT NULL))[1],
           (SELECT pg_catalog.count(*) FROM s3vl.key_version AS v WHERE v.index_name = s.index_name),
           pg_catalog.count(o.id) FILTER (WHERE o.dead_at IS NOT NULL),
           -- Pending changes of keys whose last send may still land: they wait for its window.
           pg_catalog.count(o.id) FILTER (WHERE o.dead_at IS NULL AND d.key IS NOT NULL)
    FROM s3vl.sync_source AS s
    JOIN pg_catalog.pg_class AS c ON c.oid = s.source_table  -- a dropped table is not shown
    LEFT JOIN s3vl.outbox AS o ON o.source_id = s.id AND o.done_at IS NULL
    LEFT JOIN (SELECT DISTINCT x.index_name, x.key FROM s3vl.outbox AS x
               WHERE x.in_doubt_until IS NOT NULL AND x.in_doubt_until > pg_catalog.now()) AS d
           ON d.index_name = o.index_name AND d.key = o.key
    GROUP BY s.id
    ORDER BY s.source_table::text, s.index_name
$$;
COMMENT ON FUNCTION s3vl.sync_status() IS
    'Every synced table and index: columns, pending and failed changes, the oldest pending, most attempts, the last error, keys written, dead changes (s3vl.retry_dead, s3vl.discard_dead) and pending changes waiting for a key in doubt';
