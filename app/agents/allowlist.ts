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
