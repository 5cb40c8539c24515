// Test-only: run the real `latchkey` bin as a child process with a private HOME, feeding values through stdin.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The shipped `latchkey` bin, from source (what `npx latchkey` runs). */
export const SHIM = path.resolve(__dirname, '../bin/latchkey.js');
/** What the tests run: the bundle test/global-setup.ts built from this source (`npm run build:cli`), else the shim. */
export const BIN = process.env.LATCHKEY_CLI_BUNDLE ?? SHIM;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-cli-home-'));
}

export function latchkey(args: string[], options: { env?: Record<string, string>; input?: string; home?: string } = {}): Promise<CliResult> {
  const child = spawnLatchkey(args, options);
  if (options.input !== undefined) child.stdin.end(options.input);
  else child.stdin.end();
  return finished(child);
}

export function spawnLatchkey(args: string[], options: { env?: Record<string, string>; home?: string } = {}) {
  return spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: options.home ?? tempHome(), TMPDIR: os.tmpdir(), ...options.env } as unknown as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function finished(child: ReturnType<typeof spawnLatchkey>): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Every process's command line on this machine (Linux /proc), to prove a secret never travelled in argv. */
export function allCommandLines(): string {
  let out = '';
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      out += `${fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ')}\n`;
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
