// Audit CLI: `npm run audit -- verify SLUG` checks an organization's hash chain (exit 1 when broken).
import { runScript, withCommandDatabase } from './database';

const USAGE = `Usage:
  npm run audit -- verify SLUG    verify the audit hash chain of the organization SLUG
                                  (DATABASE_URL, or the embedded database under DATA_DIR when unset)`;

async function main(argv: string[]): Promise<number> {
  const [command, slug, ...rest] = argv;
  if (command !== 'verify' || !slug || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }

  return withCommandDatabase(async (prisma) => {
    const { verifyAuditChain } = await import('../app/audit/audit.server');
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
  });
}

runScript('audit', main);
