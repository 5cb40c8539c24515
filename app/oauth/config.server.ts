// Platform OAuth apps from configuration: OAUTH_<PROVIDER>_CLIENT_ID / OAUTH_<PROVIDER>_CLIENT_SECRET, parsed once with zod.
import { z } from 'zod';
import { OAUTH_PROVIDERS, type OAuthProviderId } from '~/credentials/catalog';

export interface PlatformApp {
  clientId: string;
  clientSecret: string | null;
}

const pair = z
  .object({ id: z.string().trim().min(1).optional(), secret: z.string().min(1).optional() })
  .refine((v) => !(v.secret && !v.id), 'a client secret needs its client id');

let cached: Map<OAuthProviderId, PlatformApp> | undefined;

/** Reads every provider's pair; a secret without an id is a configuration error reported by name. */
export function parsePlatformApps(source: NodeJS.ProcessEnv = process.env): Map<OAuthProviderId, PlatformApp> {
  const apps = new Map<OAuthProviderId, PlatformApp>();
  const problems: string[] = [];
  // The custom provider has no fixed endpoints, so only organizations can register one.
  for (const provider of OAUTH_PROVIDERS.filter((p) => p !== 'custom')) {
    const prefix = `OAUTH_${provider.toUpperCase()}`;
    const parsed = pair.safeParse({
      id: source[`${prefix}_CLIENT_ID`] || undefined,
      secret: source[`${prefix}_CLIENT_SECRET`] || undefined,
    });
    if (!parsed.success) problems.push(`${prefix}_CLIENT_SECRET: ${parsed.error.issues[0]?.message}`);
    else if (parsed.data.id) apps.set(provider, { clientId: parsed.data.id, clientSecret: parsed.data.secret ?? null });
  }
  if (problems.length > 0) throw new Error(`Invalid OAuth configuration:\n  - ${problems.join('\n  - ')}`);
  return apps;
}

/** The platform's app for a provider, or null when the operator configured none. */
export function platformApp(provider: OAuthProviderId): PlatformApp | null {
  cached ??= parsePlatformApps();
  return cached.get(provider) ?? null;
}

/** Tests change the environment between cases. */
export function resetPlatformAppsForTests(): void {
  cached = undefined;
}
