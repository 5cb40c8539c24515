// The database a command-line script works on: DATABASE_URL, or the embedded one under DATA_DIR, started for the command.
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../app/db/embedded.server';

export async function commandDatabase(): Promise<{ url: string; embedded?: EmbeddedDatabase }> {
  const url = process.env.DATABASE_URL?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('DATABASE_URL must be a postgres:// URL');
    return { url };
  }
  const dataDir = process.env.DATA_DIR?.trim() || '.data';
  console.error(`DATABASE_URL is not set; using the embedded database in ${dataDir}/postgres`);
  const embedded = await startEmbeddedPostgres({ dataDir });
  return { url: embedded.databaseUrl, embedded };
}

type Prisma = (typeof import('../app/db.server'))['prisma'];

/**
 * Runs `work` with the Prisma client on the command's database, then disconnects and stops the
 * embedded server if one was started. The client is imported only after DATABASE_URL is settled.
 */
export async function withCommandDatabase<T>(work: (prisma: Prisma) => Promise<T>): Promise<T> {
  const { url, embedded } = await commandDatabase();
  process.env.DATABASE_URL = url;
  const { prisma } = await import('../app/db.server');
  try {
    return await work(prisma);
  } finally {
    await prisma.$disconnect();
    await embedded?.stop();
  }
}

/** Runs a script's main and exits with its code; a thrown error is one line on stderr and exit code 1. */
export function runScript(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`${name} ${process.argv[2] ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
