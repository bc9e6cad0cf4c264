-- Keeping a table in sync with an index, part 1: capture. s3vl.sync_table installs a trigger
-- that records every change in s3vl.outbox in the same transaction (nothing is lost while the
-- Lambda function or S3 Vectors is down). Delivery is 81_sync_delivery.sql, verification
-- 82_sync_verification.sql.
--
-- How sync reads a user's table. The capture triggers run with s3vl's rights (any role that
-- writes the table gets its changes recorded without being granted s3vl's tables), so they never
-- run code a user wrote: they read the synced columns by name, only columns of built-in types
-- (whose casts, operators and I/O no user can replace), and never a whole row (to_jsonb(row)
-- would call a user's cast to json of any column). Everything else that reads the table
-- (sync_table's backfill, stale_keys, reconcile) runs with the caller's own rights, checks the
-- caller may read each synced column, and hands s3vl plain values.

-- s3vl._content_hash
CREATE OR REPLACE FUNCTION s3vl._content_hash(data real[], metadata jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT pg_catalog.md5(pg_catalog.to_jsonb(data)::text || '|'
                          || coalesce(nullif(metadata, 'null'::jsonb), '{}'::jsonb)::text)
$$;
COMMENT ON FUNCTION s3vl._content_hash(real[], jsonb) IS
    'Private: what identifies one version of a vector: md5 of its float32 values and metadata, computed the same way from a table row and from the index, so the two compare';

-- s3vl._type_is_built_in
-- Only a superuser can define the casts, operators and I/O of these: the types of pg_catalog,
-- and pgvector's vector when it is a superuser-owned type of the extension `vector`.
-- PL/pgSQL, not SQL: every capture trigger call asks it of each synced column, and a SQL
-- function's query is planned again on each call (90 us a column; issue 11, bench_write's INSERT).
CREATE OR REPLACE FUNCTION s3vl._type_is_built_in(type_oid oid)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (
        SELECT t.typnamespace = 'pg_catalog'::regnamespace
               OR (t.typname = 'vector' AND t.typtype = 'b'
                   AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.oid = t.typowner AND r.rolsuper)
                   AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend AS d
                               JOIN pg_catalog.pg_extension AS e ON e.oid = d.refobjid
                               WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid
                                 AND d.deptype = 'e' AND e.extname = 'vector'))
        FROM pg_catalog.pg_type AS t WHERE t.oid = type_oid);
END
$$;
COMMENT ON FUNCTION s3vl._type_is_built_in(oid) IS
    'Private: whether a type is built in (pg_catalog, or pgvector''s vector), so reading it runs no user-written code';

-- s3vl._check_sync_columns
-- Checked by sync_table, and again by every trigger call and every read: ALTER TABLE may change
-- a column's type after sync_table.
CREATE OR REPLACE FUNCTION s3vl._check_sync_columns(
    fn text, source_table regclass, key_column text, embedding_column text, metadata_columns text[])
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_bad record;
BEGIN
    SELECT c.argument, c.name, a.atttypid, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_name
    INTO v_bad
    FROM (SELECT 'key_column' AS argument, key_column AS name, 0::bigint AS n
          UNION ALL SELECT 'embedding_column', embedding_column, 1
          UNION ALL SELECT 'metadata_columns', m.name, 1 + m.n
                    FROM pg_catalog.unnest(metadata_columns) WITH ORDINALITY AS m(name, n)) AS c
    LEFT JOIN pg_catalog.pg_attribute AS a
        ON a.attrelid = source_table AND a.attname = c.name AND a.attnum > 0 AND NOT a.attisdropped
    WHERE a.attname IS NULL OR NOT s3vl._type_is_built_in(a.atttypid)
    ORDER BY c.n LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_bad.atttypid IS NULL THEN
        PERFORM s3vl._invalid(fn, v_bad.argument,
            pg_catalog.format('names no column of %s: %L', source_table, v_bad.name),
            CASE v_bad.argument
                WHEN 'key_column' THEN 'Pass the column whose value names each row''s vector, usually the primary key.'
                WHEN 'embedding_column' THEN 'Pass the column holding the embedding (real[], double precision[], numeric[] or pgvector''s vector), or a text column to embed.'
                ELSE 'List columns of the table whose values become the vector''s metadata, or pass NULL.' END);
    END IF;
    PERFORM s3vl._invalid(fn, v_bad.argument,
        pg_catalog.format('names column %I of %s, of type %s, which is not built in', v_bad.name, source_table, v_bad.type_name),
        pg_catalog.format('s3vl reads synced columns with its own rights, so only built-in types (text, numbers, boolean, dates, arrays of them, pgvector''s vector): never a type whose casts or I/O a user wrote. Sync a generated column instead, e.g. ALTER TABLE %s ADD COLUMN %I text GENERATED ALWAYS AS (%I::text) STORED;',
            source_table, v_bad.name || '_text', v_bad.name));
END
$$;
COMMENT ON FUNCTION s3vl._check_sync_columns(text, regclass, text, text, text[]) IS
    'Private: SQLSTATE 22023 naming the argument when a column sync reads is missing or not of a built-in type';

-- s3vl._read_columns
-- Only catalog names go in, through %I. A real[] or pgvector vector column comes as real[]
-- (column vector, embedding NULL), read as it is stored: printing it into JSON and parsing that
-- back was two thirds of a capture trigger call (issue 11). Other number arrays stay JSON: their
-- cast to real[] could fail before the checks name the problem.
CREATE OR REPLACE FUNCTION s3vl._read_columns(source s3vl.sync_source, row_ref text)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.format('(%1$s.%2$I)::text AS key, %4$s AS embedding, %5$s AS vector, %6$s AS metadata',
               row_ref, source.key_column, source.embedding_column,
               CASE WHEN c.as_vector THEN 'NULL::pg_catalog.jsonb'
                    -- pgvector's vector becomes real[] through the extension's own cast; a text
                    -- column is read as text (a JSON string), embedded at flush (65_embeddings.sql).
                    ELSE pg_catalog.format('pg_catalog.to_jsonb((%s.%I)%s)', row_ref, source.embedding_column,
                             CASE WHEN a.atttypid IN ('real[]'::regtype, 'double precision[]'::regtype, 'numeric[]'::regtype)
                                  THEN ''
                                  WHEN s3vl._text_column(source.source_table, source.embedding_column) THEN '::pg_catalog.text'
                                  ELSE '::pg_catalog.float4[]' END) END,
               CASE WHEN c.as_vector THEN pg_catalog.format('(%s.%I)::pg_catalog.float4[]', row_ref, source.embedding_column)
                    ELSE 'NULL::pg_catalog.float4[]' END,
               coalesce((SELECT pg_catalog.string_agg(
                                    pg_catalog.format('pg_catalog.jsonb_build_object(%L, %s.%I)', m.name, row_ref, m.name),
                                    ' || ' ORDER BY m.n)
                         FROM pg_catalog.unnest(source.metadata_columns) WITH ORDINALITY AS m(name, n)),
                        '''{}''::jsonb'))
    FROM pg_catalog.pg_attribute AS a
    -- real[], and what the JSON reading casts to real[] (pgvector's vector)
    CROSS JOIN LATERAL (SELECT (a.atttypid = 'real[]'::regtype
                                            OR (a.atttypid NOT IN ('double precision[]'::regtype, 'numeric[]'::regtype)
                                                AND NOT s3vl._text_column(source.source_table, source.embedding_column)))
                        AS as_vector) AS c
    WHERE a.attrelid = source.source_table AND a.attname = source.embedding_column
$$;
COMMENT ON FUNCTION s3vl._read_columns(s3vl.sync_source, text) IS
    'Private: the select list that reads a synced row from row_ref (a table alias such as t, or a row passed to EXECUTE as a parameter) by column name: key (text), embedding (a JSON array, or a JSON string for a text column), vector (a real[] or vector column as real[], embedding NULL then) and metadata (a JSON object of the metadata columns)';

-- s3vl._row_change
DROP FUNCTION IF EXISTS s3vl._row_change(s3vl.sync_source, text, jsonb, jsonb);
CREATE OR REPLACE FUNCTION s3vl._row_change(
    source s3vl.sync_source, p_key text, p_embedding jsonb, p_metadata jsonb, p_vector real[] DEFAULT NULL)
RETURNS TABLE (key text, data jsonb, metadata jsonb, content_hash text)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_numbers double precision[];
    v_vector real[];
    v_metadata jsonb;
    v_index record;
    v_message text;
    v_hint text;
BEGIN
    IF p_key IS NULL THEN
        RAISE EXCEPTION 's3vl sync of %: column "%" is NULL, and it is the key in index "%"',
            source.source_table, source.key_column, source.index_name
            USING ERRCODE = 'not_null_violation',
                  DETAIL = 'Every synced row needs a key: it names the row''s vector.',
                  HINT = pg_catalog.format('Give column %I a value, or make it NOT NULL.', source.key_column);
    END IF;
    IF p_vector IS NOT NULL THEN
        -- A row the real[] checks below cannot take goes to the JSON checks, which name the
        -- problem (the largest float32 among them: as JSON it prints above the float32 range).
        IF pg_catalog.array_ndims(p_vector) = 1
           AND (real '3.4e38' < ANY (p_vector) OR real '-3.4e38' > ANY (p_vector)) IS FALSE THEN
            v_vector := p_vector;
        ELSE
            p_embedding := pg_catalog.to_jsonb(p_vector);
        END IF;
    END IF;
    IF v_vector IS NULL AND (p_embedding IS NULL OR p_embedding = 'null'::jsonb) THEN
        RETURN QUERY SELECT p_key, NULL::jsonb, NULL::jsonb, NULL::text;
        RETURN;
    END IF;
    IF v_vector IS NULL AND pg_catalog.jsonb_typeof(p_embedding) = 'string' THEN
        -- A text column: embedded at flush with the index's model (65_embeddings.sql).
        RETURN QUERY SELECT * FROM s3vl._text_change(source, p_key, p_embedding #>> '{}', p_metadata);
        RETURN;
    END IF;
    SELECT * INTO v_index FROM s3vl.index_registry AS r WHERE r.index_name = source.index_name;
    -- NULL values are left out of the metadata, as put_vectors leaves them out.
    SELECT pg_catalog.jsonb_object_agg(e.key, e.value) INTO v_metadata
    FROM pg_catalog.jsonb_each(p_metadata) AS e
    WHERE pg_catalog.jsonb_typeof(e.value) <> 'null';
    -- A row of finite numbers well inside the float32 range, as a numeric column's nearly always
    -- is, is checked as a real[] (a few C loops over it); anything else (NULL or non-numeric
    -- elements, NaN, values near or past the float32 limit, nested arrays, no elements) by the
    -- JSON checks, which name the problem. Both give the same answer for such a row; the first
    -- takes a fifth of the time (issue 11, bench_write's INSERT).
    IF v_vector IS NULL THEN
        BEGIN
            v_numbers := s3vl._float8_array(p_embedding);
        EXCEPTION WHEN OTHERS THEN
            v_numbers := NULL;  -- not numbers: the JSON checks say which element
        END;
        IF pg_catalog.array_ndims(v_numbers) = 1
           AND (3.4e38::double precision < ANY (v_numbers) OR -3.4e38::double precision > ANY (v_numbers)) IS FALSE THEN
            v_vector := v_numbers::real[];
        END IF;
    END IF;
    BEGIN
        PERFORM s3vl._check_put_items('sync_table', 'jsonb',
            pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                'key', p_key, 'data', CASE WHEN v_vector IS NULL THEN p_embedding END, 'metadata', v_metadata)),
            NULL, v_index.dimension, v_index.distance_metric, source.index_name,
            CASE WHEN v_vector IS NOT NULL THEN ARRAY[v_vector] END);
    EXCEPTION WHEN invalid_parameter_value THEN
        GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_hint = PG_EXCEPTION_HINT;
        RAISE EXCEPTION 's3vl sync of %: the row with key % cannot go to index "%": %',
            source.source_table, pg_catalog.quote_literal(p_key), source.index_name,
            pg_catalog.regexp_replace(v_message, '^s3vl\.sync_table: argument "vectors\[0\]\.(\w+)"',
                'its \1 (' || CASE WHEN v_message ~ '\.data"' THEN 'column ' || pg_catalog.quote_ident(source.embedding_column)
                                   ELSE 'columns ' || pg_catalog.array_to_string(source.metadata_columns, ', ') END || ')')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A synced row must be writable to the index: the change is refused before it is recorded.',
                  HINT = v_hint;
    END;
    v_vector := coalesce(v_vector, v_numbers::real[]);
    v_metadata := coalesce(v_metadata, '{}'::jsonb);
    -- Kept as flush sends it, in binary (s3vl._vector_data): no decimal text to print now
    -- or to parse at flush and in the bridge.
    RETURN QUERY SELECT p_key, s3vl._vector_data(v_vector)::jsonb, v_metadata,
                        s3vl._content_hash(v_vector, v_metadata);
END
$$;
COMMENT ON FUNCTION s3vl._row_change(s3vl.sync_source, text, jsonb, jsonb, real[]) IS
    'Private: what a synced row means for the index, from its embedding as JSON or (p_vector) as real[]: key, data (as a put sends it: {"float32_be_base64": ...}, exact float32), metadata and hash (data NULL when the row has no embedding: it is not indexed); SQLSTATE 22023 naming the table and the key when the index would refuse it, checked as put_vectors does';

-- s3vl._record_change
DROP FUNCTION IF EXISTS s3vl._record_change(s3vl.sync_source, text, boolean, text, jsonb, jsonb);
CREATE OR REPLACE FUNCTION s3vl._record_change(
    source s3vl.sync_source, p_old_key text, p_has_new boolean, p_key text, p_embedding jsonb,
    p_metadata jsonb, p_vector real[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_change record;
BEGIN
    IF p_old_key IS NOT NULL AND (NOT p_has_new OR p_key IS DISTINCT FROM p_old_key) THEN
        INSERT INTO s3vl.outbox (source_id, index_name, key, operation)
        VALUES (source.id, source.index_name, p_old_key, 'delete');
        DELETE FROM s3vl.sync_key AS k WHERE k.source_id = source.id AND k.key = p_old_key;
    END IF;
    IF NOT p_has_new THEN
        RETURN 1;
    END IF;
    SELECT * INTO v_change FROM s3vl._row_change(source, p_key, p_embedding, p_metadata, p_vector);
    INSERT INTO s3vl.outbox (source_id, index_name, key, operation, data, metadata, content_hash)
    VALUES (source.id, source.index_name, v_change.key,
            CASE WHEN v_change.data IS NULL THEN 'delete' ELSE 'put' END,
            v_change.data, v_change.metadata, v_change.content_hash);
    IF v_change.data IS NULL THEN
        DELETE FROM s3vl.sync_key AS k WHERE k.source_id = source.id AND k.key = v_change.key;
    ELSE
        INSERT INTO s3vl.sync_key AS k (source_id, key) VALUES (source.id, v_change.key)
        ON CONFLICT ON CONSTRAINT sync_key_pkey DO NOTHING;
    END IF;
    RETURN 1;
END
$$;
COMMENT ON FUNCTION s3vl._record_change(s3vl.sync_source, text, boolean, text, jsonb, jsonb, real[]) IS
    'Private: records in s3vl.outbox what one row change asks of the index: the delete of the old key when the row went away or changed its key, then the put of the new row (without an embedding, its delete); keeps s3vl.sync_key, the keys the table has put, in step; returns 1';

-- s3vl._capture_source
-- A role may put s3vl's trigger on a table of its own, naming another table's sync: hence the
-- check against the trigger's table.
CREATE OR REPLACE FUNCTION s3vl._capture_source(source_id text, trigger_table oid)
RETURNS s3vl.sync_source
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_source s3vl.sync_source;
BEGIN
    SELECT * INTO v_source FROM s3vl.sync_source AS s WHERE s.id::text = source_id;
    IF NOT FOUND OR v_source.source_table <> trigger_table THEN
        RAISE EXCEPTION 's3vl sync of %: the capture trigger names sync %, which is not this table''s',
            trigger_table::regclass, coalesce(source_id, 'NULL')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Capture triggers are made by s3vl.sync_table and name the sync they belong to.',
                  HINT = pg_catalog.format('Drop the trigger, then run s3vl.sync_table on %s.', trigger_table::regclass);
    END IF;
    PERFORM s3vl._check_sync_columns('sync_table', v_source.source_table, v_source.key_column,
                                     v_source.embedding_column, v_source.metadata_columns);
    RETURN v_source;
END
$$;
COMMENT ON FUNCTION s3vl._capture_source(text, oid) IS
    'Private: the sync_source of a capture trigger, checked against the trigger''s table and its column types';

-- s3vl._sync_capture
CREATE OR REPLACE FUNCTION s3vl._sync_capture()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 1  -- real prints its exact float32 when read as JSON (s3vl._read_columns)
AS $$
DECLARE
    v_source s3vl.sync_source := s3vl._capture_source(TG_ARGV[0], TG_RELID);
    v_old record;
    v_new record;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE pg_catalog.format('SELECT %s', s3vl._read_columns(v_source, '($1)')) INTO v_old USING OLD;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE pg_catalog.format('SELECT %s', s3vl._read_columns(v_source, '($1)')) INTO v_new USING NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM s3vl._record_change(v_source, v_old.key, false, NULL, NULL, NULL);
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM s3vl._record_change(v_source, NULL, true, v_new.key, v_new.embedding, v_new.metadata, v_new.vector);
    -- Only the key, the embedding and the metadata columns reach the index.
    ELSIF (v_old.key, v_old.embedding, v_old.vector, v_old.metadata)
          IS DISTINCT FROM (v_new.key, v_new.embedding, v_new.vector, v_new.metadata) THEN
        PERFORM s3vl._record_change(v_source, v_old.key, true, v_new.key, v_new.embedding, v_new.metadata,
                                    v_new.vector);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION s3vl._sync_capture() IS
    'Private: row trigger of a synced table (argument: the sync_source id); reads the synced columns by name and records the change in s3vl.outbox in the same transaction';

-- s3vl._sync_truncate
-- TRUNCATE skips row triggers. s3vl.sync_key is s3vl's own record, so the table is not read.
CREATE OR REPLACE FUNCTION s3vl._sync_truncate()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_source s3vl.sync_source := s3vl._capture_source(TG_ARGV[0], TG_RELID);
BEGIN
    INSERT INTO s3vl.outbox (source_id, index_name, key, operation)
    SELECT v_source.id, v_source.index_name, k.key, 'delete'
    FROM s3vl.sync_key AS k WHERE k.source_id = v_source.id
    ORDER BY k.key;
    DELETE FROM s3vl.sync_key AS k WHERE k.source_id = v_source.id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION s3vl._sync_truncate() IS
    'Private: statement trigger before TRUNCATE of a synced table; records a delete for every key the table has put (s3vl.sync_key)';

-- s3vl._check_table_privilege
-- Called by functions that run with the caller's rights: a role may send through s3vl only what
-- it may read.
CREATE OR REPLACE FUNCTION s3vl._check_table_privilege(
    fn text, source_table regclass, privilege text, columns text[])
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_column text;
BEGIN
    IF privilege = 'OWNER' AND NOT pg_catalog.pg_has_role(current_user,
            (SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid = source_table), 'USAGE') THEN
        RAISE EXCEPTION 's3vl.%: role % does not own table %', fn, current_user, source_table
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Stopping a sync drops its triggers, which only the table''s owner may do.',
                  HINT = pg_catalog.format('Ask the owner of %s to run this.', source_table);
    ELSIF privilege = 'TRIGGER' AND NOT pg_catalog.has_table_privilege(current_user, source_table, 'TRIGGER') THEN
        RAISE EXCEPTION 's3vl.%: role % may not put triggers on table %', fn, current_user, source_table
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Syncing a table installs a trigger on it, which needs the TRIGGER privilege (or ownership).',
                  HINT = pg_catalog.format('Ask the owner of %s to run this, or to GRANT TRIGGER ON %s TO %I.',
                                           source_table, source_table, current_user);
    END IF;
    SELECT c.name INTO v_column
    FROM pg_catalog.unnest(columns) WITH ORDINALITY AS c(name, n)
    WHERE NOT pg_catalog.has_column_privilege(current_user, source_table, c.name, 'SELECT')
    ORDER BY c.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 's3vl.%: role % may not read column % of table %', fn, current_user,
            pg_catalog.quote_ident(v_column), source_table
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Sync sends the key, embedding and metadata columns to the index, where s3vl_reader can read them: a role may only export columns it may SELECT.',
                  HINT = pg_catalog.format('Leave the column out, or ask the owner of %s to GRANT SELECT (%I) ON %s TO %I.',
                                           source_table, v_column, source_table, current_user);
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._check_table_privilege(text, regclass, text, text[]) IS
    'Private: SQLSTATE 42501 unless the calling role holds the privilege (TRIGGER, OWNER or none) on the table and SELECT on each column sync exports';

-- s3vl._add_sync_source
-- Definer: the caller cannot write s3vl's tables. It neither reads the table nor makes the
-- trigger (sync_table does, with the caller's rights).
CREATE OR REPLACE FUNCTION s3vl._add_sync_source(
    source_table regclass, key_column text, embedding_column text, index_name text,
    metadata_columns text[])
RETURNS s3vl.sync_source
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_source s3vl.sync_source;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('sync_table', index_name, NULL);
    IF v_index.dimension IS NULL THEN
        PERFORM s3vl._invalid('sync_table', 'index_name', 'must name a registered index (its dimension is checked on every change)',
            'Register the index with s3vl.register_index(index_name => ''NAME'', index_arn => ''arn:...'') first.');
    END IF;
    PERFORM s3vl._check_sync_columns('sync_table', source_table, key_column, embedding_column, metadata_columns);
    PERFORM s3vl._check_text_sync(source_table, embedding_column, v_index.label, v_index.arn);
    IF EXISTS (SELECT 1 FROM s3vl.sync_source AS s
               WHERE s.source_table = _add_sync_source.source_table AND s.index_name = v_index.label) THEN
        RAISE EXCEPTION 's3vl.sync_table: table % is already synced with index "%"', source_table, v_index.label
            USING ERRCODE = 'duplicate_object',
                  DETAIL = 'One trigger per table and index.',
                  HINT = pg_catalog.format('To change the columns, first run SELECT s3vl.unsync_table(%L, %L);',
                                           source_table::text, v_index.label);
    END IF;
    INSERT INTO s3vl.sync_source AS s (source_table, key_column, embedding_column, index_name, metadata_columns)
    VALUES (source_table, key_column, embedding_column, v_index.label, metadata_columns)
    RETURNING s.* INTO v_source;
    RETURN v_source;
END
$$;
COMMENT ON FUNCTION s3vl._add_sync_source(regclass, text, text, text, text[]) IS
    'Private: records a sync of a table with an index after checking the index and the column types again';

-- s3vl._enqueue_row
-- Granted to s3vl_writer for sync_table's backfill and reconcile's repair, which read the table
-- with the caller's rights; called directly it does no more than put_vectors.
DROP FUNCTION IF EXISTS s3vl._enqueue_row(integer, text, jsonb, jsonb);
CREATE OR REPLACE FUNCTION s3vl._enqueue_row(source_id integer, p_key text, p_embedding jsonb, p_metadata jsonb,
                                             p_vector real[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_source s3vl.sync_source;
BEGIN
    SELECT * INTO v_source FROM s3vl.sync_source AS s WHERE s.id = _enqueue_row.source_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 's3vl.sync_table: there is no sync %', coalesce(source_id::text, 'NULL')
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'The sync was stopped (s3vl.unsync_table) while rows were being queued.',
                  HINT = 'See SELECT * FROM s3vl.sync_status();';
    END IF;
    RETURN s3vl._record_change(v_source, NULL, true, p_key, p_embedding, p_metadata, p_vector);
END
$$;
COMMENT ON FUNCTION s3vl._enqueue_row(integer, text, jsonb, jsonb, real[]) IS
    'Private: records the put (without an embedding, the delete) of one synced row read by the caller; returns 1';

-- s3vl._sync_target
-- Definer: s3vl.sync_source is s3vl's. The index need not be registered or active any more.
CREATE OR REPLACE FUNCTION s3vl._sync_target(fn text, source_table regclass, index_name text)
RETURNS TABLE (source s3vl.sync_source, index_arn text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_label text := index_name;
    v_arn text;
    v_source s3vl.sync_source;
BEGIN
    IF source_table IS NULL THEN
        PERFORM s3vl._invalid(fn, 'table', 'must not be NULL', 'Pass the table, e.g. ''public.documents''::regclass.');
    END IF;
    IF index_name IS NULL OR pg_catalog.btrim(index_name) = '' THEN
        PERFORM s3vl._invalid(fn, 'index_name', 'must not be null or empty',
            'Pass a name from s3vl.list_indexes(), or an index ARN.');
    END IF;
    SELECT r.index_name, r.index_arn INTO v_label, v_arn FROM s3vl.index_registry AS r
    WHERE r.index_name = _sync_target.index_name OR r.index_arn = _sync_target.index_name
    ORDER BY r.index_name = _sync_target.index_name DESC, r.is_active DESC LIMIT 1;
    SELECT * INTO v_source FROM s3vl.sync_source AS s
    WHERE s.source_table = _sync_target.source_table AND s.index_name = coalesce(v_label, _sync_target.index_name);
    IF NOT FOUND THEN
        RAISE EXCEPTION 's3vl.%: table % is not synced with index "%"', fn, source_table, index_name
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'Arguments "table" and "index_name" must match a call of s3vl.sync_table.',
                  HINT = 'See SELECT * FROM s3vl.sync_status();';
    END IF;
    RETURN QUERY SELECT v_source, v_arn;
END
$$;
COMMENT ON FUNCTION s3vl._sync_target(text, regclass, text) IS
    'Private: the sync of a table with an index (a registered name or its ARN) and the index ARN; SQLSTATE 42704 when the table is not synced with it';

-- s3vl._forget_sync_source
-- unsync_table drops the triggers with the caller's rights first; checking they are gone means
-- no role can orphan a live trigger.
CREATE OR REPLACE FUNCTION s3vl._forget_sync_source(source_id integer)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM s3vl.sync_source AS s JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = s.source_table
               WHERE s.id = _forget_sync_source.source_id
                 AND t.tgname IN ('s3vl_sync_' || s.id, 's3vl_sync_' || s.id || '_truncate')) THEN
        RAISE EXCEPTION 's3vl.unsync_table: sync % still has its triggers', source_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A sync is forgotten only after its capture triggers are dropped.',
                  HINT = 'Run s3vl.unsync_table(TABLE, INDEX) as the table''s owner.';
    END IF;
    DELETE FROM s3vl.sync_source AS s WHERE s.id = _forget_sync_source.source_id;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION s3vl._forget_sync_source(integer) IS
    'Private: deletes a sync whose triggers are gone, with its pending changes and key record';

-- s3vl.sync_table
-- Runs with the caller's rights: it makes the trigger and reads the table as the caller.
CREATE OR REPLACE FUNCTION s3vl.sync_table(
    "table" regclass,
    key_column text,
    embedding_column text,
    index_name text,
    metadata_columns text[] DEFAULT NULL,
    backfill boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 1  -- real prints its exact float32 when read as JSON (s3vl._read_columns)
AS $$
DECLARE
    p_table ALIAS FOR "table";
    p_metadata text[] := coalesce(metadata_columns, '{}');
    v_source s3vl.sync_source;
    v_type regtype;
    v_trigger text;
    v_rows integer := 0;
BEGIN
    IF p_table IS NULL THEN
        PERFORM s3vl._invalid('sync_table', 'table', 'must not be NULL', 'Pass the table, e.g. ''public.documents''::regclass.');
    END IF;
    PERFORM s3vl._check_flag('sync_table', 'backfill', backfill);
    IF (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = p_table) NOT IN ('r', 'p') THEN
        PERFORM s3vl._invalid('sync_table', 'table', pg_catalog.format('must be a table, and %s is not', p_table),
            'Sync the table the rows are written to (a view or foreign table cannot carry the capture trigger).');
    END IF;
    PERFORM s3vl._check_sync_columns('sync_table', p_table, key_column, embedding_column, p_metadata);
    SELECT a.atttypid::regtype INTO v_type FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = p_table AND a.attname = embedding_column;
    IF v_type NOT IN ('real[]'::regtype, 'double precision[]'::regtype, 'numeric[]'::regtype)
       AND NOT (pg_catalog.format_type(v_type, NULL) ~ '(^|\.)vector$')
       AND NOT s3vl._text_column(p_table, embedding_column) THEN
        PERFORM s3vl._invalid('sync_table', 'embedding_column',
            pg_catalog.format('is of type %s; it must hold numbers, or text to embed', pg_catalog.format_type(v_type, NULL)),
            'Use a real[], double precision[], numeric[] or pgvector vector column, or a text column (embedded with the index''s model).');
    END IF;
    PERFORM s3vl._check_table_privilege('sync_table', p_table, 'TRIGGER',
                                        ARRAY[key_column, embedding_column] || p_metadata);

    v_source := s3vl._add_sync_source(p_table, key_column, embedding_column, index_name, p_metadata);
    v_trigger := 's3vl_sync_' || v_source.id;
    -- The trigger first: from here on every change of the table is recorded, and the backfill
    -- below reads the rows already there (CREATE TRIGGER locks out writers until commit).
    EXECUTE pg_catalog.format(
        'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION s3vl._sync_capture(%L)',
        v_trigger, p_table, v_source.id);
    EXECUTE pg_catalog.format(
        'CREATE TRIGGER %I BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION s3vl._sync_truncate(%L)',
        v_trigger || '_truncate', p_table, v_source.id);

    IF backfill THEN
        EXECUTE pg_catalog.format(
            'SELECT coalesce(pg_catalog.sum(s3vl._enqueue_row(%s, r.key, r.embedding, r.metadata, r.vector)), 0)::integer
             FROM (SELECT %s FROM %s AS t) AS r',
            v_source.id, s3vl._read_columns(v_source, 't'), p_table)
        INTO v_rows;
    END IF;
    RETURN v_rows;
END
$$;
COMMENT ON FUNCTION s3vl.sync_table(regclass, text, text, text, text[], boolean) IS
    'Keeps an index (name or ARN) in sync with a table: a trigger records every insert, update and delete in s3vl.outbox in the same transaction (s3vl.flush sends them); with backfill (the default) the rows already there are queued too, so the first flush loads them; returns how many existing rows were queued. Needs TRIGGER on the table and SELECT on the synced columns';

-- s3vl.unsync_table
-- Runs with the caller's rights: dropping a trigger needs the table's owner.
CREATE OR REPLACE FUNCTION s3vl.unsync_table("table" regclass, index_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p_table ALIAS FOR "table";
    v_source s3vl.sync_source;
BEGIN
    SELECT (t.source).* INTO v_source FROM s3vl._sync_target('unsync_table', p_table, index_name) AS t;
    -- Only ownership: the index may be unregistered, or a column gone, by now.
    PERFORM s3vl._check_table_privilege('unsync_table', p_table, 'OWNER', '{}');
    EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', 's3vl_sync_' || v_source.id, p_table);
    EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', 's3vl_sync_' || v_source.id || '_truncate', p_table);
    RETURN s3vl._forget_sync_source(v_source.id);
END
$$;
COMMENT ON FUNCTION s3vl.unsync_table(regclass, text) IS
    'Stops syncing a table with an index (name or ARN): drops its triggers (as the table''s owner) and its pending changes; the index is not touched';
