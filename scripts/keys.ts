// Key management CLI: `npm run keys -- rotate-master | rotate-org SLUG [--now] | status`, on DATABASE_URL or the embedded database.
import { runScript, withCommandDatabase } from './database';

const USAGE = `Usage:
  npm run keys -- status                  which master key wraps how many data keys; data-key versions per organization
  npm run keys -- rotate-master           re-wrap every data key under the active (first) master key in LATCHKEY_MASTER_KEYS
  npm run keys -- rotate-org SLUG         give the organization a new data-key version and enqueue re-encryption
  npm run keys -- rotate-org SLUG --now   the same, re-encrypting in this process instead of waiting for a worker
  (DATABASE_URL, or the embedded database under DATA_DIR when unset, running or not)`;

async function rotateMaster() {
  const { rotateMasterKey } = await import('../app/vault/vault.server');
  console.log('Re-wrapping data keys under the active master key…');
  const report = await rotateMasterKey();
  console.log(`Active master key: ${report.activeMasterKeyId}`);
  console.log(`Re-wrapped: ${report.rewrapped} data key(s)`);
  if (report.failed > 0) {
    console.log(`Failed:     ${report.failed} data key(s) — their master key is not in LATCHKEY_MASTER_KEYS (see the log)`);
  }
  console.log('Data keys per master key now:');
  const entries = Object.entries(report.stillUsing);
  if (entries.length === 0) console.log('  (no data keys yet)');
  for (const [id, count] of entries) console.log(`  ${id.padEnd(20)} ${count}${id === report.activeMasterKeyId ? '  (active)' : ''}`);
  if (report.removable.length > 0) {
    console.log(`No longer used, safe to remove from LATCHKEY_MASTER_KEYS: ${report.removable.join(', ')}`);
  }
  const stillOld = entries.filter(([id]) => id !== report.activeMasterKeyId);
  if (stillOld.length > 0) {
    console.log(`Still in use, keep them: ${stillOld.map(([id]) => id).join(', ')}`);
    return 1;
  }
  return 0;
}

async function rotateOrg(slug: string, now: boolean) {
  const { rotateOrganizationKey, reencryptOrganizationSecrets } = await import('../app/vault/vault.server');
  const result = await rotateOrganizationKey(slug, now ? { enqueue: async () => {} } : {});
  console.log(
    `Organization "${slug}": data key v${result.previousVersion} → v${result.version} (wrapped by master key ${result.masterKeyId}).`,
  );
  console.log('New secrets are sealed with the new version; existing ones stay readable under their old version.');
  if (!now) {
    console.log('Re-encryption job enqueued on the "vault" queue; a running worker will pick it up.');
    return 0;
  }
  const report = await reencryptOrganizationSecrets(result.organizationId);
  console.log(
    `Re-encrypted ${report.reencrypted} secret(s); ${report.skipped} changed meanwhile; ${report.failed} failed; ${report.remaining} still on an old version.`,
  );
  console.log(`Data-key versions in use: ${report.versionsInUse.join(', ') || 'none'}`);
  return report.failed > 0 || report.remaining > 0 ? 1 : 0;
}

async function status() {
  const { prisma } = await import('../app/db.server');
  const { getKeyWrapper } = await import('../app/vault/vault.server');
  const wrapper = getKeyWrapper();
  const byMaster = await prisma.organizationDataKey.groupBy({ by: ['masterKeyId'], _count: { _all: true } });
  console.log(`Key wrapper: ${wrapper.id}; active master key: ${wrapper.activeMasterKeyId}`);
  console.log('Data keys per master key:');
  for (const g of byMaster) console.log(`  ${g.masterKeyId.padEnd(20)} ${g._count._all}`);
  const unused = (wrapper.masterKeyIds ?? []).filter(
    (id) => id !== wrapper.activeMasterKeyId && !byMaster.some((g) => g.masterKeyId === id),
  );
  if (unused.length > 0) console.log(`Configured but unused (removable): ${unused.join(', ')}`);
  const orgs = await prisma.organization.findMany({
    select: { slug: true, activeKeyVersion: true, id: true },
    orderBy: { slug: 'asc' },
  });
  const usage = await prisma.$queryRaw<Array<{ organizationId: string; keyVersion: number; count: bigint }>>`
    SELECT c."organizationId", s."keyVersion", count(*) AS count
    FROM "CredentialSecret" s JOIN "Credential" c ON c."id" = s."credentialId"
    GROUP BY 1, 2 ORDER BY 1, 2`;
  console.log('Organizations (active data-key version; secrets per version):');
  for (const org of orgs) {
    const mine = usage.filter((u) => u.organizationId === org.id);
    const detail = mine.map((u) => `v${u.keyVersion}: ${u.count}`).join(', ') || 'no secrets';
    console.log(`  ${org.slug.padEnd(30)} v${org.activeKeyVersion}  (${detail})`);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'rotate-master' && rest.length === 0) return withCommandDatabase(() => rotateMaster());
  if (command === 'status' && rest.length === 0) return withCommandDatabase(() => status());
  if (command === 'rotate-org') {
    const now = rest.includes('--now');
    const args = rest.filter((a) => a !== '--now');
    if (args.length === 1 && args[0]) return withCommandDatabase(() => rotateOrg(args[0]!, now));
  }
  console.error(USAGE);
  return 2;
}

runScript('keys', main);
