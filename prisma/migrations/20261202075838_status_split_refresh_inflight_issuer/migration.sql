-- AlterEnum
ALTER TYPE "CredentialStatus" ADD VALUE 'expiring';

-- AlterTable
ALTER TABLE "Credential" ADD COLUMN     "refreshRequestStartedAt" TIMESTAMP(3),
ADD COLUMN     "statusCause" TEXT;

-- AlterTable
ALTER TABLE "OAuthApp" ADD COLUMN     "issParameterRequired" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "issuer" TEXT;
