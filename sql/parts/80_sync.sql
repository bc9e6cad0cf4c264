-- Keeping a table in sync with an index: s3vl.sync_table installs a trigger that records every
-- change in s3vl.outbox in the same transaction (nothing is lost while the Lambda function or
-- S3 Vectors is down); s3vl.flush sends pending changes; s3vl.key_version remembers what the
-- index holds per key; s3vl.reconcile compares table and index and repairs the difference.

CREATE TABLE IF NOT EXISTS s3vl.sync_source (
    id serial PRIMARY KEY,
    source_table regclass NOT NULL,
    key_column name NOT NULL,
    embedding_column name NOT NULL,
    index_name text NOT NULL,
    metadata_columns name[] NOT NULL DEFAULT '{}',
    created_at timestamp with time zone NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT sync_source_table_index_key UNIQUE (source_table, index_name)
);
COMMENT ON TABLE s3vl.sync_source IS
    'Tables kept in sync with an index by s3vl.sync_table: which columns hold the key, the embedding and the metadata';

CREATE TABLE IF NOT EXISTS s3vl.outbox (
    id bigserial PRIMARY KEY,
    source_id integer NOT NULL REFERENCES s3vl.sync_source (id) ON DELETE CASCADE,
    index_name text NOT NULL,
    key text NOT NULL,
    operation text NOT NULL,
    data jsonb,
    metadata jsonb,
    content_hash text,
    enqueued_at timestamp with time zone NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    attempts integer NOT NULL DEFAULT 0,
    last_attempt_at timestamp with time zone,
    last_error text,
    done_at timestamp with time zone,
    CONSTRAINT valid_operation CHECK (operation IN ('put', 'delete')),
    -- A put carries what to write; a delete carries nothing.
    CONSTRAINT put_carries_data CHECK ((operation = 'put') = (data IS NOT NULL AND content_hash IS NOT NULL)),
    CONSTRAINT valid_attempts CHECK (attempts >= 0)
);
CREATE INDEX IF NOT EXISTS outbox_pending ON s3vl.outbox (index_name, id) WHERE done_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_pending_key ON s3vl.outbox (index_name, key) WHERE done_at IS NULL;
COMMENT ON TABLE s3vl.outbox IS
    'Changes of synced tables waiting for s3vl.flush (done_at NULL), with attempts and the last error; done rows are kept until purged';

CREATE TABLE IF NOT EXISTS s3vl.key_version (
    index_name text NOT NULL,
    key text NOT NULL,
    version bigint NOT NULL,
    content_hash text NOT NULL,
    synced_at timestamp with time zone NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (index_name, key),
    CONSTRAINT valid_version CHECK (version >= 1)
);
COMMENT ON TABLE s3vl.key_version IS
    'Per index and key: how many times s3vl.flush wrote it and the hash of what it wrote (embedding as float32 and metadata)';

