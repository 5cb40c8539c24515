import path from 'node:path';
import { defineConfig } from 'prisma/config';

// The Prisma CLI is used here only for `prisma generate`; migrations run through
// scripts/db.ts (the WebAssembly schema engine) because the native engine cannot be downloaded.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.resolve('prisma/engine-stub.sh');

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
