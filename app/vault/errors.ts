// The vault's one error type; routes map its code to an HTTP answer and never show its cause.

export type VaultErrorCode =
  /** The organization, credential or secret field does not exist (or belongs to another organization). */
  | 'not_found'
  /** The ciphertext, its key or its associated data do not match: tampered, moved, or a wrong key version. */
  | 'cannot_open'
  /** A master key or data key the operation needs is not configured. */
  | 'key_unavailable';

export class VaultError extends Error {
  constructor(
    public readonly code: VaultErrorCode,
    message: string,
  ) {
    // Messages name ids at most, never key material or plaintext.
    super(message);
    this.name = 'VaultError';
  }
}

export function isVaultError(error: unknown, code?: VaultErrorCode): error is VaultError {
  return error instanceof VaultError && (code === undefined || error.code === code);
}
