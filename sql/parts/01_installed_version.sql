-- Which s3vl is installed here, if any, and which upgrade steps apply.
-- Versions in upgrade order; 'aws-sample' is the schema of the aws-samples Aurora + S3 Vectors
-- integration that s3vl replaces (an s3vl schema with config and index_registry, no version()).
\set s3vl_target_version 0.2.0

DO $installed_version$
DECLARE
    v_installed text;
BEGIN
    IF pg_catalog.to_regnamespace('s3vl') IS NULL THEN
        v_installed := 'none';
    ELSIF pg_catalog.to_regprocedure('s3vl.version()') IS NOT NULL THEN
        EXECUTE 'SELECT s3vl.version()' INTO v_installed;
    ELSIF pg_catalog.to_regclass('s3vl.index_registry') IS NOT NULL THEN
        v_installed := 'aws-sample';
    ELSE
        v_installed := 'none';
    END IF;
    PERFORM pg_catalog.set_config('s3vl.installed_version', v_installed, true);
END
$installed_version$;

-- The upgrade chain: a step applies when the installed version is at or before its start.
SELECT v.installed AS s3vl_installed_version,
       pg_catalog.array_position(v.chain, v.installed) IS NULL
           AND v.installed NOT IN ('none', :'s3vl_target_version') AS s3vl_unknown_version,
       coalesce(pg_catalog.array_position(v.chain, v.installed) <= 1, false)
           AS s3vl_upgrade_from_aws_sample,
       coalesce(pg_catalog.array_position(v.chain, v.installed) <= 2, false)
           AS s3vl_upgrade_from_0_1_0
FROM (SELECT pg_catalog.current_setting('s3vl.installed_version') AS installed,
             ARRAY['aws-sample', '0.1.0', '0.2.0'] AS chain) AS v
\gset

\if :s3vl_unknown_version
SELECT pg_catalog.set_config('s3vl.target_version', :'s3vl_target_version', true) \gset s3vl_ignored_
DO $unknown$
BEGIN
    RAISE EXCEPTION 's3vl % is installed here and this install.sql (%) does not know how to upgrade it',
        pg_catalog.current_setting('s3vl.installed_version'),
        pg_catalog.current_setting('s3vl.target_version')
        USING ERRCODE = 'feature_not_supported',
              DETAIL = 'install.sql upgrades only versions listed in sql/migrations/.',
              HINT = 'Use the install.sql of a release at or after the installed version.';
END
$unknown$;
\endif
