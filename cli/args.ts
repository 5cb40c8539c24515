// Argument parsing shared by every command: node:util parseArgs, --help on each, usage errors exit 3.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError, EXIT_ERROR, EXIT_OK } from './exit-codes';
import type { CliIo } from './io';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** The parsed flags and positionals, or null when --help was asked for (and printed). */
export function parseCommand<O extends Options>(args: string[], options: O, usage: string, io: CliIo) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${usage}`, EXIT_ERROR);
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.out(usage);
    return null;
  }
  return parsed as unknown as { values: { [K in keyof O]?: O[K] extends { multiple: true } ? (O[K] extends { type: 'boolean' } ? boolean[] : string[]) : O[K] extends { type: 'boolean' } ? boolean : string }; positionals: string[] };
}

export function usageError(message: string, usage: string): CliError {
  return new CliError(`${message}\n\n${usage}`, EXIT_ERROR);
}

/** An aligned plain-text table; the last column is not padded. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** A command made of subcommands (`latchkey creds ls`): dispatches, and prints the usage for help or nothing. */
export function withSubcommands(name: string, usage: string, subcommands: Record<string, Command>): Command {
  return {
    usage,
    async run(args, io) {
      const [sub, ...rest] = args;
      if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
        (sub ? io.out : io.err)(usage);
        return sub ? EXIT_OK : EXIT_ERROR;
      }
      const command = subcommands[sub];
      if (!command) throw usageError(`Unknown command: ${name} ${sub}`, usage);
      return command.run(rest, io);
    },
  };
}
