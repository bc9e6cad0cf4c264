-- s3vl 0.1.0 -> 0.2.0: the security release (issue 9).
-- Runs inside install.sql's transaction, before the parts recreate every function.

-- Functions whose signature changed, or that are gone: CREATE OR REPLACE cannot change them.
-- (each section below drops what it replaces)

-- Sync capture: rows are read by named columns (no whole-row to_jsonb), the functions that
-- read user tables run with the caller's rights, and TRUNCATE deletes the keys s3vl recorded.
DROP FUNCTION IF EXISTS s3vl._enqueue(s3vl.sync_source, jsonb);
DROP FUNCTION IF EXISTS s3vl._row_change(s3vl.sync_source, jsonb);
DROP FUNCTION IF EXISTS s3vl._check_trigger_privilege(text, regclass);
DROP FUNCTION IF EXISTS s3vl._check_sync_arguments(text, regclass, text, text, text, text[]);
DROP FUNCTION IF EXISTS s3vl._column_type(regclass, text);
DROP FUNCTION IF EXISTS s3vl._synced(text, regclass, text);
-- The keys each synced table has put: sql/parts/03_tables.sql makes the table; it is filled
-- here from the tables already synced. Only keys of built-in types are read (as the installer):
-- a table whose key column has another type must be synced again, and says so.
CREATE TABLE IF NOT EXISTS s3vl.sync_key (
    source_id integer NOT NULL REFERENCES s3vl.sync_source (id) ON DELETE CASCADE,
    key text NOT NULL,
    PRIMARY KEY (source_id, key)
);
DO $sync_key$
DECLARE
    v_source record;
BEGIN
    FOR v_source IN
        SELECT s.id, s.source_table, s.key_column, s.embedding_column, a.atttypid,
               t.typnamespace = 'pg_catalog'::regnamespace AS built_in
        FROM s3vl.sync_source AS s
        JOIN pg_catalog.pg_attribute AS a ON a.attrelid = s.source_table AND a.attname = s.key_column
        JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
    LOOP
        IF NOT v_source.built_in THEN
            RAISE WARNING 's3vl 0.2.0: the key column % of % is not of a built-in type; TRUNCATE of it will not delete its vectors',
                v_source.key_column, v_source.source_table
                USING HINT = 'Sync a column of a built-in type instead (s3vl.unsync_table, then s3vl.sync_table).';
            CONTINUE;
        END IF;
        EXECUTE pg_catalog.format(
            'INSERT INTO s3vl.sync_key (source_id, key)
             SELECT %s, t.%I::text FROM %s AS t WHERE t.%I IS NOT NULL AND t.%I IS NOT NULL
             ON CONFLICT DO NOTHING',
            v_source.id, v_source.key_column, v_source.source_table, v_source.key_column,
            v_source.embedding_column);
    END LOOP;
END
$sync_key$;

-- Configuration (s3vl.config).
-- The bridge function's own timeout (how long a send of unknown outcome keeps its keys in
-- doubt) and the failed sends after which a change is dead. Columns last, as 03_tables.sql has
-- them, so an upgraded table equals a fresh one.
ALTER TABLE s3vl.config
    ADD COLUMN IF NOT EXISTS function_timeout_seconds integer NOT NULL DEFAULT 900
        CONSTRAINT valid_function_timeout CHECK (function_timeout_seconds BETWEEN 1 AND 900),
    ADD COLUMN IF NOT EXISTS max_attempts integer NOT NULL DEFAULT 5
        CONSTRAINT valid_max_attempts CHECK (max_attempts BETWEEN 1 AND 100);
-- configure takes function_timeout_seconds and max_attempts.
DROP FUNCTION IF EXISTS s3vl.configure(text, text, integer, boolean);
-- get_config shows them too (a result column more).
DROP FUNCTION IF EXISTS s3vl.get_config();

-- Sync delivery (s3vl.outbox).
-- Dead letter, discarded changes and keys in doubt; the index of keys in doubt is made by
-- 03_tables.sql.
ALTER TABLE s3vl.outbox
    ADD COLUMN IF NOT EXISTS dead_at timestamp with time zone,
    ADD COLUMN IF NOT EXISTS discarded_at timestamp with time zone
        CONSTRAINT discarded_was_dead CHECK (discarded_at IS NULL OR (dead_at IS NOT NULL AND done_at IS NOT NULL)),
    ADD COLUMN IF NOT EXISTS in_doubt_until timestamp with time zone;
-- flush takes max_batches and answers dead_count and in_doubt_count; sync_status shows them;
-- the private helpers changed arguments (_settle became _settle_done and _settle_failed).
DROP FUNCTION IF EXISTS s3vl.flush(text, integer);
DROP FUNCTION IF EXISTS s3vl.sync_status();
DROP FUNCTION IF EXISTS s3vl._claim(text, integer, bigint[]);
DROP FUNCTION IF EXISTS s3vl._settle(text, jsonb, text);

-- One index-argument convention: s3vl._resolve_index takes a name or an ARN as index_name, so
-- the writes' own resolver is gone.
DROP FUNCTION IF EXISTS s3vl._write_target(text, text);

-- Writes send their requests as JSON text (issue 11): the arrays form's rows stay real[] through
-- the checks, and batches are runs of item texts.
DROP FUNCTION IF EXISTS s3vl._check_put_items(text, text, jsonb, text, integer, text, text);
DROP FUNCTION IF EXISTS s3vl._put_items(text, text, text, jsonb);
DROP FUNCTION IF EXISTS s3vl._put_batches(jsonb);
DROP FUNCTION IF EXISTS s3vl._send_put(text, text, jsonb);
