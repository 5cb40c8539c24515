// Questions in a terminal (visible, or hidden with raw mode and no echo) and reading all of stdin.
import readline from 'node:readline/promises';
import { CliError } from './exit-codes';
import type { CliIo } from './io';

export function isInteractive(io: CliIo): boolean {
  return Boolean(io.stdin.isTTY);
}

export async function ask(io: CliIo, question: string): Promise<string> {
  const rl = readline.createInterface({ input: io.stdin, output: io.stderr, terminal: Boolean(io.stdin.isTTY) });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** A secret typed in a terminal: raw mode, nothing echoed, backspace and Ctrl-C handled. */
export function askHidden(io: CliIo, question: string): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY || !stdin.setRawMode) throw new CliError('A secret can only be typed in a terminal: pipe it to stdin instead.');
  io.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: CliError) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new CliError('Cancelled.', 130));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    stdin.setRawMode!(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

export async function readStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A value piped in: one trailing newline (from echo or a heredoc) is not part of it. */
export function stripTrailingNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

export async function confirm(io: CliIo, question: string): Promise<boolean> {
  return /^y(es)?$/i.test(await ask(io, question));
}
