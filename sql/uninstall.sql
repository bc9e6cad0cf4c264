-- Removes s3vl from the current database, in one transaction:
--     psql -v ON_ERROR_STOP=1 -d DATABASE -f sql/uninstall.sql
-- Drops the s3vl schema (functions, configuration, registry, sync state; with it the capture
-- triggers on synced tables and the index views), the schemas create_index_view made once they
-- are empty, and the roles s3vl_reader, s3vl_writer and s3vl_admin unless another database
-- still grants them something (roles are cluster-wide; a warning names that database); likewise
-- s3vl_owner, the role that owns s3vl's functions. The vectors in S3 Vectors are not touched, and
-- neither is aws_lambda (the extension or sql/compat/aws_lambda.sql), which other code may use.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

BEGIN;

-- CASCADE takes along what s3vl made outside its schema, because it depends on s3vl's functions:
-- the capture triggers s3vl.sync_table put on user tables (the tables and their rows stay), and
-- the index views of s3vl.create_index_view with their triggers and key lookup functions.
DROP SCHEMA IF EXISTS s3vl CASCADE;

-- Schemas that create_index_view created (they carry its comment), once nothing else is in them.
DO $view_schemas$
DECLARE
    v_schema text;
BEGIN
    FOR v_schema IN
        SELECT n.nspname FROM pg_catalog.pg_namespace AS n
        WHERE pg_catalog.obj_description(n.oid, 'pg_namespace')
              = 'Views of S3 Vectors indexes, created by s3vl.create_index_view'
    LOOP
        BEGIN
            EXECUTE pg_catalog.format('DROP SCHEMA %I RESTRICT', v_schema);
        EXCEPTION WHEN dependent_objects_still_exist THEN
            RAISE WARNING 's3vl uninstall: schema % kept: it holds objects s3vl did not make', v_schema
                USING HINT = pg_catalog.format('Drop it yourself when it is no longer needed: DROP SCHEMA %I;', v_schema);
        END;
    END LOOP;
END
$view_schemas$;

DO $roles$
DECLARE
    v_role text;
    v_elsewhere text;
BEGIN
    -- Highest first: admin holds writer, writer holds reader.
    FOREACH v_role IN ARRAY ARRAY['s3vl_admin', 's3vl_writer', 's3vl_reader', 's3vl_owner'] LOOP
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role);
        -- What the role still holds in this database (s3vl_owner's use of aws_lambda, default
        -- privileges) goes with s3vl; other databases are theirs to uninstall.
        EXECUTE pg_catalog.format('DROP OWNED BY %I', v_role);
        SELECT pg_catalog.string_agg(DISTINCT d.datname, ', ') INTO v_elsewhere
        FROM pg_catalog.pg_shdepend AS s
        JOIN pg_catalog.pg_database AS d ON d.oid = s.dbid
        WHERE s.refobjid = (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = v_role)
          AND s.dbid <> (SELECT db.oid FROM pg_catalog.pg_database AS db
                         WHERE db.datname = pg_catalog.current_database());
        IF v_elsewhere IS NOT NULL THEN
            RAISE WARNING 's3vl uninstall: role % kept: database(s) % still use it', v_role, v_elsewhere
                USING HINT = 'Run sql/uninstall.sql in those databases too; the last one drops the roles.';
        ELSE
            EXECUTE pg_catalog.format('DROP ROLE %I', v_role);
        END IF;
    END LOOP;
END
$roles$;

COMMIT;
