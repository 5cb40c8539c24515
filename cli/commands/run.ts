// `latchkey run -- CMD …`: run a program with the agent's credentials in its environment (delivered, or via the proxy).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiCredential, ApiService, ApiValue } from '../../app/api/schemas';
import { parseCommand, usageError, type Command } from '../args';
import { createClient, type ApiClient } from '../client';
import { resolveConnection } from '../config';
import { CliError, EXIT_OK } from '../exit-codes';
import type { CliIo } from '../io';

const USAGE = `Usage: latchkey run [--only NAME,...] [--env VAR=credential[.field]]... [--proxy] -- CMD [ARGS…]   (an agent token, lk_…)

  Run CMD with credentials in its environment, then exit with its exit code (128+N when killed by signal N;
  127 when CMD cannot be started). SIGINT, SIGTERM and SIGHUP are passed on to it.

  Without --proxy, each credential this agent may receive (grant mode deliver) is fetched and set in the
  service's variables (latchkey types SERVICE lists them, e.g. GITHUB_TOKEN and GH_TOKEN). A file credential
  is written to a private temporary folder (0700, files 0600), removed when CMD ends, and its path is set.

  --only NAME,...           Only these credentials (repeatable)
  --env VAR=NAME[.FIELD]    Set VAR from this credential's FIELD (default: its secret, or the file's path)
  --proxy                   Deliver nothing: point each SDK at Latchkey's proxy instead, e.g.
                            OPENAI_BASE_URL=https://latchkey…/api/v1/proxy/openai-prod/v1 and
                            OPENAI_API_KEY=<the agent token>, which the proxy accepts in place of the key.

  Examples:
    latchkey run -- gh repo list
    latchkey run --only gcp-deploy -- terraform apply
    latchkey run --env DATABASE_PASSWORD=db-prod.password -- ./migrate
    latchkey run --proxy --only openai-prod -- python agent.py`;

interface Plan {
  vars: Record<string, string>;
  /** Which credential set each variable, for the summary on stderr (never the values). */
  sources: Record<string, string>;
}

function mainSecretField(service: ApiService, type: string) {
  return service.types.find((t) => t.type === type)?.fields.find((f) => f.secret) ?? null;
}

function setVar(plan: Plan, io: CliIo, name: string, value: string, source: string, override = false): void {
  if (plan.sources[name] && !override) {
    if (plan.sources[name] !== source) io.err(`latchkey: $${name} is already set from ${plan.sources[name]}; ${source} not used for it (choose with --env ${name}=…).`);
    return;
  }
  plan.vars[name] = value;
  plan.sources[name] = source;
}

function safeFileName(name: string): string {
  return path.basename(name).replace(/[^A-Za-z0-9._-]/g, '_') || 'credential';
}

export function parseEnvFlag(value: string): { variable: string; credential: string; field: string | null } {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=([^.]+)(?:\.(.+))?$/.exec(value);
  if (!match) throw new CliError(`--env ${value}: write it as VAR=credential or VAR=credential.field.`);
  return { variable: match[1]!, credential: match[2]!, field: match[3] ?? null };
}

async function deliveredPlan(io: CliIo, api: ApiClient, selected: string[], explicit: ReturnType<typeof parseEnvFlag>[], folder: () => string): Promise<Plan> {
  const plan: Plan = { vars: {}, sources: {} };
  const services = new Map<string, Promise<ApiService>>();
  const service = (id: string) => {
    if (!services.has(id)) services.set(id, api.request<ApiService>('GET', `/services/${encodeURIComponent(id)}`));
    return services.get(id)!;
  };
  const names = [...new Set([...selected, ...explicit.map((e) => e.credential)])];
  const delivered = new Map<string, { value: ApiValue; filePath: string | null; service: ApiService }>();
  for (const name of names) {
    const value = await api.request<ApiValue>('POST', `/credentials/${encodeURIComponent(name)}/deliver`);
    let filePath: string | null = null;
    if (value.file) {
      filePath = path.join(folder(), `${safeFileName(name)}-${safeFileName(value.file.name)}`);
      fs.writeFileSync(filePath, Buffer.from(value.file.base64, 'base64'), { mode: 0o600 });
    }
    delivered.set(name, { value, filePath, service: await service(value.service) });
  }
  for (const { variable, credential, field } of explicit) {
    const { value, filePath, service: svc } = delivered.get(credential)!;
    const main = mainSecretField(svc, value.type);
    const chosen = field ? value.fields[field] : (filePath ?? (main ? value.fields[main.name] : undefined));
    if (chosen === undefined) throw new CliError(`--env ${variable}: ${credential} has no field ${field ?? '(secret)'}; it has ${Object.keys(value.fields).join(', ') || (filePath ? 'only its file' : 'no fields')}.`);
    setVar(plan, io, variable, chosen, credential, true);
  }
  for (const name of selected) {
    const { value, filePath, service: svc } = delivered.get(name)!;
    const main = mainSecretField(svc, value.type);
    const secret = filePath ?? (main ? value.fields[main.name] : undefined);
    if (secret !== undefined) for (const variable of svc.env.value) setVar(plan, io, variable, secret, name);
    for (const field of svc.types.find((t) => t.type === value.type)?.fields ?? []) {
      if (!field.envVar) continue;
      const fieldValue = field.input === 'file' ? filePath : value.fields[field.name];
      if (fieldValue) setVar(plan, io, field.envVar, fieldValue, name);
    }
  }
  return plan;
}

