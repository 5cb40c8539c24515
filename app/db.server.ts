// The one Prisma client of the process, on the pg driver adapter.
import { PrismaPg } from '@prisma/adapter-pg';
import { remember } from '@epic-web/remember';
import { registerStatefulModule } from '~/cluster/stateful-modules.server';
import { getEnv } from '~/config/env.server';
import { PrismaClient } from '~/generated/prisma/client';

export function createPrismaClient(connectionString: string) {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
}

function databaseUrl(): string {
  const url = getEnv().DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (npm start provides the embedded database)');
  return url;
}

export const prisma = remember('prisma', () => createPrismaClient(databaseUrl()));
registerStatefulModule('db/prisma', import.meta.url);

export type { Prisma } from '~/generated/prisma/client';
