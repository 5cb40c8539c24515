// Revoking a credential's tokens at its provider by the provider's own method (RFC 7009, GitHub's token API, Slack's auth.revoke), through the egress policy.
import { egressRequest, isEgressRequestError, type EgressResponse } from '~/egress/request.server';
import type { ResolvedClient } from './apps.server';
import type { RevocationMethod } from './providers.server';
import { revokeAtEndpoint, TOKEN_REQUEST_TIMEOUT_MS, TokenEndpointError } from './token-endpoint.server';

/** The provider did not confirm; the message is built from its answer's status and code, never from what we sent. */
export class RevocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RevocationError';
  }
}

export interface TokensToRevoke {
  accessToken: string | null;
  refreshToken: string | null;
}

/** Whether the method can revoke at all. */
export function canRevoke(method: RevocationMethod): boolean {
  return method.kind !== 'none';
}

function json(response: EgressResponse): Record<string, unknown> | null {
  try {
    const data: unknown = JSON.parse(response.body.toString('utf8'));
    return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function basic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

async function revokeGitHubToken(url: string, client: ResolvedClient, accessToken: string): Promise<void> {
  if (!client.clientSecret) throw new RevocationError('GitHub needs the app’s client secret to revoke a token');
  const answer = await egressRequest(url.replace('{client_id}', encodeURIComponent(client.clientId)), {
    method: 'DELETE',
    headers: {
      authorization: basic(client.clientId, client.clientSecret),
      accept: 'application/vnd.github+json',
      'content-type': 'application/json',
      'x-github-api-version': '2022-11-28',
    },
    body: JSON.stringify({ access_token: accessToken }),
    allowPrivateHosts: client.allowPrivateHosts ?? false,
    timeoutMs: TOKEN_REQUEST_TIMEOUT_MS,
  });
  if (answer.status === 204) return;
  // GitHub answers 404 both for a token it no longer knows and for wrong app credentials: not a confirmation.
  if (answer.status === 404) throw new RevocationError('GitHub answered HTTP 404 (the token is already revoked, or the app’s client ID or secret is wrong)');
  throw new RevocationError(`GitHub answered HTTP ${answer.status}`);
}

/** Slack's answers that mean the token no longer works anyway. */
const SLACK_GONE = new Set(['invalid_auth', 'token_revoked', 'account_inactive', 'not_authed']);

async function revokeSlackToken(url: string, client: ResolvedClient, accessToken: string): Promise<void> {
  const answer = await egressRequest(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
    allowPrivateHosts: client.allowPrivateHosts ?? false,
    timeoutMs: TOKEN_REQUEST_TIMEOUT_MS,
  });
  const body = json(answer);
  // Slack's error codes are short identifiers; anything else in the answer is never repeated.
  const error = typeof body?.error === 'string' && /^[a-z_]{1,60}$/.test(body.error) ? body.error : null;
  if (answer.status === 200 && body?.ok === true) return;
  if (error && SLACK_GONE.has(error)) return;
  throw new RevocationError(error ? `Slack answered ${error}` : `Slack answered HTTP ${answer.status}`);
}

/**
 * Revokes at the provider by its method; resolves when the provider confirmed (or no longer knows the tokens).
 * Throws RevocationError when it did not; callers never call it for `none`.
 */
export async function revokeTokens(client: ResolvedClient, tokens: TokensToRevoke): Promise<void> {
  const method = client.revocation;
  try {
    switch (method.kind) {
      case 'rfc7009': {
        const url = client.endpoints.revocationUrl;
        if (!url) throw new RevocationError('no revocation URL is known');
        // Revoking the refresh token ends the grant at RFC 7009 servers; the access token too where it is separate.
        if (tokens.refreshToken) await revokeAtEndpoint(url, client, tokens.refreshToken, 'refresh_token');
        if (tokens.accessToken) await revokeAtEndpoint(url, client, tokens.accessToken, 'access_token');
        return;
      }
      case 'github':
        if (tokens.accessToken) await revokeGitHubToken(method.url, client, tokens.accessToken);
        return;
      case 'slack':
        if (tokens.accessToken) await revokeSlackToken(method.url, client, tokens.accessToken);
        return;
      case 'none':
        throw new RevocationError(`${client.label} offers no way for apps to revoke tokens`);
    }
  } catch (error) {
    if (error instanceof RevocationError) throw error;
    if (error instanceof TokenEndpointError || isEgressRequestError(error)) throw new RevocationError(error.message);
    throw error;
  }
}
