// The one error type of the credentials domain; routes map its code to an HTTP status.

export type CredentialErrorCode =
  | 'not_found'
  | 'forbidden'
  | 'validation'
  | 'conflict'
  | 'reauth_required'
  | 'too_large';

/** Field name → messages a form can show next to that field. Never contains a secret value. */
export type FieldErrors = Record<string, string[]>;

const HTTP_STATUS: Record<CredentialErrorCode, number> = {
  not_found: 404,
  forbidden: 403,
  validation: 400,
  conflict: 409,
  reauth_required: 401,
  too_large: 413,
};

export class CredentialError extends Error {
  readonly code: CredentialErrorCode;
  readonly fieldErrors: FieldErrors;

  constructor(code: CredentialErrorCode, message: string, fieldErrors: FieldErrors = {}) {
    super(message);
    this.name = 'CredentialError';
    this.code = code;
    this.fieldErrors = fieldErrors;
  }

  /** The HTTP status a route should answer with. */
  get status(): number {
    return HTTP_STATUS[this.code];
  }

  /** A body safe to send to a browser or an agent (message and field errors only). */
  toJSON() {
    return { error: { code: this.code, message: this.message, fieldErrors: this.fieldErrors } };
  }
}

/** Same answer for a credential that does not exist and one of another organization. */
export class CredentialNotFoundError extends CredentialError {
  constructor() {
    super('not_found', 'Credential not found');
    this.name = 'CredentialNotFoundError';
  }
}

export class CredentialForbiddenError extends CredentialError {
  constructor(message = 'Only owners and admins can do this') {
    super('forbidden', message);
    this.name = 'CredentialForbiddenError';
  }
}

export class CredentialValidationError extends CredentialError {
  constructor(fieldErrors: FieldErrors, message = 'Please correct the highlighted fields') {
    super('validation', message, fieldErrors);
    this.name = 'CredentialValidationError';
  }
}

export class CredentialConflictError extends CredentialError {
  constructor(message: string, fieldErrors: FieldErrors = {}) {
    super('conflict', message, fieldErrors);
    this.name = 'CredentialConflictError';
  }
}

export class CredentialReauthRequiredError extends CredentialError {
  constructor() {
    super('reauth_required', 'Re-enter your password to reveal this credential');
    this.name = 'CredentialReauthRequiredError';
  }
}

export class CredentialTooLargeError extends CredentialError {
  constructor(maxBytes: number, field = 'file') {
    const message = `The file is larger than ${formatByteLimit(maxBytes)}`;
    super('too_large', message, { [field]: [message] });
    this.name = 'CredentialTooLargeError';
  }
}

export function isCredentialError(error: unknown): error is CredentialError {
  return error instanceof CredentialError;
}

/** "1 MiB", "512 KiB", "100 bytes": the configured limit in words a person reads. */
export function formatByteLimit(bytes: number): string {
  const units = [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const;
  for (const [unit, size] of units) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}
