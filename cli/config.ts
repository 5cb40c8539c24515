// Where `latchkey login` keeps the server address and token (~/.config/latchkey/config.json, 0600), and which wins.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './exit-codes';

export interface StoredConfig {
  url: string;
  token: string;
}

export const DEFAULT_URL = 'http://localhost:3000';

export function configDir(env: Record<string, string | undefined>): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'latchkey');
}

export function configPath(env: Record<string, string | undefined>): string {
  return path.join(configDir(env), 'config.json');
}

export function readConfig(env: Record<string, string | undefined>): StoredConfig | null {
  let text: string;
  try {
    text = fs.readFileSync(configPath(env), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoredConfig>;
    if (typeof parsed.url === 'string' && typeof parsed.token === 'string') return { url: parsed.url, token: parsed.token };
  } catch {
    // Fall through: a damaged file is reported the same way as a missing field.
  }
  throw new CliError(`${configPath(env)} is not a Latchkey config: run latchkey login again.`);
}

/** Written to a temporary file first, so a crash never leaves half a token; the directory is 0700, the file 0600. */
export function writeConfig(env: Record<string, string | undefined>, config: StoredConfig): string {
  const dir = configDir(env);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const file = configPath(env);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
  return file;
}

export function removeConfig(env: Record<string, string | undefined>): boolean {
  try {
    fs.unlinkSync(configPath(env));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export function normalizeUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** The connection to use: flags, then LATCHKEY_URL / LATCHKEY_TOKEN, then the config file. */
export function resolveConnection(env: Record<string, string | undefined>, flags: { url?: string; token?: string } = {}): { url: string; token: string | null } {
  const stored = readConfig(env);
  const url = normalizeUrl(flags.url ?? env.LATCHKEY_URL ?? stored?.url ?? DEFAULT_URL);
  const token = flags.token ?? env.LATCHKEY_TOKEN ?? stored?.token ?? null;
  return { url, token };
}
