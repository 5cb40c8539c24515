// Carries the request's CSP nonce from entry.server to the <Scripts>/<ScrollRestoration> tags in root.tsx.
import { createContext, useContext } from 'react';

const NonceContext = createContext<string | undefined>(undefined);

export const NonceProvider = NonceContext.Provider;

/** The nonce Remix's inline scripts must carry to pass the Content-Security-Policy (undefined in the browser). */
export function useNonce(): string | undefined {
  return useContext(NonceContext);
}
