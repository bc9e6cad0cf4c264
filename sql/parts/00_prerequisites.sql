-- Prerequisite: aws_lambda.invoke.
-- Aurora and RDS: the aws_lambda extension (CASCADE brings aws_commons).
-- Plain PostgreSQL: the compat schema from sql/compat/aws_lambda.sql, installed beforehand.
DO $prerequisites$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'aws_lambda') THEN
        CREATE EXTENSION IF NOT EXISTS aws_lambda CASCADE;
    ELSIF pg_catalog.to_regprocedure(
            'aws_lambda.invoke(text, jsonb, text, text, text, jsonb, character varying)') IS NULL THEN
        RAISE EXCEPTION 's3vl needs aws_lambda.invoke, and this server has neither the aws_lambda extension nor its compat schema'
            USING ERRCODE = 'undefined_function',
                  DETAIL = 'Aurora PostgreSQL and RDS for PostgreSQL provide the aws_lambda extension; plain PostgreSQL needs sql/compat/aws_lambda.sql (PL/Python).',
                  HINT = 'On plain PostgreSQL run first: psql -v ON_ERROR_STOP=1 -f sql/compat/aws_lambda.sql';
    END IF;
END
$prerequisites$;
