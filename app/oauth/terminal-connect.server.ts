// Connect from a terminal: the API signs a short-lived ticket naming what to connect; a signed-in member opens it, confirms, and continues to the provider with their own session.
import crypto from 'node:crypto';
import { z } from 'zod';
import { getEnv } from '~/config/env.server';
import { oauthSpecFor } from '~/credentials/catalog';
import type { CredentialActor } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { allows, deniedMessage } from '~/orgs/permissions';
import { OAuthError } from './errors';
import { connectSchema } from './flow.server';

export const TICKET_TTL_MS = 15 * 60_000;

const ticketSchema = z.object({
  org: z.string(),
  service: z.string(),
  name: z.string(),
  description: z.string(),
  scopes: z.array(z.string()).optional(),
  appId: z.string().optional(),
  by: z.string(),
  exp: z.number(),
});
export type ConnectTicket = z.infer<typeof ticketSchema>;

function signature(payload: string): string {
  return crypto.createHmac('sha256', getEnv().SESSION_SECRET).update(`latchkey/connect-ticket:${payload}`).digest('base64url');
}

function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) (out[issue.path.join('.') || 'form'] ??= []).push(issue.message);
  return out;
}

/** Checks what to connect as the portal's Connect does, and signs it into a URL path under the organization. */
export async function startConnectTicket(actor: CredentialActor, organizationSlug: string, input: Record<string, unknown>, now = Date.now()) {
  if (!allows(actor.role, 'credential.create')) throw new OAuthError('forbidden', deniedMessage(actor.role, 'credential.create'));
  const parsed = connectSchema.safeParse(input);
  if (!parsed.success) throw new OAuthError('validation', 'Check the highlighted fields', fieldErrors(parsed.error));
  const data = parsed.data;
  if (!oauthSpecFor(data.service)) throw new OAuthError('validation', 'This service does not connect with OAuth', { service: ['Choose a service that supports OAuth'] });
  const taken = await prisma.credential.findFirst({ where: { organizationId: actor.organizationId, name: data.name }, select: { id: true } });
  if (taken) throw new OAuthError('validation', `A credential named ${data.name} already exists`, { name: [`A credential named ${data.name} already exists`] });
  const ticket: ConnectTicket = {
    org: actor.organizationId,
    service: data.service,
    name: data.name,
    description: data.description,
    ...(data.scopes?.length ? { scopes: data.scopes } : {}),
    ...(data.appId ? { appId: data.appId } : {}),
    by: actor.token?.label ?? actor.userLabel,
    exp: now + TICKET_TTL_MS,
  };
  const payload = Buffer.from(JSON.stringify(ticket)).toString('base64url');
  return { path: `/orgs/${organizationSlug}/connect/${payload}.${signature(payload)}`, expiresAt: new Date(ticket.exp) };
}

/** The ticket in a URL, or null when it is forged, altered, expired or for another organization. */
export function readConnectTicket(value: string, organizationId: string, now = Date.now()): ConnectTicket | null {
  const [payload, sig] = value.split('.');
  if (!payload || !sig) return null;
  const expected = Buffer.from(signature(payload));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) return null;
  try {
    const parsed = ticketSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!parsed.success || parsed.data.exp <= now || parsed.data.org !== organizationId) return null;
    return parsed.data;
  } catch {
    return null;
  }
}
