// Platform administrators (`npm run admin -- grant EMAIL | revoke EMAIL | list`) and management API tokens for a member (`token create`).
import { parseArgs } from 'node:util';
import { runScript, withCommandDatabase } from './database';

const USAGE = `Usage:
  npm run admin -- grant EMAIL     make the user with this email a platform administrator
  npm run admin -- revoke EMAIL    take platform administration away from that user
  npm run admin -- list            list the platform administrators
  npm run admin -- token create --org SLUG --email EMAIL --name NAME [--role ROLE] [--reveal] [--expires-in-days N]
                                   create a management API token (lkm_…) acting for that member; it is printed once
                                   (role: at most the member's own; default admin for owners and admins)
  (DATABASE_URL, or the embedded database under DATA_DIR when unset)`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'token') return tokenCommand(argv.slice(1));
  const [command, email, ...rest] = argv;
  const needsEmail = command === 'grant' || command === 'revoke';
  if (!(needsEmail || command === 'list') || (needsEmail ? !email || rest.length > 0 : email !== undefined)) {
    console.error(USAGE);
    return 2;
  }
  return withCommandDatabase(async (prisma) => {
    if (command === 'list') {
      const admins = await prisma.user.findMany({ where: { isPlatformAdmin: true }, select: { email: true }, orderBy: { email: 'asc' } });
      console.log(admins.length === 0 ? 'No platform administrators.' : admins.map((a) => a.email).join('\n'));
      return 0;
    }
    const { count } = await prisma.user.updateMany({
      where: { email: { equals: email!.trim(), mode: 'insensitive' } },
      data: { isPlatformAdmin: command === 'grant' },
    });
    if (count === 0) {
      console.error(`No user with the email "${email}". They sign up first, then you grant.`);
      return 1;
    }
    console.log(command === 'grant' ? `${email} is now a platform administrator (/admin/queues).` : `${email} is no longer a platform administrator.`);
    return 0;
  });
}

/** `token create …`: a management token for a member, created as the member with the admin script as the audit actor. */
async function tokenCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        org: { type: 'string' },
        email: { type: 'string' },
        name: { type: 'string' },
        role: { type: 'string' },
        reveal: { type: 'boolean', default: false },
        'expires-in-days': { type: 'string' },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] !== 'create' || !values.org || !values.email || values.name === undefined) {
    console.error(USAGE);
    return 2;
  }
  const days = values['expires-in-days'];
  const expiresInDays = days === undefined ? null : /^\d+$/.test(days.trim()) ? Number(days) : Number.NaN;
  return withCommandDatabase(async (prisma) => {
    // Imported once DATABASE_URL is settled, so the service uses this command's database.
    const { createManagementToken, ManagementTokenError } = await import('../app/tokens/management-tokens.server');
    const { systemAuditContext } = await import('../app/audit/audit.server');
    const organization = await prisma.organization.findUnique({ where: { slug: values.org!.trim() }, select: { id: true, slug: true } });
    if (!organization) {
      console.error(`No organization with the slug "${values.org}".`);
      return 1;
    }
    const user = await prisma.user.findFirst({ where: { email: { equals: values.email!.trim(), mode: 'insensitive' } }, select: { id: true, email: true } });
    if (!user) {
      console.error(`No user with the email "${values.email}".`);
      return 1;
    }
    const membership = await prisma.membership.findFirst({ where: { organizationId: organization.id, userId: user.id }, select: { role: true } });
    if (!membership) {
      console.error(`${user.email} is not a member of ${organization.slug}.`);
      return 1;
    }
    const role = values.role ?? (membership.role === 'owner' || membership.role === 'admin' ? 'admin' : membership.role);
    try {
      const { token, view } = await createManagementToken(
        { organizationId: organization.id, userId: user.id, role: membership.role, context: systemAuditContext('admin script') },
        { name: values.name!, role: role as never, reveal: values.reveal, expiresInDays },
      );
      console.log(token);
      console.error(
        `Created API token “${view.name}” (${view.role}${view.canReveal ? ', can reveal' : ''}, ${view.prefix}…) acting for ${user.email} in ${organization.slug}` +
          `${view.expiresAt ? `, expires ${view.expiresAt.toISOString()}` : ', no expiry'}. It is shown only once: use it as Authorization: Bearer … or with latchkey login.`,
      );
      return 0;
    } catch (error) {
      if (error instanceof ManagementTokenError) {
        const fields = Object.entries(error.fieldErrors).map(([field, messages]) => `  ${field === 'expiresInDays' ? 'expires-in-days' : field}: ${messages.join('; ')}`);
        console.error([error.code === 'validation' ? 'The token was not created:' : error.message, ...fields].join('\n'));
        return 1;
      }
      throw error;
    }
  });
}

runScript('admin', main);
