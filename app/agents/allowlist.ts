// Allowlist patterns of an agent: credential names with `*` wildcards (shared by the server and the UI).

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

/** True when `name` matches one of the patterns (exact names, or `*` standing for any characters). */
export function matchesAllowlist(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => (pattern.includes('*') ? patternToRegExp(pattern).test(name) : pattern === name));
}
