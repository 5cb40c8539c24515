-- AlterTable
ALTER TABLE "Credential" ADD COLUMN     "nextRefreshAt" TIMESTAMP(3),
ADD COLUMN     "oauthAppId" UUID,
ADD COLUMN     "oauthTokenUrl" TEXT,
ADD COLUMN     "refreshFailingSince" TIMESTAMP(3),
ADD COLUMN     "refreshLeaseOwner" TEXT,
ADD COLUMN     "refreshLeaseUntil" TIMESTAMP(3),
ADD COLUMN     "settings" JSONB;

-- AlterTable
ALTER TABLE "Membership" ADD COLUMN     "attentionSeenAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "webhookSecret" BYTEA,
ADD COLUMN     "webhookSecretKeyVersion" INTEGER;

-- CreateTable
CREATE TABLE "OAuthApp" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "clientSecret" BYTEA,
    "clientSecretKeyVersion" INTEGER,
    "authorizationUrl" TEXT,
    "tokenUrl" TEXT,
    "revocationUrl" TEXT,
    "userinfoUrl" TEXT,
    "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "clientAuth" TEXT NOT NULL DEFAULT 'basic',
    "pkce" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OAuthApp_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OAuthState" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "organizationId" UUID NOT NULL,
    "credentialId" UUID,
    "oauthAppId" UUID,
    "provider" TEXT NOT NULL,
    "codeVerifier" BYTEA,
    "codeVerifierKeyVersion" INTEGER,
    "redirectUri" TEXT NOT NULL,
    "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "intent" JSONB NOT NULL DEFAULT '{}',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OAuthState_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Agent" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "allowedCredentials" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "Agent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AgentToken" (
    "id" UUID NOT NULL,
    "agentId" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "AgentToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AgentCredentialUsage" (
    "agentId" UUID NOT NULL,
    "credentialId" UUID NOT NULL,
    "lastUsedAt" TIMESTAMP(3) NOT NULL,
    "useCount" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "AgentCredentialUsage_pkey" PRIMARY KEY ("agentId","credentialId")
);

-- CreateIndex
CREATE UNIQUE INDEX "OAuthApp_organizationId_provider_name_key" ON "OAuthApp"("organizationId", "provider", "name");

-- CreateIndex
CREATE INDEX "OAuthState_expiresAt_idx" ON "OAuthState"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Agent_organizationId_name_key" ON "Agent"("organizationId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "AgentToken_tokenHash_key" ON "AgentToken"("tokenHash");

-- CreateIndex
CREATE INDEX "AgentToken_agentId_idx" ON "AgentToken"("agentId");

-- CreateIndex
CREATE INDEX "AgentCredentialUsage_credentialId_idx" ON "AgentCredentialUsage"("credentialId");

-- CreateIndex
CREATE INDEX "Credential_nextRefreshAt_idx" ON "Credential"("nextRefreshAt");

-- AddForeignKey
ALTER TABLE "Credential" ADD CONSTRAINT "Credential_oauthAppId_fkey" FOREIGN KEY ("oauthAppId") REFERENCES "OAuthApp"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OAuthApp" ADD CONSTRAINT "OAuthApp_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OAuthState" ADD CONSTRAINT "OAuthState_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OAuthState" ADD CONSTRAINT "OAuthState_oauthAppId_fkey" FOREIGN KEY ("oauthAppId") REFERENCES "OAuthApp"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Agent" ADD CONSTRAINT "Agent_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentToken" ADD CONSTRAINT "AgentToken_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentCredentialUsage" ADD CONSTRAINT "AgentCredentialUsage_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentCredentialUsage" ADD CONSTRAINT "AgentCredentialUsage_credentialId_fkey" FOREIGN KEY ("credentialId") REFERENCES "Credential"("id") ON DELETE CASCADE ON UPDATE CASCADE;
