// Allowlist patterns of an agent: credential names with `*` wildcards (shared by the server and the UI).

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

/** True when `name` matches one of the patterns (exact names, or `*` standing for any characters). */
export function matchesAllowlist(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => (pattern.includes('*') ? patternToRegExp(pattern).test(name) : pattern === name));
}

/** Splits "a, b\nc" into patterns (the form sends one or more values, each may hold several). */
export function parseAllowlist(text: string | readonly string[]): string[] {
  const joined = typeof text === 'string' ? text : text.join('\n');
  return [...new Set(joined.split(/[\s,]+/).map((p) => p.trim()).filter(Boolean))];
}

/** The patterns that match none of `names` (typos such as `opnai`, or credentials not added yet). */
export function unmatchedPatterns(patterns: readonly string[], names: readonly string[]): string[] {
  return patterns.filter((pattern) => !names.some((name) => matchesAllowlist([pattern], name)));
}

/** How an agent gets a credential: `proxy` (Latchkey injects it, the agent never sees it) or `deliver` (the agent receives the value). */
export type GrantMode = 'proxy' | 'deliver';

/** One allowlist pattern with its mode, as the API and the UI show it. */
export interface AllowlistEntry {
  credential: string;
  mode: GrantMode;
}

/** The stored columns as entries, in allowlist order (a pattern is in deliver mode when it is also in `deliver`). */
export function toAllowlistEntries(allowed: readonly string[], deliver: readonly string[]): AllowlistEntry[] {
  return allowed.map((credential) => ({ credential, mode: deliver.includes(credential) ? 'deliver' : 'proxy' }));
}

/** Entries as the stored columns; a pattern listed twice keeps its first place and its last mode. */
export function fromAllowlistEntries(entries: readonly AllowlistEntry[]): { allowedCredentials: string[]; deliverCredentials: string[] } {
  const modes = new Map<string, GrantMode>();
  for (const { credential, mode } of entries) modes.set(credential, mode);
  return {
    allowedCredentials: [...modes.keys()],
    deliverCredentials: [...modes].filter(([, mode]) => mode === 'deliver').map(([credential]) => credential),
  };
}

/**
 * True when a deliver pattern matches `name`: the agent may receive the value. Deliver patterns are a
 * subset of the allowlist (the agent schema refuses others), so such a name is always allowed too.
 */
export function mayDeliver(deliver: readonly string[], name: string): boolean {
  return matchesAllowlist(deliver, name);
}