-- s3vl._content_hash: what identifies one version of a vector: its float32 values and metadata.
-- Computed the same way from a table row and from the index, so the two compare.
CREATE OR REPLACE FUNCTION s3vl._content_hash(data real[], metadata jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT pg_catalog.md5(pg_catalog.to_jsonb(data)::text || '|'
                          || coalesce(nullif(metadata, 'null'::jsonb), '{}'::jsonb)::text)
$$;
COMMENT ON FUNCTION s3vl._content_hash(real[], jsonb) IS
    'Private: md5 of a vector''s float32 values and metadata, comparable between a table row and the index';

-- s3vl._row_change: what a synced row means for the index: (key, data as a JSON array of float32
-- values, metadata, hash); data NULL when the row has no embedding (then it is not indexed).
-- Checks the embedding and metadata like put_vectors does, naming the table and the key.
CREATE OR REPLACE FUNCTION s3vl._row_change(source s3vl.sync_source, row_value jsonb)
RETURNS TABLE (key text, data jsonb, metadata jsonb, content_hash text)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_key text := row_value ->> source.key_column;
    v_raw jsonb := row_value -> source.embedding_column;
    v_vector real[];
    v_metadata jsonb;
    v_index record;
    v_message text;
    v_hint text;
BEGIN
    IF v_key IS NULL THEN
        RAISE EXCEPTION 's3vl sync of %: column "%" is NULL, and it is the key in index "%"',
            source.source_table, source.key_column, source.index_name
            USING ERRCODE = 'not_null_violation',
                  DETAIL = 'Every synced row needs a key: it names the row''s vector.',
                  HINT = pg_catalog.format('Give column %I a value, or make it NOT NULL.', source.key_column);
    END IF;
    IF v_raw IS NULL OR v_raw = 'null'::jsonb THEN
        RETURN QUERY SELECT v_key, NULL::jsonb, NULL::jsonb, NULL::text;
        RETURN;
    END IF;
    IF pg_catalog.jsonb_typeof(v_raw) = 'string' THEN  -- pgvector's text form '[1,2,3]'
        v_raw := (v_raw #>> '{}')::jsonb;
    END IF;
    SELECT * INTO v_index FROM s3vl.index_registry AS r WHERE r.index_name = source.index_name;
    SELECT pg_catalog.jsonb_object_agg(c.name, row_value -> c.name)
    INTO v_metadata
    FROM pg_catalog.unnest(source.metadata_columns) AS c(name)
    WHERE pg_catalog.jsonb_typeof(row_value -> c.name) IS DISTINCT FROM 'null';
    BEGIN
        PERFORM s3vl._check_put_items('sync_table', 'jsonb',
            pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                'key', v_key, 'data', v_raw, 'metadata', v_metadata)),
            NULL, v_index.dimension, v_index.distance_metric, source.index_name);
    EXCEPTION WHEN invalid_parameter_value THEN
        GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_hint = PG_EXCEPTION_HINT;
        RAISE EXCEPTION 's3vl sync of %: the row with key % cannot go to index "%": %',
            source.source_table, pg_catalog.quote_literal(v_key), source.index_name,
            pg_catalog.regexp_replace(v_message, '^s3vl\.sync_table: argument "vectors\[0\]\.(\w+)"',
                'its \1 (' || CASE WHEN v_message ~ '\.data"' THEN 'column ' || pg_catalog.quote_ident(source.embedding_column)
                                   ELSE 'columns ' || pg_catalog.array_to_string(source.metadata_columns, ', ') END || ')')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A synced row must be writable to the index: the change is refused before it is recorded.',
                  HINT = v_hint;
    END;
    v_vector := s3vl._float8_array(v_raw)::real[];
    v_metadata := coalesce(v_metadata, '{}'::jsonb);
    RETURN QUERY SELECT v_key, pg_catalog.to_jsonb(v_vector), v_metadata,
                        s3vl._content_hash(v_vector, v_metadata);
END
$$;
COMMENT ON FUNCTION s3vl._row_change(s3vl.sync_source, jsonb) IS
    'Private: key, float32 data, metadata and hash of a synced row (data NULL without an embedding); 22023 when the index would refuse it';

-- s3vl._enqueue: record one change (a row without embedding as a delete); returns 1.
CREATE OR REPLACE FUNCTION s3vl._enqueue(source s3vl.sync_source, row_value jsonb)
RETURNS integer
LANGUAGE sql VOLATILE
AS $$
    WITH recorded AS (
        INSERT INTO s3vl.outbox (source_id, index_name, key, operation, data, metadata, content_hash)
        SELECT source.id, source.index_name, c.key,
               CASE WHEN c.data IS NULL THEN 'delete' ELSE 'put' END, c.data, c.metadata, c.content_hash
        FROM s3vl._row_change(source, row_value) AS c
        RETURNING 1
    )
    SELECT pg_catalog.count(*)::integer FROM recorded
$$;
COMMENT ON FUNCTION s3vl._enqueue(s3vl.sync_source, jsonb) IS
    'Private: records the put (or, without an embedding, the delete) a synced row asks for; returns 1';

