// Platform administrators (who may open /admin/queues): `npm run admin -- grant EMAIL | revoke EMAIL | list`.
import { runScript, withCommandDatabase } from './database';

const USAGE = `Usage:
  npm run admin -- grant EMAIL     make the user with this email a platform administrator
  npm run admin -- revoke EMAIL    take platform administration away from that user
  npm run admin -- list            list the platform administrators
  (DATABASE_URL, or the embedded database under DATA_DIR when unset)`;

async function main(argv: string[]): Promise<number> {
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

runScript('admin', main);
