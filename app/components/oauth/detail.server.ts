// What the credential page shows about an OAuth credential: a true account line, the app its tokens belong to, the apps to reconnect with, and what Disconnect and Delete do at the provider.
import { parseCredentialSettings } from '~/credentials/settings';
import { prisma } from '~/db.server';
import { connectOptions, credentialAppName, PLATFORM_APP_ID, revocationFor, type ConnectOption } from '~/oauth/apps.server';
import { revocationPlan, type RevocationPlan } from '~/oauth/disconnect.server';
import { isOAuthProviderId } from '~/oauth/providers.server';

export interface OAuthDetailView {
  /** The account line: who the tokens act as, or honestly why that is unknown. */
  account: { text: string; known: boolean };
  /** The app the tokens were issued to ("Strict peer", "Latchkey’s GitHub app"); null for pasted tokens with their own token URL. */
  appName: string | null;
  /** Tokens a person pasted rather than signed in for. */
  pasted: boolean;
  /** The apps Reconnect can use, and the one it uses unless another is picked. */
  apps: ConnectOption[];
  currentAppId: string | null;
  /** Null when disconnected (nothing to revoke). */
  plan: RevocationPlan | null;
}

export async function oauthDetailView(credential: { id: string; organizationId: string; status: string; oauthProvider: string | null; oauthAccount: string | null }): Promise<OAuthDetailView> {
  const row = await prisma.credential.findUniqueOrThrow({
    where: { id: credential.id },
    select: { id: true, organizationId: true, name: true, status: true, oauthProvider: true, oauthAccount: true, oauthAppId: true, oauthTokenUrl: true, settings: true },
  });
  const pasted = parseCredentialSettings(row.settings).oauthSource === 'pasted';
  const provider = row.oauthProvider && isOAuthProviderId(row.oauthProvider) ? row.oauthProvider : null;
  const [appName, apps, plan, how] = await Promise.all([
    credentialAppName(row),
    provider ? connectOptions(row.organizationId, provider) : Promise.resolve([]),
    revocationPlan(row),
    revocationFor(row),
  ]);
  let account: OAuthDetailView['account'];
  if (row.oauthAccount) account = { text: row.oauthAccount, known: true };
  else if (row.status === 'disconnected') account = { text: 'Not connected', known: false };
  else if (pasted) account = { text: 'Pasted tokens (account unknown)', known: false };
  else account = { text: `Not reported by ${how.label}`, known: false };
  return {
    account,
    appName,
    pasted,
    apps,
    currentAppId: row.oauthAppId ?? (row.oauthTokenUrl ? null : PLATFORM_APP_ID),
    plan,
  };
}
