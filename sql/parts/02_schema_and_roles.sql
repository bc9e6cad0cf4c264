-- The schema and the three roles. Roles are cluster-wide: created only when absent.
--   s3vl_reader: query, get, list and scan vectors; read the registry
--   s3vl_writer: everything a reader can, plus writes (put/delete) once they exist
--   s3vl_admin:  everything a writer can, plus configuration and the index registry
CREATE SCHEMA IF NOT EXISTS s3vl;
COMMENT ON SCHEMA s3vl IS
    's3vl: query, read and list Amazon S3 Vectors from SQL through the s3vl bridge Lambda function';

DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['s3vl_reader', 's3vl_writer', 's3vl_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', v_role);
        END IF;
    END LOOP;
    -- Each role includes the one below it; granted once, so a rerun adds nothing.
    IF NOT pg_catalog.pg_has_role('s3vl_writer', 's3vl_reader', 'MEMBER') THEN
        GRANT s3vl_reader TO s3vl_writer;
    END IF;
    IF NOT pg_catalog.pg_has_role('s3vl_admin', 's3vl_writer', 'MEMBER') THEN
        GRANT s3vl_writer TO s3vl_admin;
    END IF;
END
$roles$;
