// Password hashing with argon2id (OWASP parameters), plus a dummy verify so unknown emails cost the same time.
import { hash, verify } from '@node-rs/argon2';

// OWASP 2023 minimum for argon2id: m=19 MiB, t=2, p=1.
const OPTIONS = { algorithm: 2 /* Argon2id; the package's enum is an ambient const enum */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends the same time as a real verification, for accounts that do not exist. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('latchkey-dummy-password-for-timing');
  await verifyPassword(await dummyHash, password);
  return false;
}
