-- DropIndex
DROP INDEX "Credential_organizationId_expiresAt_idx";

-- DropIndex
DROP INDEX "Credential_organizationId_lastUsedAt_idx";

-- DropIndex
DROP INDEX "Credential_organizationId_status_idx";

-- CreateIndex
CREATE INDEX "Credential_organizationId_status_name_id_idx" ON "Credential"("organizationId", "status", "name", "id");

-- CreateIndex
CREATE INDEX "Credential_organizationId_name_id_idx" ON "Credential"("organizationId", "name", "id");

-- CreateIndex
CREATE INDEX "Credential_organizationId_expiresAt_id_idx" ON "Credential"("organizationId", "expiresAt", "id");

-- CreateIndex
CREATE INDEX "Credential_organizationId_lastUsedAt_id_idx" ON "Credential"("organizationId", "lastUsedAt", "id");
