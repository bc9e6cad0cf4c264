-- The schema and the roles. Roles are cluster-wide: created only when absent.
--   s3vl_reader: query, get, list and scan vectors; read the registry
--   s3vl_writer: everything a reader can, plus writes, views and table sync
--   s3vl_admin:  everything a writer can, plus configuration and the index registry
--   s3vl_owner:  owns s3vl's tables and functions, so its SECURITY DEFINER functions run with
--                this role's rights, never the installer's: NOLOGIN, not a superuser, no
--                CREATEDB/CREATEROLE/BYPASSRLS, member of nothing, and nobody is granted it
--                but the installer (who must be able to hand objects over to it).
CREATE SCHEMA IF NOT EXISTS s3vl;
COMMENT ON SCHEMA s3vl IS
    's3vl: query, read and list Amazon S3 Vectors from SQL through the s3vl bridge Lambda function';

DO $roles$
DECLARE
    v_role text;
    v_owner record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 's3vl_owner') THEN
        CREATE ROLE s3vl_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    END IF;
    -- A role of that name made by someone else must not carry more than s3vl needs.
    SELECT r.rolsuper, r.rolcanlogin, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolreplication,
           EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members AS m WHERE m.member = r.oid) AS is_member
    INTO v_owner FROM pg_catalog.pg_roles AS r WHERE r.rolname = 's3vl_owner';
    IF v_owner.rolsuper OR v_owner.rolcanlogin OR v_owner.rolcreaterole OR v_owner.rolcreatedb
       OR v_owner.rolbypassrls OR v_owner.rolreplication OR v_owner.is_member THEN
        RAISE EXCEPTION 'role s3vl_owner exists and holds more than s3vl''s functions may run with'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 's3vl''s SECURITY DEFINER functions run as s3vl_owner; it must be NOLOGIN, not a superuser, without CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, and a member of no role.',
                  HINT = 'ALTER ROLE s3vl_owner NOSUPERUSER NOLOGIN NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; and REVOKE its memberships, then install again.';
    END IF;
    -- The installer hands s3vl's objects over to s3vl_owner. A superuser may; anyone else
    -- (the master user of Aurora and RDS) must be a member of it to do so.
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user)
       AND NOT pg_catalog.pg_has_role(current_user, 's3vl_owner', 'MEMBER') THEN
        EXECUTE pg_catalog.format('GRANT s3vl_owner TO %I', current_user);
    END IF;
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
