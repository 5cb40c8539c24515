// The CLI's exit codes, one meaning each, documented in `latchkey --help`.
export const EXIT_OK = 0;
/** A check failed: a credential is not usable (expired, needs attention, disconnected). */
export const EXIT_ATTENTION = 1;
/** A credential expires soon (status --check, creds test). */
export const EXIT_EXPIRING = 2;
/** Usage errors, an unreachable server, an unexpected answer. */
export const EXIT_ERROR = 3;
/** The server refused the token or the action (HTTP 401 or 403). */
export const EXIT_NOT_ALLOWED = 4;

/** An error the CLI reports in one line (or a few) and turns into an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_ERROR,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}
