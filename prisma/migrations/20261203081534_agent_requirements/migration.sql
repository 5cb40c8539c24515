-- AlterTable
ALTER TABLE "Agent" ADD COLUMN     "requirements" JSONB NOT NULL DEFAULT '[]';
