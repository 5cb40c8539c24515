-- CreateEnum
CREATE TYPE "ProposalStatus" AS ENUM ('pending', 'approved', 'rejected', 'expired');

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "proposalExpiryDays" INTEGER NOT NULL DEFAULT 7;

-- CreateTable
CREATE TABLE "Proposal" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "agentId" UUID NOT NULL,
    "message" TEXT NOT NULL,
    "status" "ProposalStatus" NOT NULL DEFAULT 'pending',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),
    "decidedByType" TEXT,
    "decidedById" TEXT,
    "decidedByLabel" TEXT,
    "rejectReason" TEXT,
    "approvingUntil" TIMESTAMP(3),

    CONSTRAINT "Proposal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProposalSlot" (
    "proposalId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "service" TEXT,
    "type" "CredentialType",
    "description" TEXT NOT NULL DEFAULT '',
    "obtain" TEXT,
    "obtainInstructions" TEXT,
    "baseUrl" TEXT,
    "oauth" JSONB,
    "connectedAccount" TEXT,
    "connectedAt" TIMESTAMP(3),
    "credentialId" UUID,

    CONSTRAINT "ProposalSlot_pkey" PRIMARY KEY ("proposalId","position")
);

-- CreateTable
CREATE TABLE "ProposalSecret" (
    "proposalId" UUID NOT NULL,
    "field" TEXT NOT NULL,
    "ciphertext" BYTEA NOT NULL,
    "keyVersion" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ProposalSecret_pkey" PRIMARY KEY ("proposalId","field")
);

-- CreateIndex
CREATE INDEX "Proposal_organizationId_status_createdAt_idx" ON "Proposal"("organizationId", "status", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Proposal_agentId_status_idx" ON "Proposal"("agentId", "status");

-- CreateIndex
CREATE INDEX "Proposal_status_expiresAt_idx" ON "Proposal"("status", "expiresAt");

-- CreateIndex
CREATE INDEX "ProposalSecret_keyVersion_idx" ON "ProposalSecret"("keyVersion");

-- AddForeignKey
ALTER TABLE "Proposal" ADD CONSTRAINT "Proposal_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Proposal" ADD CONSTRAINT "Proposal_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProposalSlot" ADD CONSTRAINT "ProposalSlot_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProposalSecret" ADD CONSTRAINT "ProposalSecret_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal"("id") ON DELETE CASCADE ON UPDATE CASCADE;
