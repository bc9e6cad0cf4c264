-- Upgrade from the aws-samples Aurora + S3 Vectors integration (an s3vl schema with config and
-- index_registry but no s3vl.version()) to s3vl 0.1.0. Included by install.sql, inside its
-- transaction, before the parts that create the 0.1.0 objects.
--
-- Its functions are dropped (several change argument names or result columns, which CREATE OR
-- REPLACE refuses); its tables are moved aside, the 0.1.0 tables created, the configuration and
-- registrations copied over, and the old tables dropped with their indexes and triggers.

DO $drop_functions$
DECLARE
    v_function regprocedure;
BEGIN
    FOR v_function IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = 's3vl'::regnamespace
    LOOP
        EXECUTE pg_catalog.format('DROP FUNCTION %s CASCADE', v_function);
    END LOOP;
END
$drop_functions$;

-- Its result types and any views go too: s3vl 0.1.0 has neither in its schema.
DO $drop_types_and_views$
DECLARE
    v_statement text;
BEGIN
    FOR v_statement IN
        SELECT pg_catalog.format('DROP %s %s CASCADE',
                   CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END, c.oid::regclass)
        FROM pg_catalog.pg_class AS c
        WHERE c.relnamespace = 's3vl'::regnamespace AND c.relkind IN ('v', 'm')
        UNION ALL
        SELECT pg_catalog.format('DROP TYPE %s CASCADE', t.oid::regtype)
        FROM pg_catalog.pg_type AS t
        LEFT JOIN pg_catalog.pg_class AS c ON c.oid = t.typrelid
        WHERE t.typnamespace = 's3vl'::regnamespace
          AND (t.typtype IN ('d', 'e', 'r') OR (t.typtype = 'c' AND c.relkind = 'c'))
    LOOP
        EXECUTE v_statement;
    END LOOP;
END
$drop_types_and_views$;

-- Moved aside with their sequences, indexes and constraints, whose names the new tables take.
CREATE SCHEMA s3vl_aws_sample;
ALTER TABLE s3vl.config SET SCHEMA s3vl_aws_sample;
ALTER TABLE s3vl.index_registry SET SCHEMA s3vl_aws_sample;

\ir ../parts/03_tables.sql

-- The newest configuration only: s3vl keeps exactly one.
INSERT INTO s3vl.config (lambda_arn, aws_region, timeout_seconds, created_at, updated_at)
SELECT c.lambda_arn, c.aws_region, coalesce(c.timeout_seconds, 30),
       coalesce(c.created_at, pg_catalog.now()), coalesce(c.updated_at, pg_catalog.now())
FROM s3vl_aws_sample.config AS c
ORDER BY c.updated_at DESC NULLS LAST, c.id DESC
LIMIT 1;

-- Dimension and metric stay unknown (no check before invoking) until registered again.
INSERT INTO s3vl.index_registry
    (index_name, index_arn, description, bucket_name, region, account_id, created_at,
     updated_at, is_active)
SELECT r.index_name, r.index_arn, r.description, r.bucket_name, r.region, r.account_id,
       coalesce(r.created_at, pg_catalog.now()), coalesce(r.updated_at, pg_catalog.now()),
       coalesce(r.is_active, true)
FROM s3vl_aws_sample.index_registry AS r
ORDER BY r.id;

DROP SCHEMA s3vl_aws_sample CASCADE;
