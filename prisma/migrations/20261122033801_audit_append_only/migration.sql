-- Makes "AuditEvent" append-only: UPDATE, DELETE and TRUNCATE are refused, with two deliberate exceptions:
--   * DELETE of rows whose organization no longer exists (the cascade from deleting an organization);
--   * a transaction that runs SET LOCAL latchkey.allow_audit_delete = on (retention purges, tamper tests).
-- The hash chain still exposes any change. Prisma does not model triggers, so the drift check ignores this.
-- (No apostrophes in these comments: the migration runner splits statements and would misread them.)

CREATE OR REPLACE FUNCTION latchkey_audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('latchkey.allow_audit_delete', true) = 'on' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM "Organization" WHERE "id" = OLD."organizationId") THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'AuditEvent is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION latchkey_audit_event_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('latchkey.allow_audit_delete', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'AuditEvent is append-only: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS "AuditEvent_append_only" ON "AuditEvent";
CREATE TRIGGER "AuditEvent_append_only"
  BEFORE UPDATE OR DELETE ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION latchkey_audit_event_append_only();

DROP TRIGGER IF EXISTS "AuditEvent_no_truncate" ON "AuditEvent";
CREATE TRIGGER "AuditEvent_no_truncate"
  BEFORE TRUNCATE ON "AuditEvent"
  FOR EACH STATEMENT EXECUTE FUNCTION latchkey_audit_event_no_truncate();
