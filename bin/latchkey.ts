// The `latchkey` command: see app/api/cli.ts.
import { runCli } from '../app/api/cli';

runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`latchkey: ${(error as Error).message}\n`);
    process.exitCode = 3;
  },
);
