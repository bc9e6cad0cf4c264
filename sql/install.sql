-- s3vl: Amazon S3 Vectors behind PostgreSQL.
--
-- Installs or upgrades s3vl in the current database, in one transaction:
--     psql -v ON_ERROR_STOP=1 -d DATABASE -f sql/install.sql
-- Running it again changes nothing. Upgrades apply sql/migrations/<from>--<to>.sql in order
-- before the functions are replaced. sql/uninstall.sql removes everything this creates.
--
-- Needs aws_lambda.invoke: Aurora and RDS ship the aws_lambda extension; on plain PostgreSQL
-- run sql/compat/aws_lambda.sql first (it needs plpython3u).

\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;

BEGIN;

\ir parts/00_prerequisites.sql
\ir parts/01_installed_version.sql

-- Upgrades, oldest first. Each step is guarded by the version found above.
\if :s3vl_upgrade_from_aws_sample
\ir migrations/aws-sample--0.1.0.sql
\endif
\if :s3vl_upgrade_from_0_1_0
\ir migrations/0.1.0--0.2.0.sql
\endif

\ir parts/02_schema_and_roles.sql
\ir parts/03_tables.sql
\ir parts/10_private_helpers.sql
\ir parts/20_configuration.sql
\ir parts/30_registry.sql
\ir parts/40_query.sql
\ir parts/45_text_search.sql
\ir parts/50_get_list_scan.sql
\ir parts/60_bucket_import.sql
\ir parts/65_embeddings.sql
\ir parts/70_write.sql
\ir parts/75_index_views.sql
\ir parts/80_sync_capture.sql
\ir parts/81_sync_delivery.sql
\ir parts/82_sync_verification.sql
\ir parts/90_privileges.sql

COMMIT;

\unset QUIET
\echo s3vl :s3vl_target_version installed (found: :s3vl_installed_version)
