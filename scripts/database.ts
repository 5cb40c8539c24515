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
