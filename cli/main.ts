// The `latchkey` command for people and agents: dispatches to cli/commands/*, all talking to the HTTP API only.
import { usageError, type Command } from './args';
import { agentsCommand } from './commands/agents';
import { loginCommand, logoutCommand, whoamiCommand } from './commands/auth';
import { credsCommand } from './commands/creds';
import { doctorCommand } from './commands/doctor';
import { proposalsCommand, proposeCommand } from './commands/proposals';
import { requirementsCommand } from './commands/requirements';
import { runCommand } from './commands/run';
import { statusCommand } from './commands/status';
import { typesCommand } from './commands/types';
import { CliError, EXIT_ERROR, EXIT_OK } from './exit-codes';
import { processIo, type CliIo } from './io';

const USAGE = `Usage: latchkey <command> [options]

  login        Store Latchkey's address and a token (asked for without echo)
  logout       Forget the stored login
  whoami       Which token is in use
  creds        Credentials: ls, show, add, replace, edit, rm, reveal, test   (management token)
  types        The service catalog, and each service's fields and variables
  agents       Agents and their tokens: ls, create, rotate, revoke           (management token)
  status       The credentials this agent may use; --check for monitoring    (agent token)
  run          Run a program with the agent's credentials in its environment (agent token)
  requirements What this agent needs: ls, set NAME[?]... or --file PATH      (agent token)
  doctor       Whether each required credential works, and where to fix it   (agent token)
  propose      Ask a person for credentials; prints the approval link        (agent token)
  proposals    Proposals: ls, show, approve, reject                          (management token; show: either)

  latchkey <command> --help shows each command's options. Every listing takes --json (the API's objects).
  The connection: $LATCHKEY_URL and $LATCHKEY_TOKEN, else the stored login (~/.config/latchkey/config.json).
  Secrets are never read from the command line: they are typed without echo, or piped to stdin.

Exit codes:
  0  ok
  1  a check failed (status --check, creds test, doctor: a credential is missing or not usable);
     a proposal was rejected or expired (propose --wait, proposals show --wait)
  2  a credential expires soon (status --check, creds test, doctor)
  3  usage error, or Latchkey could not be reached or answered unexpectedly; a proposal still pending when --wait ran out
  4  not allowed: the token was refused or may not do this (HTTP 401/403)
  (run exits with the program's own exit code.)`;

const COMMANDS: Record<string, Command> = {
  login: loginCommand,
  logout: logoutCommand,
  whoami: whoamiCommand,
  creds: credsCommand,
  credentials: credsCommand,
  types: typesCommand,
  services: typesCommand,
  agents: agentsCommand,
  status: statusCommand,
  run: runCommand,
  requirements: requirementsCommand,
  doctor: doctorCommand,
  propose: proposeCommand,
  proposals: proposalsCommand,
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.out : io.err)(USAGE);
    return name ? EXIT_OK : EXIT_ERROR;
  }
  try {
    const command = COMMANDS[name];
    if (!command) throw usageError(`Unknown command: ${name}`, USAGE);
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      for (const line of error.details) io.err(line);
      io.err(error.message);
      return error.exitCode;
    }
    io.err(`latchkey: ${(error as Error).message}`);
    return EXIT_ERROR;
  }
}

// exitCode, not process.exit(): output piped to another program is written asynchronously and must not be cut off.
runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`latchkey: ${(error as Error).message}\n`);
    process.exitCode = EXIT_ERROR;
  },
);
