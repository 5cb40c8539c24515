// Reads an authorization server's metadata from its issuer URL (RFC 8414, then OpenID Connect Discovery 1.0), through the egress policy.
import { z } from 'zod';
import { NETWORK_SETTING } from '~/egress/egress.server';
import { egressRequest, isEgressRequestError } from '~/egress/request.server';

const DISCOVERY_TIMEOUT_MS = 10_000;

const endpoint = z.url({ protocol: /^https?$/ });

/** The parts Latchkey uses; anything else in the document is ignored. */
const metadataSchema = z.object({
  issuer: z.string().min(1),
  authorization_endpoint: endpoint,
  token_endpoint: endpoint,
  revocation_endpoint: endpoint.optional(),
  userinfo_endpoint: endpoint.optional(),
  scopes_supported: z.array(z.string()).optional(),
  code_challenge_methods_supported: z.array(z.string()).optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
  authorization_response_iss_parameter_supported: z.boolean().optional(),
});

export interface DiscoveredServer {
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
  revocationUrl: string | null;
  userinfoUrl: string | null;
  /** RFC 9207 §3: the server sends `iss` on every authorization response, so a callback without it is refused. */
  issParameterRequired: boolean;
  /** The server knows S256 (or says nothing about PKCE, where sending it is harmless). */
  pkce: boolean;
  clientAuth: 'basic' | 'post' | null;
  offlineAccessSupported: boolean;
}

export class DiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiscoveryError';
  }
}

/** RFC 8414 §3.1 inserts the well-known segment before the issuer's path; OpenID Connect appends it. */
function candidates(issuer: URL): string[] {
  const path = issuer.pathname.replace(/\/+$/, '');
  return [`${issuer.origin}/.well-known/oauth-authorization-server${path}`, `${issuer.origin}${path}/.well-known/openid-configuration`];
}

/**
 * The metadata of the server whose issuer identifier is `issuerUrl`. The document's `issuer` must be exactly
 * that identifier (RFC 8414 §3.3), or a server could make us trust another one's endpoints.
 */
export async function discoverAuthorizationServer(issuerUrl: string, allowPrivate: boolean): Promise<DiscoveredServer> {
  const issuer = new URL(issuerUrl);
  if (issuer.search || issuer.hash) throw new DiscoveryError('An issuer URL has no query or fragment');
  const expected = issuerUrl.replace(/\/+$/, '');
  let lastProblem = 'it publishes no metadata';
  for (const url of candidates(issuer)) {
    let document: unknown;
    try {
      const answer = await egressRequest(url, { method: 'GET', headers: { accept: 'application/json' }, allowPrivateHosts: allowPrivate, timeoutMs: DISCOVERY_TIMEOUT_MS });
      if (answer.status !== 200) {
        lastProblem = `its metadata answered HTTP ${answer.status}`;
        continue;
      }
      document = JSON.parse(answer.body.toString('utf8'));
    } catch (error) {
      if (isEgressRequestError(error) && error.kind === 'refused') {
        throw new DiscoveryError(`${error.message}. Latchkey connects to private addresses only when an owner allows private hosts in ${NETWORK_SETTING}.`);
      }
      lastProblem = isEgressRequestError(error) ? error.message : 'its metadata is not JSON';
      continue;
    }
    const parsed = metadataSchema.safeParse(document);
    if (!parsed.success) {
      lastProblem = `its metadata lacks ${parsed.error.issues[0]?.path.join('.') || 'required fields'}`;
      continue;
    }
    const m = parsed.data;
    if (m.issuer.replace(/\/+$/, '') !== expected) throw new DiscoveryError(`The server names itself ${m.issuer.slice(0, 200)}, not ${expected}`);
    const auth = m.token_endpoint_auth_methods_supported;
    return {
      issuer: m.issuer,
      authorizationUrl: m.authorization_endpoint,
      tokenUrl: m.token_endpoint,
      revocationUrl: m.revocation_endpoint ?? null,
      userinfoUrl: m.userinfo_endpoint ?? null,
      issParameterRequired: m.authorization_response_iss_parameter_supported === true,
      pkce: !m.code_challenge_methods_supported || m.code_challenge_methods_supported.includes('S256'),
      // RFC 8414 §2: client_secret_basic is the default when the list is omitted.
      clientAuth: !auth || auth.includes('client_secret_basic') ? 'basic' : auth.includes('client_secret_post') ? 'post' : null,
      offlineAccessSupported: m.scopes_supported?.includes('offline_access') ?? false,
    };
  }
  throw new DiscoveryError(`No metadata found at this issuer: ${lastProblem}`);
}
