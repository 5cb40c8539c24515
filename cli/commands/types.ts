// `latchkey types [SERVICE]`: the service catalog, with an interactive picker that can go on to add a credential.
import type { ApiService } from '../../app/api/schemas';
import { parseCommand, printJson, table, usageError, type Command } from '../args';
import { createClient } from '../client';
import { resolveConnection } from '../config';
import { CliError, EXIT_OK } from '../exit-codes';
import type { CliIo } from '../io';
import { ask, confirm, isInteractive } from '../prompt';
import { addCredential } from './creds';

const USAGE = `Usage: latchkey types [SERVICE] [--json]

  Without SERVICE: the catalog (id, name, credential types). In a terminal, pick a service by number, see its
  fields, and add a credential for it straight away.
  With SERVICE: its fields (label, secret or not, format) and the environment variables latchkey run sets.

  --json   The API's Service objects`;

export function describeService(service: ApiService): string[] {
  const lines = [`${service.name} (${service.id}) — ${service.category}`];
  if (service.docsUrl) lines.push(`Docs: ${service.docsUrl}`);
  if (service.baseUrl) lines.push(`Base URL: ${service.baseUrl}`);
  for (const type of service.types) {
    lines.push('', `Type ${type.type}${type.type === 'oauth' ? ' (connect in Latchkey)' : ''}:`);
    const rows = type.fields.map((f) => [`  ${f.name}`, f.label, f.secret ? 'secret' : 'plain', f.optional ? 'optional' : 'required', f.patternMessage ?? (f.pattern ? `/${f.pattern}/` : f.input), f.envVar ? `$${f.envVar}` : '']);
    if (rows.length) lines.push(table([['  FIELD', 'LABEL', 'SECRET', 'REQUIRED', 'FORMAT', 'ENV'], ...rows]));
  }
  lines.push('', `Environment (latchkey run): ${service.env.value.length ? service.env.value.map((v) => `$${v}`).join(', ') : 'none'} for the secret`);
  if (service.env.baseUrl) lines.push(`Proxy base URL (latchkey run --proxy): $${service.env.baseUrl.name} (ends with ${service.env.baseUrl.path || '/'})`);
  return lines;
}

async function pickAndAdd(io: CliIo, services: ApiService[], api: ReturnType<typeof createClient>): Promise<number> {
  services.forEach((s, i) => io.err(`${String(i + 1).padStart(3)}. ${s.name} (${s.id})`));
  const answer = await ask(io, 'Pick a service number: ');
  const service = services[Number(answer) - 1];
  if (!/^\d+$/.test(answer) || !service) throw new CliError(`"${answer}" is not one of the numbers 1–${services.length}.`);
  for (const line of describeService(service)) io.out(line);
  if (!service.types.some((t) => t.type !== 'oauth')) return EXIT_OK;
  if (!(await confirm(io, `Add a credential for ${service.name} now? [y/N] `))) return EXIT_OK;
  const name = await ask(io, 'Credential name: ');
  if (!name) throw new CliError('No name given.');
  const types = service.types.filter((t) => t.type !== 'oauth').map((t) => t.type);
  const type = types.length > 1 ? (await ask(io, `Type (${types.join(', ')}) [${types[0]}]: `)) || types[0] : types[0];
  const fromFile = type === 'file' ? await ask(io, 'Path of the file: ') : undefined;
  const fields: string[] = [];
  for (const field of service.types.find((t) => t.type === type)?.fields ?? []) {
    if (field.secret || field.input === 'file') continue;
    const value = await ask(io, `${field.label}${field.optional ? ' (optional)' : ''}: `);
    if (value) fields.push(`${field.name}=${value}`);
  }
  const credential = await addCredential(io, api, { name, service: service.id, type, fields, fromFile: fromFile || undefined });
  io.out(`Stored ${credential.name} (${credential.service}, ${credential.type}).`);
  return EXIT_OK;
}

export const typesCommand: Command = {
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { json: { type: 'boolean' } }, USAGE, io);
    if (!parsed) return EXIT_OK;
    const [serviceId, extra] = parsed.positionals;
    if (extra) throw usageError(`Unexpected argument: ${extra}`, USAGE);
    const { url, token } = resolveConnection(io.env);
    const api = createClient(url, token);
    if (serviceId) {
      const service = await api.request<ApiService>('GET', `/services/${encodeURIComponent(serviceId)}`);
      if (parsed.values.json) printJson(io, service);
      else for (const line of describeService(service)) io.out(line);
      return EXIT_OK;
    }
    const { services } = await api.request<{ services: ApiService[] }>('GET', '/services');
    if (parsed.values.json) printJson(io, services);
    else if (isInteractive(io) && io.stdout.isTTY) return pickAndAdd(io, services, api);
    else io.out(table([['ID', 'NAME', 'TYPES'], ...services.map((s) => [s.id, s.name, s.types.map((t) => t.type).join(', ')])]));
    return EXIT_OK;
  },
};
