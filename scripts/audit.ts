// Audit CLI: `npm run audit -- verify SLUG` checks an organization's hash chain (exit 1 when broken).
import { commandDatabase } from './database';

const USAGE = `Usage:
  npm run audit -- verify SLUG    verify the audit hash chain of the organization SLUG
                                  (DATABASE_URL, or the embedded database under DATA_DIR when unset)`;

async function main(argv: string[]): Promise<number> {
  const [command, slug, ...rest] = argv;
  if (command !== 'verify' || !slug || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }

  const { url, embedded } = await commandDatabase();
  process.env.DATABASE_URL = url;
  // Imported after DATABASE_URL is settled: the Prisma client reads it when first loaded.
  const { prisma } = await import('../app/db.server');
  const { verifyAuditChain } = await import('../app/audit/audit.server');
  try {
    const organization = await prisma.organization.findUnique({ where: { slug }, select: { id: true, name: true } });
    if (!organization) {
      console.error(`No organization with slug "${slug}".`);
      return 2;
    }
    const result = await verifyAuditChain(organization.id);
    if (result.ok) {
      console.log(`OK: ${result.count} audit events of "${slug}" verified.`);
      return 0;
    }
    console.error(
      `FAILED: "${slug}" audit chain breaks at seq ${result.firstBadSeq}: ${result.reason} (${result.count} events verified before it).`,
    );
    return 1;
  } finally {
    await prisma.$disconnect();
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`audit ${process.argv[2] ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
