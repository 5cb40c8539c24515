// The organizations domain's one error type; routes map it to a field error, a toast or an HTTP status.

export class OrgError extends Error {
  constructor(
    message: string,
    public readonly status: 400 | 403 | 404 | 409 = 400,
  ) {
    super(message);
    this.name = 'OrgError';
  }
}
