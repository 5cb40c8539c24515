-- CreateIndex
CREATE INDEX "Credential_organizationId_status_statusChangedAt_id_idx" ON "Credential"("organizationId", "status", "statusChangedAt" DESC, "id");
