// The benchmark's OAuth provider in its own process, as a real provider is: its CPU is not the
// worker's. It issues the credentials' first tokens and answers how many token requests it served.
import { startTestOAuthProvider } from '../../test/oauth-provider';

export type ProviderMessage =
  | { kind: 'ready'; tokenUrl: string; authorizationUrl: string; clientId: string; clientSecret: string; refreshTokens: string[] }
  | { kind: 'count'; refreshRequests: number };

const provider = await startTestOAuthProvider({ accessTokenTtl: 3600 });
const count = Number(process.argv[2] ?? 0);
const send = (message: ProviderMessage) => process.send!(message);
send({
  kind: 'ready',
  tokenUrl: provider.tokenUrl,
  authorizationUrl: provider.authorizationUrl,
  clientId: provider.clientId,
  clientSecret: provider.clientSecret,
  refreshTokens: Array.from({ length: count }, () => provider.issueTokens(['read']).refreshToken),
});
process.on('message', () => send({ kind: 'count', refreshRequests: provider.tokenRequests.filter((r) => r.grantType === 'refresh_token').length }));
process.on('disconnect', () => void provider.close().then(() => process.exit(0)));