async function proxyPlan(io: CliIo, api: ApiClient, selected: ApiCredential[]): Promise<Plan> {
  const plan: Plan = { vars: {}, sources: {} };
  for (const credential of selected) {
    const service = await api.request<ApiService>('GET', `/services/${encodeURIComponent(credential.service)}`);
    if (!service.env.baseUrl) {
      io.err(`latchkey: ${credential.name} (${service.name}) has no SDK base-URL variable; use its proxy path ${credential.proxyPath ?? ''} directly.`);
      continue;
    }
    setVar(plan, io, service.env.baseUrl.name, `${api.url}/api/v1/proxy/${encodeURIComponent(credential.name)}${service.env.baseUrl.path}`, credential.name);
    for (const variable of service.env.value) setVar(plan, io, variable, api.token, credential.name);
  }
  return plan;
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export const runCommand: Command = {
  usage: USAGE,
  async run(args, io) {
    const separator = args.indexOf('--');
    const own = separator === -1 ? args : args.slice(0, separator);
    const parsed = parseCommand(own, { only: { type: 'string', multiple: true }, env: { type: 'string', multiple: true }, proxy: { type: 'boolean' } }, USAGE, io);
    if (!parsed) return EXIT_OK;
    const command = separator === -1 ? parsed.positionals : [...parsed.positionals, ...args.slice(separator + 1)];
    if (!command.length) throw usageError('Which program? Put it after --, e.g. latchkey run -- gh repo list.', USAGE);
    const explicit = (parsed.values.env ?? []).map(parseEnvFlag);
    if (parsed.values.proxy && explicit.length) throw usageError('--env chooses delivered values; with --proxy nothing is delivered.', USAGE);
    const only = parsed.values.only?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

    const { url, token } = resolveConnection(io.env);
    const api = createClient(url, token);
    const credentials = await api.list<ApiCredential>('/credentials', 'credentials');
    const missing = (only ?? []).filter((name) => !credentials.some((c) => c.name === name));
    if (missing.length) throw new CliError(`This agent may not use ${missing.join(', ')} (or no such credential).`, 4);

    let folder: string | null = null;
    const cleanup = () => {
      if (folder) fs.rmSync(folder, { recursive: true, force: true });
      folder = null;
    };
    let child: ChildProcess | null = null;
    const onSignal = (signal: NodeJS.Signals) => {
      if (child) child.kill(signal);
      else {
        cleanup();
        process.exit(128 + (os.constants.signals[signal] ?? 0));
      }
    };
    for (const signal of FORWARDED) process.on(signal, onSignal);
    process.on('exit', cleanup);
    const makeFolder = () => {
      folder ??= fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-run-'));
      fs.chmodSync(folder, 0o700);
      return folder;
    };

    try {
      let plan: Plan;
      if (parsed.values.proxy) plan = await proxyPlan(io, api, only ? credentials.filter((c) => only.includes(c.name)) : credentials);
      else {
        const selected = only ?? credentials.filter((c) => c.mode === 'deliver').map((c) => c.name);
        plan = await deliveredPlan(io, api, selected, explicit, makeFolder);
      }
      const summary = Object.entries(plan.sources).map(([variable, source]) => `${variable} (${source})`);
      io.err(summary.length ? `latchkey: set ${summary.join(', ')}` : 'latchkey: no credentials to set for this agent.');
      return await new Promise<number>((resolve) => {
        const started = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env: { ...io.env, ...plan.vars } as NodeJS.ProcessEnv });
        child = started;
        started.on('error', (error) => {
          io.err(`latchkey: could not start ${command[0]}: ${error.message}`);
          resolve(127);
        });
        started.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0)));
      });
    } finally {
      cleanup();
      for (const signal of FORWARDED) process.removeListener(signal, onSignal);
    }
  },
};
