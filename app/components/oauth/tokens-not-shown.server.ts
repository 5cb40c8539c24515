// What the Reveal and Replace addresses of an OAuth credential answer: a page that says why and what to do instead, not a bare 400.
import { explainedError } from '~/utils/http.server';

interface Target {
  id: string;
  name: string;
}

function backTo(slug: string, credential: Target) {
  return { href: `/orgs/${slug}/credentials/${encodeURIComponent(credential.id)}`, label: 'Back to the credential' };
}

/** Reveal: OAuth tokens are only ever used by agents through Latchkey. */
export function oauthTokensNotShown(slug: string, credential: Target): Response {
  return explainedError(409, {
    title: 'OAuth tokens are never shown',
    description: `“${credential.name}” holds OAuth tokens that agents use through Latchkey; nobody reads them, owners included. To sign in as another account or repair a failing connection, use Reconnect on the credential’s page.`,
    action: backTo(slug, credential),
  });
}

/** Replace: new OAuth tokens come from signing in again, not from a form. */
export function oauthTokensNotReplaced(slug: string, credential: Target): Response {
  return explainedError(409, {
    title: 'OAuth tokens are replaced by reconnecting',
    description: `Reconnect “${credential.name}” on its page to sign in at the provider again; the new tokens replace the stored ones and agents keep the same name. Pasted tokens you got elsewhere go in a new credential (Add credential → OAuth → Paste tokens).`,
    action: backTo(slug, credential),
  });
}