-- s3vl._sync_capture: the row trigger of a synced table (argument: the sync_source id).
CREATE OR REPLACE FUNCTION s3vl._sync_capture()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_source s3vl.sync_source;
    v_new jsonb;
    v_old jsonb;
    v_watched text[];
BEGIN
    SELECT * INTO STRICT v_source FROM s3vl.sync_source AS s WHERE s.id = TG_ARGV[0]::integer;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        v_old := pg_catalog.to_jsonb(OLD);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        v_new := pg_catalog.to_jsonb(NEW);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- Only the key, the embedding and the metadata columns reach the index.
        v_watched := ARRAY[v_source.key_column, v_source.embedding_column]::text[]
                     || v_source.metadata_columns::text[];
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(v_watched) AS w(name)
                       WHERE v_old -> w.name IS DISTINCT FROM v_new -> w.name) THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP = 'DELETE' OR (v_old ->> v_source.key_column) IS DISTINCT FROM (v_new ->> v_source.key_column) THEN
        IF v_old ->> v_source.key_column IS NOT NULL THEN
            INSERT INTO s3vl.outbox (source_id, index_name, key, operation)
            VALUES (v_source.id, v_source.index_name, v_old ->> v_source.key_column, 'delete');
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM s3vl._enqueue(v_source, v_new);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION s3vl._sync_capture() IS
    'Private: row trigger of a synced table; records the change in s3vl.outbox in the same transaction';

-- s3vl._sync_truncate: TRUNCATE skips row triggers; record a delete for every row first.
CREATE OR REPLACE FUNCTION s3vl._sync_truncate()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_source s3vl.sync_source;
BEGIN
    SELECT * INTO STRICT v_source FROM s3vl.sync_source AS s WHERE s.id = TG_ARGV[0]::integer;
    EXECUTE pg_catalog.format(
        'INSERT INTO s3vl.outbox (source_id, index_name, key, operation)
         SELECT $1, $2, t.%I::text, ''delete'' FROM %s AS t WHERE t.%I IS NOT NULL',
        v_source.key_column, v_source.source_table, v_source.key_column)
    USING v_source.id, v_source.index_name;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION s3vl._sync_truncate() IS
    'Private: statement trigger before TRUNCATE of a synced table; records a delete per row';

-- s3vl._check_trigger_privilege: the caller may put triggers on the table. Inside SECURITY
-- DEFINER the caller's role is not visible, so the login role (session_user) is checked.
CREATE OR REPLACE FUNCTION s3vl._check_trigger_privilege(fn text, source_table regclass)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT pg_catalog.has_table_privilege(session_user, source_table, 'TRIGGER') THEN
        RAISE EXCEPTION 's3vl.%: role % may not put triggers on table %', fn, session_user, source_table
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Syncing a table installs a trigger on it, which needs the TRIGGER privilege (or ownership).',
                  HINT = pg_catalog.format('Ask the owner of %s to run this, or to GRANT TRIGGER ON %s TO %I.',
                                           source_table, source_table, session_user);
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._check_trigger_privilege(text, regclass) IS
    'Private: SQLSTATE 42501 unless the login role may create triggers on the table';

-- s3vl._column_type: the type of a table's column, NULL when it has no such column.
CREATE OR REPLACE FUNCTION s3vl._column_type(source_table regclass, column_name text)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.format_type(a.atttypid, a.atttypmod)
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = source_table AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped
$$;
COMMENT ON FUNCTION s3vl._column_type(regclass, text) IS
    'Private: format_type of a column of the table, NULL when the table has no such column';

-- s3vl._check_sync_arguments: the synced table's columns exist, the index is registered with a
-- dimension, and the caller may put triggers on the table. Returns the index.
CREATE OR REPLACE FUNCTION s3vl._check_sync_arguments(
    fn text, source_table regclass, key_column text, embedding_column text, index_name text,
    metadata_columns text[])
RETURNS record
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_index record;
    v_type text;
    v_missing text;
