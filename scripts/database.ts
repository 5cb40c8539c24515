// The database a command-line script works on: DATABASE_URL, or the embedded one under DATA_DIR — the running one of `npm start`, or started for the command.
import { findRunningEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedDatabase } from '../app/db/embedded.server';

/**
 * With DATABASE_URL unset, a command uses the embedded database of DATA_DIR whether or not `npm start`
 * runs: it connects to the running server when there is one (and leaves it running), and otherwise starts
 * the cluster for itself and stops it afterwards (`embedded` is then set).
 */
export async function commandDatabase(): Promise<{ url: string; embedded?: EmbeddedDatabase }> {
  const url = process.env.DATABASE_URL?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('DATABASE_URL must be a postgres:// URL');
    return { url };
  }
  const dataDir = process.env.DATA_DIR?.trim() || '.data';
  const running = await findRunningEmbeddedPostgres({ dataDir });
  if (running) {
    console.error(`DATABASE_URL is not set; using the running embedded database in ${dataDir}/postgres (127.0.0.1:${running.port})`);
    return { url: running.databaseUrl };
  }
  console.error(`DATABASE_URL is not set; starting the embedded database in ${dataDir}/postgres for this command`);
  try {
    const embedded = await startEmbeddedPostgres({ dataDir });
    return { url: embedded.databaseUrl, embedded };
  } catch (error) {
    // `npm start` may have started it meanwhile.
    const started = await findRunningEmbeddedPostgres({ dataDir });
    if (started) return { url: started.databaseUrl };
    throw error;
  }
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
  } catch (error) {
    throw explainMissingSchema(error);
  } finally {
    await prisma.$disconnect();
    await embedded?.stop();
  }
}

/** A database without Latchkey's tables (never migrated) gets a message saying what to run. */
function explainMissingSchema(error: unknown): unknown {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string })?.code;
  if (code === 'P2021' || /relation "[^"]+" does not exist|table `[^`]+` does not exist/i.test(text)) {
    return new Error('the database has no Latchkey tables yet: run npm run db:migrate (or npm start) first');
  }
  return error;
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
