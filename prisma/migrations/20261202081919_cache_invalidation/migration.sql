-- Cache invalidation across processes (ADR 007): every change to a row that a process caches sends a
-- NOTIFY on the channel latchkey_invalidation, from inside the transaction that makes the change, so it is
-- delivered only when that transaction commits. Each process LISTENs and drops the matching cache.
-- Payload: {"topic": "agents" | "credentials" | "data-keys", "organizationId": uuid or null, "at": epoch ms}.
-- "at" is the transaction start, so one transaction touching many rows of one organization sends one
-- notification (PostgreSQL folds identical notifications of a transaction into one).
-- A token refresh (a new version of an OAuth credential, new expiry) does not notify: the previous access
-- token stays valid while the proxy cache (about a second) still holds the old version.
-- Prisma does not model functions or triggers, so the drift check ignores them.
-- (No apostrophes in these comments: the migration runner splits statements and would misread them.)

CREATE OR REPLACE FUNCTION latchkey_invalidate(topic text, organization_id text) RETURNS void
LANGUAGE sql AS $$
  SELECT pg_notify(
    'latchkey_invalidation',
    json_build_object('topic', topic, 'organizationId', organization_id, 'at', floor(extract(epoch FROM now()) * 1000)::bigint)::text
  )
$$;

-- Trigger arguments: the topic, and the column holding the organization id (absent: null, meaning all).
CREATE OR REPLACE FUNCTION latchkey_invalidate_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    changed := to_jsonb(OLD);
  ELSE
    changed := to_jsonb(NEW);
  END IF;
  PERFORM latchkey_invalidate(TG_ARGV[0], CASE WHEN TG_NARGS > 1 THEN changed ->> TG_ARGV[1] END);
  RETURN NULL;
END
$$;

-- Agent authentication: a token revoked or removed, an allowlist or name changed, an agent removed,
-- the private-hosts setting of its organization changed.
DROP TRIGGER IF EXISTS "AgentToken_invalidate_update" ON "AgentToken";
CREATE TRIGGER "AgentToken_invalidate_update"
  AFTER UPDATE ON "AgentToken"
  FOR EACH ROW WHEN (OLD."revokedAt" IS DISTINCT FROM NEW."revokedAt" OR OLD."tokenHash" IS DISTINCT FROM NEW."tokenHash")
  EXECUTE FUNCTION latchkey_invalidate_row('agents');

DROP TRIGGER IF EXISTS "AgentToken_invalidate_delete" ON "AgentToken";
CREATE TRIGGER "AgentToken_invalidate_delete"
  AFTER DELETE ON "AgentToken"
  FOR EACH ROW EXECUTE FUNCTION latchkey_invalidate_row('agents');

DROP TRIGGER IF EXISTS "Agent_invalidate_update" ON "Agent";
CREATE TRIGGER "Agent_invalidate_update"
  AFTER UPDATE ON "Agent"
  FOR EACH ROW WHEN (
    OLD."allowedCredentials" IS DISTINCT FROM NEW."allowedCredentials"
    OR OLD."name" IS DISTINCT FROM NEW."name"
    OR OLD."organizationId" IS DISTINCT FROM NEW."organizationId"
  )
  EXECUTE FUNCTION latchkey_invalidate_row('agents', 'organizationId');

DROP TRIGGER IF EXISTS "Agent_invalidate_delete" ON "Agent";
CREATE TRIGGER "Agent_invalidate_delete"
  AFTER DELETE ON "Agent"
  FOR EACH ROW EXECUTE FUNCTION latchkey_invalidate_row('agents', 'organizationId');

DROP TRIGGER IF EXISTS "Organization_invalidate_agents" ON "Organization";
CREATE TRIGGER "Organization_invalidate_agents"
  AFTER UPDATE ON "Organization"
  FOR EACH ROW WHEN (OLD."allowPrivateHosts" IS DISTINCT FROM NEW."allowPrivateHosts")
  EXECUTE FUNCTION latchkey_invalidate_row('agents', 'id');

-- What the proxy reads of a credential: status, reason, name, service, type, username, settings, expiry
-- and value version of a non-OAuth credential; a new credential (the proxy remembers missing names
-- briefly) and a removed one.
DROP TRIGGER IF EXISTS "Credential_invalidate_insert" ON "Credential";
CREATE TRIGGER "Credential_invalidate_insert"
  AFTER INSERT ON "Credential"
  FOR EACH ROW EXECUTE FUNCTION latchkey_invalidate_row('credentials', 'organizationId');

DROP TRIGGER IF EXISTS "Credential_invalidate_update" ON "Credential";
CREATE TRIGGER "Credential_invalidate_update"
  AFTER UPDATE ON "Credential"
  FOR EACH ROW WHEN (
    OLD."status" IS DISTINCT FROM NEW."status"
    OR OLD."statusReason" IS DISTINCT FROM NEW."statusReason"
    OR OLD."statusCause" IS DISTINCT FROM NEW."statusCause"
    OR OLD."name" IS DISTINCT FROM NEW."name"
    OR OLD."service" IS DISTINCT FROM NEW."service"
    OR OLD."type" IS DISTINCT FROM NEW."type"
    OR OLD."username" IS DISTINCT FROM NEW."username"
    OR OLD."settings" IS DISTINCT FROM NEW."settings"
    OR OLD."organizationId" IS DISTINCT FROM NEW."organizationId"
    OR (NEW."type" <> 'oauth' AND (OLD."version" IS DISTINCT FROM NEW."version" OR OLD."expiresAt" IS DISTINCT FROM NEW."expiresAt"))
  )
  EXECUTE FUNCTION latchkey_invalidate_row('credentials', 'organizationId');

DROP TRIGGER IF EXISTS "Credential_invalidate_delete" ON "Credential";
CREATE TRIGGER "Credential_invalidate_delete"
  AFTER DELETE ON "Credential"
  FOR EACH ROW EXECUTE FUNCTION latchkey_invalidate_row('credentials', 'organizationId');

-- Data keys: a new active version (rotation), or a key removed.
DROP TRIGGER IF EXISTS "Organization_invalidate_data_keys" ON "Organization";
CREATE TRIGGER "Organization_invalidate_data_keys"
  AFTER UPDATE ON "Organization"
  FOR EACH ROW WHEN (OLD."activeKeyVersion" IS DISTINCT FROM NEW."activeKeyVersion")
  EXECUTE FUNCTION latchkey_invalidate_row('data-keys', 'id');

DROP TRIGGER IF EXISTS "OrganizationDataKey_invalidate_delete" ON "OrganizationDataKey";
CREATE TRIGGER "OrganizationDataKey_invalidate_delete"
  AFTER DELETE ON "OrganizationDataKey"
  FOR EACH ROW EXECUTE FUNCTION latchkey_invalidate_row('data-keys', 'organizationId');