BEGIN
    IF source_table IS NULL THEN
        PERFORM s3vl._invalid(fn, 'table', 'must not be NULL', 'Pass the table, e.g. ''public.documents''::regclass.');
    END IF;
    PERFORM s3vl._check_trigger_privilege(fn, source_table);
    SELECT * INTO v_index FROM s3vl._write_target(fn, index_name);
    IF v_index.dimension IS NULL THEN
        PERFORM s3vl._invalid(fn, 'index_name', 'must name a registered index (its dimension is checked on every change)',
            'Register the index with s3vl.register_index(index_name => ''NAME'', index_arn => ''arn:...'') first.');
    END IF;
    IF (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = source_table) NOT IN ('r', 'p') THEN
        PERFORM s3vl._invalid(fn, 'table', pg_catalog.format('must be a table, and %s is not', source_table),
            'Sync the table the rows are written to (a view or foreign table cannot carry the capture trigger).');
    END IF;
    IF s3vl._column_type(source_table, key_column) IS NULL THEN
        PERFORM s3vl._invalid(fn, 'key_column', pg_catalog.format('names no column of %s: %L', source_table, key_column),
            'Pass the column whose value names each row''s vector, usually the primary key.');
    END IF;
    v_type := s3vl._column_type(source_table, embedding_column);
    IF v_type IS NULL THEN
        PERFORM s3vl._invalid(fn, 'embedding_column', pg_catalog.format('names no column of %s: %L', source_table, embedding_column),
            'Pass the column holding the embedding (real[], double precision[], numeric[] or pgvector''s vector).');
    ELSIF v_type NOT IN ('real[]', 'double precision[]', 'numeric[]') AND v_type !~ '^vector(\(\d+\))?$' THEN
        PERFORM s3vl._invalid(fn, 'embedding_column',
            pg_catalog.format('is of type %s; it must hold numbers', v_type),
            'Use a real[], double precision[], numeric[] or pgvector vector column.');
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.quote_literal(m.name), ', ') INTO v_missing
    FROM pg_catalog.unnest(metadata_columns) AS m(name)
    WHERE s3vl._column_type(source_table, m.name) IS NULL;
    IF v_missing IS NOT NULL THEN
        PERFORM s3vl._invalid(fn, 'metadata_columns', pg_catalog.format('names no column of %s: %s', source_table, v_missing),
            'List columns of the table whose values become the vector''s metadata, or pass NULL.');
    END IF;
    RETURN v_index;
END
$$;
COMMENT ON FUNCTION s3vl._check_sync_arguments(text, regclass, text, text, text, text[]) IS
    'Private: checks the arguments of sync_table and the caller''s TRIGGER privilege; returns the index';

