-- AlterEnum
ALTER TYPE "ActorType" ADD VALUE 'api_token';

-- AlterTable
ALTER TABLE "Agent" ADD COLUMN     "deliverCredentials" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "ManagementToken" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "canReveal" BOOLEAN NOT NULL DEFAULT false,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ManagementToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IdempotencyRecord" (
    "principal" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "organizationId" UUID NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "status" INTEGER,
    "body" BYTEA,
    "keyVersion" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "IdempotencyRecord_pkey" PRIMARY KEY ("principal","key")
);

-- CreateIndex
CREATE UNIQUE INDEX "ManagementToken_tokenHash_key" ON "ManagementToken"("tokenHash");

-- CreateIndex
CREATE INDEX "ManagementToken_organizationId_idx" ON "ManagementToken"("organizationId");

-- CreateIndex
CREATE INDEX "IdempotencyRecord_createdAt_idx" ON "IdempotencyRecord"("createdAt");

-- AddForeignKey
ALTER TABLE "ManagementToken" ADD CONSTRAINT "ManagementToken_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ManagementToken" ADD CONSTRAINT "ManagementToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Cache invalidation (ADR 007) for management tokens: a token revoked, expired early, changed or removed,
-- and a change to the membership its role is capped by (role changed, member removed).
DROP TRIGGER IF EXISTS "ManagementToken_invalidate_update" ON "ManagementToken";
CREATE TRIGGER "ManagementToken_invalidate_update"
  AFTER UPDATE ON "ManagementToken"
  FOR EACH ROW WHEN (
    OLD."revokedAt" IS DISTINCT FROM NEW."revokedAt"
    OR OLD."expiresAt" IS DISTINCT FROM NEW."expiresAt"
    OR OLD."role" IS DISTINCT FROM NEW."role"
    OR OLD."canReveal" IS DISTINCT FROM NEW."canReveal"
    OR OLD."tokenHash" IS DISTINCT FROM NEW."tokenHash"
  )
  EXECUTE FUNCTION latchkey_invalidate_row('api-tokens', 'organizationId');

DROP TRIGGER IF EXISTS "ManagementToken_invalidate_delete" ON "ManagementToken";
CREATE TRIGGER "ManagementToken_invalidate_delete"
  AFTER DELETE ON "ManagementToken"
  FOR EACH ROW EXECUTE FUNCTION latchkey_invalidate_row('api-tokens', 'organizationId');

DROP TRIGGER IF EXISTS "Membership_invalidate_update" ON "Membership";
CREATE TRIGGER "Membership_invalidate_update"
  AFTER UPDATE ON "Membership"
  FOR EACH ROW WHEN (OLD."role" IS DISTINCT FROM NEW."role")
  EXECUTE FUNCTION latchkey_invalidate_row('api-tokens', 'organizationId');

DROP TRIGGER IF EXISTS "Membership_invalidate_delete" ON "Membership";
CREATE TRIGGER "Membership_invalidate_delete"
  AFTER DELETE ON "Membership"
  FOR EACH ROW EXECUTE FUNCTION latchkey_invalidate_row('api-tokens', 'organizationId');

-- The agent trigger also watches the delivery grants.
DROP TRIGGER IF EXISTS "Agent_invalidate_update" ON "Agent";
CREATE TRIGGER "Agent_invalidate_update"
  AFTER UPDATE ON "Agent"
  FOR EACH ROW WHEN (
    OLD."allowedCredentials" IS DISTINCT FROM NEW."allowedCredentials"
    OR OLD."deliverCredentials" IS DISTINCT FROM NEW."deliverCredentials"
    OR OLD."name" IS DISTINCT FROM NEW."name"
    OR OLD."organizationId" IS DISTINCT FROM NEW."organizationId"
  )
  EXECUTE FUNCTION latchkey_invalidate_row('agents', 'organizationId');
