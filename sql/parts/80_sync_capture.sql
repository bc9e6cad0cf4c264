-- Keeping a table in sync with an index, part 1: capture. s3vl.sync_table installs a trigger
-- that records every change in s3vl.outbox in the same transaction (nothing is lost while the
-- Lambda function or S3 Vectors is down). Delivery is 81_sync_delivery.sql, verification
-- 82_sync_verification.sql.

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