-- s3vl.sync_table: keep an index in sync with a table. Every insert, update and delete of the
-- table is recorded in s3vl.outbox in the same transaction; s3vl.flush sends them. With backfill
-- (the default) the rows already there are recorded too, so the first flush loads them.
CREATE OR REPLACE FUNCTION s3vl.sync_table(
    "table" regclass,
    key_column text,
    embedding_column text,
    index_name text,
    metadata_columns text[] DEFAULT NULL,
    backfill boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_source s3vl.sync_source;
    v_trigger text;
    v_rows integer := 0;
BEGIN
    v_index := s3vl._check_sync_arguments('sync_table', $1, $2, $3, $4, $5);
    PERFORM s3vl._check_flag('sync_table', 'backfill', $6);
    IF EXISTS (SELECT 1 FROM s3vl.sync_source AS s WHERE s.source_table = $1 AND s.index_name = $4) THEN
        RAISE EXCEPTION 's3vl.sync_table: table % is already synced with index "%"', $1, $4
            USING ERRCODE = 'duplicate_object',
                  DETAIL = 'One trigger per table and index.',
                  HINT = pg_catalog.format('To change the columns, first run SELECT s3vl.unsync_table(%L, %L);', $1::text, $4);
    END IF;

    INSERT INTO s3vl.sync_source (source_table, key_column, embedding_column, index_name, metadata_columns)
    VALUES ($1, $2, $3, v_index.label, coalesce($5, '{}'))
    RETURNING * INTO v_source;

    v_trigger := 's3vl_sync_' || v_source.id;
    EXECUTE pg_catalog.format(
        'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION s3vl._sync_capture(%L)',
        v_trigger, $1, v_source.id);
    EXECUTE pg_catalog.format(
        'CREATE TRIGGER %I BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION s3vl._sync_truncate(%L)',
        v_trigger || '_truncate', $1, v_source.id);

    IF $6 THEN
        EXECUTE pg_catalog.format(
            'SELECT coalesce(pg_catalog.sum(s3vl._enqueue($1, pg_catalog.to_jsonb(t))), 0)::integer FROM %s AS t', $1)
        INTO v_rows USING v_source;
    END IF;
    RETURN v_rows;
END
$$;
COMMENT ON FUNCTION s3vl.sync_table(regclass, text, text, text, text[], boolean) IS
    'Keeps an index in sync with a table: a trigger records every change in s3vl.outbox in the same transaction (s3vl.flush sends them); returns how many existing rows were queued (backfill)';

-- s3vl.unsync_table: stop syncing; drops the triggers and the table's pending changes.
CREATE OR REPLACE FUNCTION s3vl.unsync_table("table" regclass, index_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_source s3vl.sync_source;
BEGIN
    SELECT * INTO v_source FROM s3vl.sync_source AS s WHERE s.source_table = $1 AND s.index_name = $2;
    IF NOT FOUND THEN
        RAISE EXCEPTION 's3vl.unsync_table: table % is not synced with index "%"', $1, $2
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'Arguments "table" and "index_name" must match a call of s3vl.sync_table.',
                  HINT = 'See SELECT * FROM s3vl.sync_status();';
    END IF;
    -- Only the privilege: the index may be unregistered, or a column gone, by now.
    PERFORM s3vl._check_trigger_privilege('unsync_table', $1);
    EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', 's3vl_sync_' || v_source.id, $1);
    EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', 's3vl_sync_' || v_source.id || '_truncate', $1);
    DELETE FROM s3vl.sync_source AS s WHERE s.id = v_source.id;
    RETURN true;
END
$$;
COMMENT ON FUNCTION s3vl.unsync_table(regclass, text) IS
    'Stops syncing a table with an index: drops its triggers and its pending changes; the index is not touched';

-- s3vl._claim: lock the next pending changes of an index for this flush. Takes up to batch_size
-- changes in order, plus the later changes of the same keys (coalesced: the latest wins), and
-- gives back any key another flush holds a change of, so one key is never in two flushes.
CREATE OR REPLACE FUNCTION s3vl._claim(index_name text, batch_size integer, passed bigint[])
RETURNS TABLE (key text, ids bigint[], operation text, data jsonb, metadata jsonb,
               content_hash text, first_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_first bigint[];
    v_mine bigint[];
BEGIN
    SELECT pg_catalog.array_agg(c.id) INTO v_first FROM (
        SELECT o.id FROM s3vl.outbox AS o
        WHERE o.index_name = _claim.index_name AND o.done_at IS NULL AND o.id <> ALL (passed)
        ORDER BY o.id
        LIMIT batch_size
        FOR UPDATE SKIP LOCKED) AS c;
    IF v_first IS NULL THEN
        RETURN;
    END IF;
    -- The other pending changes of the same keys, when no other flush holds them.
    SELECT v_first || coalesce(pg_catalog.array_agg(c.id), '{}') INTO v_mine FROM (
        SELECT o.id FROM s3vl.outbox AS o
        WHERE o.index_name = _claim.index_name AND o.done_at IS NULL
          AND o.key IN (SELECT f.key FROM s3vl.outbox AS f WHERE f.id = ANY (v_first))
          AND o.id <> ALL (v_first)
        FOR UPDATE SKIP LOCKED) AS c;
    RETURN QUERY
    WITH mine AS (
        SELECT o.* FROM s3vl.outbox AS o WHERE o.id = ANY (v_mine)
    ), free AS (
        -- A pending change of the key that is not ours belongs to another flush: skip the key.
        SELECT DISTINCT m.key FROM mine AS m
        WHERE NOT EXISTS (SELECT 1 FROM s3vl.outbox AS o
                          WHERE o.index_name = _claim.index_name AND o.key = m.key
                            AND o.done_at IS NULL AND o.id <> ALL (v_mine))
    )
    SELECT m.key, pg_catalog.array_agg(m.id ORDER BY m.id),
           (pg_catalog.array_agg(m.operation ORDER BY m.id DESC))[1],
           (pg_catalog.array_agg(m.data ORDER BY m.id DESC))[1],
           (pg_catalog.array_agg(m.metadata ORDER BY m.id DESC))[1],
           (pg_catalog.array_agg(m.content_hash ORDER BY m.id DESC))[1],
           pg_catalog.min(m.id)
    FROM mine AS m
    WHERE m.key IN (SELECT f.key FROM free AS f)
    GROUP BY m.key
    UNION ALL
    -- Keys held elsewhere: returned with operation NULL so the caller passes over their ids.
    SELECT m.key, pg_catalog.array_agg(m.id), NULL, NULL, NULL, NULL, pg_catalog.min(m.id)
    FROM mine AS m
    WHERE m.key NOT IN (SELECT f.key FROM free AS f)
    GROUP BY m.key;
END
$$;
COMMENT ON FUNCTION s3vl._claim(text, integer, bigint[]) IS
    'Private: locks the next pending changes of an index (FOR UPDATE SKIP LOCKED), coalesced per key';

-- s3vl._settle: after a send, mark its changes done (and remember what the index now holds),
-- or count the attempt and keep the error.
CREATE OR REPLACE FUNCTION s3vl._settle(index_name text, changes jsonb, error text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF error IS NOT NULL THEN
        UPDATE s3vl.outbox AS o
        SET attempts = o.attempts + 1, last_attempt_at = pg_catalog.clock_timestamp(), last_error = error
        WHERE o.id IN (SELECT pg_catalog.jsonb_array_elements_text(c -> 'ids')::bigint
                       FROM pg_catalog.jsonb_array_elements(changes) AS c);
        RETURN;
    END IF;
    UPDATE s3vl.outbox AS o
    SET done_at = pg_catalog.clock_timestamp(), last_attempt_at = pg_catalog.clock_timestamp(),
        attempts = o.attempts + 1
    WHERE o.id IN (SELECT pg_catalog.jsonb_array_elements_text(c -> 'ids')::bigint
                   FROM pg_catalog.jsonb_array_elements(changes) AS c);
    INSERT INTO s3vl.key_version AS v (index_name, key, version, content_hash)
    SELECT _settle.index_name, c ->> 'key', 1, c ->> 'content_hash'
    FROM pg_catalog.jsonb_array_elements(changes) AS c
    WHERE c ->> 'operation' = 'put'
    ON CONFLICT ON CONSTRAINT key_version_pkey DO UPDATE
    SET version = v.version + 1, content_hash = EXCLUDED.content_hash, synced_at = pg_catalog.now();
    DELETE FROM s3vl.key_version AS v
    WHERE v.index_name = _settle.index_name
      AND v.key IN (SELECT c ->> 'key' FROM pg_catalog.jsonb_array_elements(changes) AS c
                    WHERE c ->> 'operation' = 'delete');
END
$$;
COMMENT ON FUNCTION s3vl._settle(text, jsonb, text) IS
    'Private: marks sent changes done and records key versions, or counts a failed attempt with its error';

-- s3vl.flush: send an index's pending changes, batch_size changes at a time, until none is
-- left or a send fails. Repeated changes of one key are coalesced (the latest wins). A change is
-- marked done only after S3 Vectors accepted it; a failed send stays pending with its error and
-- attempt count, and flush stops there. Flushes in several sessions share the work: claimed
-- changes stay locked until the caller's transaction ends (FOR UPDATE SKIP LOCKED), and a key
-- is never in two flushes at once, so no change is sent twice and a key's changes stay in order.
CREATE OR REPLACE FUNCTION s3vl.flush(index_name text, batch_size integer DEFAULT 500)
RETURNS TABLE (put_count integer, delete_count integer, failed_count integer,
               pending_count bigint, last_error text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_passed bigint[] := '{}';
    v_changes jsonb;
    v_light jsonb;
    v_send record;
    v_settled text[];
    v_puts integer := 0;
    v_deletes integer := 0;
    v_failed integer := 0;
    v_error text;
BEGIN
    SELECT * INTO v_index FROM s3vl._write_target('flush', $1);
    IF batch_size IS NULL OR batch_size NOT BETWEEN 1 AND 10000 THEN
        PERFORM s3vl._invalid('flush', 'batch_size',
            pg_catalog.format('must be between 1 and 10000, got %s', coalesce(batch_size::text, 'NULL')),
            'Pass batch_size => 500: each batch goes out in invocations of at most 500 vectors.');
    END IF;

    <<batches>>
    LOOP
        SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY c.first_id) INTO v_changes
        FROM s3vl._claim(v_index.label, batch_size, v_passed) AS c;
        EXIT WHEN v_changes IS NULL;
        -- Keys another flush holds are passed over from now on (that flush sends them).
        v_passed := v_passed || ARRAY(
            SELECT pg_catalog.jsonb_array_elements_text(c -> 'ids')::bigint
            FROM pg_catalog.jsonb_array_elements(v_changes) AS c
            WHERE c -> 'operation' = 'null'::jsonb);
        v_settled := '{}';
        -- What settling needs, without the vectors (large: kept out of the per-send work).
        SELECT pg_catalog.jsonb_agg(c - 'data' - 'metadata') INTO v_light
        FROM pg_catalog.jsonb_array_elements(v_changes) AS c;

        -- Deletes, then puts (distinct keys, so their order does not matter), each cut like
        -- delete_vectors and put_vectors cut theirs.
        FOR v_send IN
            SELECT 'delete' AS operation, d.n, NULL::jsonb AS vectors,
                   pg_catalog.array_agg(d.c ->> 'key' ORDER BY (d.c ->> 'first_id')::bigint) AS keys
            FROM (SELECT c, (pg_catalog.row_number() OVER (ORDER BY (c ->> 'first_id')::bigint) - 1) / 500 AS n
                  FROM pg_catalog.jsonb_array_elements(v_changes) AS c
                  WHERE c ->> 'operation' = 'delete') AS d
            GROUP BY d.n
            UNION ALL
            SELECT 'put', b.batch, b.vectors, b.keys
            FROM s3vl._put_batches((
                SELECT pg_catalog.jsonb_agg(
                           pg_catalog.jsonb_build_object('key', c -> 'key', 'data', c -> 'data')
                           || CASE WHEN c -> 'metadata' = '{}'::jsonb THEN '{}'::jsonb
                                   ELSE pg_catalog.jsonb_build_object('metadata', c -> 'metadata') END
                           ORDER BY (c ->> 'first_id')::bigint)
                FROM pg_catalog.jsonb_array_elements(v_changes) AS c
                WHERE c ->> 'operation' = 'put')) AS b
            ORDER BY 1, 2
        LOOP
            BEGIN
                IF v_send.operation = 'delete' THEN
                    PERFORM s3vl._send_delete('flush', v_index.arn, v_send.keys);
                ELSE
                    PERFORM s3vl._send_put('flush', v_index.arn, v_send.vectors);
                END IF;
            EXCEPTION WHEN OTHERS THEN
                v_error := SQLERRM;
            END;
            IF v_error IS NOT NULL THEN
                -- This send and every later one of the batch stay pending, with the error.
                SELECT pg_catalog.count(*) INTO v_failed
                FROM pg_catalog.jsonb_array_elements(v_light) AS c
                WHERE c -> 'operation' <> 'null'::jsonb AND (c ->> 'key') <> ALL (v_settled);
                PERFORM s3vl._settle(v_index.label,
                    (SELECT pg_catalog.jsonb_agg(c) FROM pg_catalog.jsonb_array_elements(v_light) AS c
                     WHERE c -> 'operation' <> 'null'::jsonb AND (c ->> 'key') <> ALL (v_settled)),
                    v_error);
                RAISE WARNING 's3vl.flush: % change(s) of index "%" stay pending: %', v_failed, v_index.label, v_error
                    USING HINT = 'They are retried by the next s3vl.flush; see attempts and last_error in SELECT * FROM s3vl.sync_status();';
                EXIT batches;
            END IF;
            PERFORM s3vl._settle(v_index.label,
                (SELECT pg_catalog.jsonb_agg(c) FROM pg_catalog.jsonb_array_elements(v_light) AS c
                 WHERE (c ->> 'key') = ANY (v_send.keys)),
                NULL);
            v_settled := v_settled || v_send.keys;
            IF v_send.operation = 'delete' THEN
                v_deletes := v_deletes + pg_catalog.cardinality(v_send.keys);
            ELSE
                v_puts := v_puts + pg_catalog.cardinality(v_send.keys);
            END IF;
        END LOOP;
    END LOOP;

    RETURN QUERY
    SELECT v_puts, v_deletes, v_failed,
           (SELECT pg_catalog.count(*) FROM s3vl.outbox AS o
            WHERE o.index_name = v_index.label AND o.done_at IS NULL),
           v_error;
END
$$;
COMMENT ON FUNCTION s3vl.flush(text, integer) IS
    'Sends an index''s pending changes (coalesced per key, in order) until none is left or a send fails; marks them done only once S3 Vectors accepted them; safe in several sessions at once (SKIP LOCKED); returns put_count, delete_count, failed_count, pending_count, last_error';

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

-- s3vl.purge_outbox: forget changes that were sent longer ago than keep.
CREATE OR REPLACE FUNCTION s3vl.purge_outbox(keep interval DEFAULT '7 days')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count bigint;
BEGIN
    IF keep IS NULL OR keep < interval '0' THEN
        PERFORM s3vl._invalid('purge_outbox', 'keep', 'must be a positive interval',
            'Pass e.g. keep => interval ''1 day''; changes sent before now() - keep are deleted.');
    END IF;
    DELETE FROM s3vl.outbox AS o WHERE o.done_at < pg_catalog.now() - keep;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION s3vl.purge_outbox(interval) IS
    'Deletes outbox rows sent longer ago than keep (default 7 days); returns how many';

-- Privileges: writers sync, flush and reconcile; the tables and helpers only through these.
REVOKE ALL ON s3vl.sync_source, s3vl.outbox, s3vl.key_version FROM PUBLIC;
REVOKE ALL ON SEQUENCE s3vl.sync_source_id_seq, s3vl.outbox_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION
    s3vl._content_hash(real[], jsonb),
    s3vl._row_change(s3vl.sync_source, jsonb),
    s3vl._enqueue(s3vl.sync_source, jsonb),
    s3vl._sync_capture(),
    s3vl._sync_truncate(),
    s3vl._check_trigger_privilege(text, regclass),
    s3vl._column_type(regclass, text),
    s3vl._check_sync_arguments(text, regclass, text, text, text, text[]),
    s3vl._claim(text, integer, bigint[]),
    s3vl._settle(text, jsonb, text),
    s3vl._synced(text, regclass, text),
    s3vl.sync_table(regclass, text, text, text, text[], boolean),
    s3vl.unsync_table(regclass, text),
    s3vl.flush(text, integer),
    s3vl.stale_keys(regclass, text),
    s3vl.reconcile(regclass, text, boolean),
    s3vl.sync_status(),
    s3vl.purge_outbox(interval)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    s3vl.sync_table(regclass, text, text, text, text[], boolean),
    s3vl.unsync_table(regclass, text),
    s3vl.flush(text, integer),
    s3vl.stale_keys(regclass, text),
    s3vl.reconcile(regclass, text, boolean),
    s3vl.sync_status(),
    s3vl.purge_outbox(interval)
TO s3vl_writer;
