// Database CLI: `npm run db:migrate` applies migrations, `npm run db:migration -- NAME` writes a new one.
import { createMigration, migrateDatabase } from '../app/db/migrate.server';
import { commandDatabase } from './database';

const USAGE = `Usage:
  npm run db:migrate              apply prisma/migrations to DATABASE_URL
                                  (or to the embedded database under DATA_DIR when DATABASE_URL is unset)
  npm run db:migration -- NAME    write prisma/migrations/<timestamp>_NAME from the changes in prisma/schema.prisma`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'migrate' && command !== 'migration') {
    console.error(USAGE);
    return 2;
  }
  const name = rest[0];
  if (command === 'migration' && (!name || rest.length > 1 || !/^[a-z0-9_]+$/i.test(name))) {
    console.error('Give the migration one name of letters, digits and _, e.g. npm run db:migration -- add_tags\n');
    console.error(USAGE);
    return 2;
  }

  const db = await commandDatabase();
  try {
    if (command === 'migrate') {
      const { applied } = await migrateDatabase(db.url);
      console.log(applied.length === 0 ? 'Database is up to date.' : `Applied ${applied.length}: ${applied.join(', ')}`);
    } else {
      // The shadow database is a scratch database created (and dropped) on this server.
      const dir = await createMigration(db.url, name!);
      console.log(dir ? `Wrote ${dir}/migration.sql — review it, then npm run db:migrate` : 'No changes: schema.prisma matches the migrations.');
    }
    return 0;
  } finally {
    await db.embedded?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`db ${process.argv[2] ?? ''} failed: ${message}`);
    if (/ECONNREFUSED|ENOTFOUND|password authentication/i.test(message)) {
      console.error('Check that DATABASE_URL points at a running PostgreSQL you can log in to.');
    }
    process.exit(1);
  },
);
