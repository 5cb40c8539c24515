// Makes a second copy of a stateful module in one process impossible to miss (DESIGN invariant 8).
//
// A module that keeps state in memory (a cache, a buffer, a client) calls registerStatefulModule at load.
// The registry lives on globalThis, so it outlives module copies: when the same module is evaluated twice
// (the Remix build and the TypeScript source both loaded, as server.ts once did), the second copy finds the
// first. In production that is an error thrown at start-up; elsewhere (Vite's HMR re-evaluates modules on
// purpose, Vitest may reset modules) it is only counted, and tests read the count.

export interface StatefulModuleCopy {
  name: string;
  /** Where each copy was loaded from (import.meta.url): the build file or a source file. */
  urls: string[];
}

const REGISTRY = Symbol.for('latchkey.statefulModules');

function registry(): Map<string, string[]> {
  const holder = globalThis as typeof globalThis & { [REGISTRY]?: Map<string, string[]> };
  holder[REGISTRY] ??= new Map();
  return holder[REGISTRY];
}

export class DuplicateModuleError extends Error {
  constructor(name: string, urls: string[]) {
    super(
      `Two copies of the stateful module "${name}" are loaded in this process (${urls.join(' and ')}): ` +
        'their caches would disagree. The web process must take every server module from the Remix build (see server.ts).',
    );
    this.name = 'DuplicateModuleError';
  }
}

/**
 * Records that the module `name` (a stable name such as "agents/auth-cache", not a path, which differs
 * between the build and the source) was loaded from `url`. Throws in production when it already was.
 */
export function registerStatefulModule(name: string, url: string): void {
  const copies = registry();
  const urls = copies.get(name);
  if (!urls) {
    copies.set(name, [url]);
    return;
  }
  urls.push(url);
  if (process.env.NODE_ENV === 'production') throw new DuplicateModuleError(name, urls);
}

/** Every stateful module loaded more than once in this process (empty when the process holds one graph). */
export function duplicateStatefulModules(): StatefulModuleCopy[] {
  return [...registry()].filter(([, urls]) => urls.length > 1).map(([name, urls]) => ({ name, urls: [...urls] }));
}

/** The names of the stateful modules loaded so far. */
export function loadedStatefulModules(): string[] {
  return [...registry().keys()].sort();
}
