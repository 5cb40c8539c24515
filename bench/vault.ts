// Benchmark of openSecret with a warm data-key cache against a bare AES-256-GCM decrypt of the same bytes.
import crypto from 'node:crypto';
import pg from 'pg';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const WARMUP_ROUNDS = 5;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 41);
const OPS_PER_ROUND = Number(process.env.BENCH_OPS ?? 5_000);

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main() {
  const database = `latchkey_bench_vault_${crypto.randomBytes(4).toString('hex')}`;
  const url = new URL(BASE_URL);
  url.pathname = `/${database}`;
  await admin(`CREATE DATABASE "${database}"`);
  try {
    const { migrateDatabase } = await import('~/db/migrate.server');
    await migrateDatabase(url.toString());
    // Set before anything reads the environment: the vault's Prisma client and key wrapper use these.
    process.env.DATABASE_URL = url.toString();
    process.env.LATCHKEY_MASTER_KEYS = `bench:${crypto.randomBytes(32).toString('base64')}`;
    process.env.LOG_LEVEL = 'warn';
    await run();
  } finally {
    const { prisma } = await import('~/db.server');
    await prisma.$disconnect();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
}

async function run() {
  const { prisma } = await import('~/db.server');
  const { createOrganizationDataKey, openSecret, readCredentialSecret, writeCredentialSecrets } = await import(
    '~/vault/vault.server'
  );
  const { peekCachedDataKey } = await import('~/vault/keyring.server');
  const { secretAad } = await import('~/vault/envelope.server');

  // Setup: an organization with its data key and one API-key credential, through the real services.
  const plaintext = `sk-live-${crypto.randomBytes(24).toString('base64url')}`;
  const { organizationId, credentialId } = await prisma.$transaction(async (tx) => {
    const org = await tx.organization.create({ data: { slug: 'bench', name: 'Bench' } });
    await createOrganizationDataKey(tx, org.id);
    const credential = await tx.credential.create({
      data: { organizationId: org.id, name: 'bench-key', service: 'custom', type: 'api_key' },
    });
    await writeCredentialSecrets(tx, { organizationId: org.id, credentialId: credential.id, secrets: { key: plaintext } });
    return { organizationId: org.id, credentialId: credential.id };
  });
  // Warms the data-key cache (one database read and unwrap), then every open below is in memory.
  if ((await readCredentialSecret(organizationId, credentialId, 'key')).toString() !== plaintext) {
    throw new Error('setup: the secret did not read back');
  }
  const row = await prisma.credentialSecret.findUniqueOrThrow({
    where: { credentialId_field: { credentialId, field: 'key' } },
  });
  const ciphertext = Buffer.from(row.ciphertext);
  const keyVersion = row.keyVersion;
  const input = { organizationId, credentialId, field: 'key', ciphertext, keyVersion };
  // The baseline decrypts the very same bytes with the same key and associated data.
  const key = Buffer.from(peekCachedDataKey(organizationId, keyVersion)!);
  const aad = secretAad(organizationId, credentialId, 'key', keyVersion);
  const nonce = ciphertext.subarray(1, 13);
  const tag = ciphertext.subarray(ciphertext.length - 16);
  const body = ciphertext.subarray(13, ciphertext.length - 16);

  const rawDecrypt = () => {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const out = decipher.update(body);
    decipher.final();
    return out;
  };
  if (rawDecrypt().toString() !== plaintext || (await openSecret(input)).toString() !== plaintext) {
    throw new Error('setup: decrypt mismatch');
  }

  const openNs: number[] = [];
  const rawNs: number[] = [];
  let sink = 0;
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    // Alternate the order each round so neither side always runs on a warmer CPU.
    const sides = round % 2 === 0 ? (['open', 'raw'] as const) : (['raw', 'open'] as const);
    for (const side of sides) {
      const start = process.hrtime.bigint();
      if (side === 'open') {
        for (let i = 0; i < OPS_PER_ROUND; i++) sink += (await openSecret(input)).length;
      } else {
        for (let i = 0; i < OPS_PER_ROUND; i++) sink += rawDecrypt().length;
      }
      const perOp = Number(process.hrtime.bigint() - start) / OPS_PER_ROUND;
      if (round >= WARMUP_ROUNDS) (side === 'open' ? openNs : rawNs).push(perOp);
    }
  }
  key.fill(0);
  if (sink !== (WARMUP_ROUNDS + ROUNDS) * OPS_PER_ROUND * 2 * plaintext.length) throw new Error('bench: wrong lengths');

  const open = median(openNs);
  const raw = median(rawNs);
  console.log(`payload ${plaintext.length} bytes; ${ROUNDS} rounds × ${OPS_PER_ROUND} ops after ${WARMUP_ROUNDS} warm-up rounds`);
  console.log(`openSecret (warm cache): median ${(open / 1000).toFixed(2)} µs/op`);
  console.log(`raw AES-256-GCM decrypt: median ${(raw / 1000).toFixed(2)} µs/op`);
  console.log(`RESULT vault ratio=${(open / raw).toFixed(2)} target=2`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
