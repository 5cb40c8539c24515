// The one egress policy: every request Latchkey sends (proxy, OAuth token/revocation/userinfo, webhooks, verification) dials only addresses it allows, judged after DNS resolution.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { registerStatefulModule } from '~/cluster/stateful-modules.server';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

let resolver: Resolver = systemResolver;

/**
 * Answers are reused for a few seconds (getaddrinfo gives no TTL), so a burst of new upstream connections
 * resolves a name once. Only the answer is cached: every connection still judges the addresses it is given
 * and connects to exactly the address it judged.
 */
const DNS_CACHE_TTL_MS = 5_000;
const DNS_CACHE_MAX = 1_000;
const dnsCache = new Map<string, { expires: number; answer: Promise<ResolvedAddress[]> }>();
registerStatefulModule('egress/dns-cache', import.meta.url);

function resolveCached(hostname: string): Promise<ResolvedAddress[]> {
  const now = Date.now();
  const hit = dnsCache.get(hostname);
  if (hit && hit.expires > now) return hit.answer;
  if (dnsCache.size >= DNS_CACHE_MAX) dnsCache.clear();
  const answer = resolver(hostname);
  dnsCache.set(hostname, { expires: now + DNS_CACHE_TTL_MS, answer });
  // A failed resolution is not remembered.
  answer.catch(() => {
    if (dnsCache.get(hostname)?.answer === answer) dnsCache.delete(hostname);
  });
  return answer;
}

/** Replaces name resolution (tests make a name resolve to 127.0.0.1); no argument restores the system resolver. */
export function setEgressResolver(next?: Resolver): void {
  resolver = next ?? systemResolver;
  dnsCache.clear();
}

export class EgressRefusedError extends Error {
  readonly code = 'egress_refused';
  constructor(message: string) {
    super(message);
    this.name = 'EgressRefusedError';
  }
}

/** Loopback, private, link-local (incl. cloud metadata 169.254.169.254), CGNAT, multicast and reserved ranges. */
const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv6');
}

/** True for an address Latchkey must not dial for an organization that does not allow private hosts. */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    // IPv4-mapped (::ffff:a.b.c.d or ::ffff:7f00:1) and IPv4-compatible addresses are judged as the IPv4 inside.
    const mapped = /^::(?:ffff:)?(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
    if (mapped) {
      const v4 = mapped[1] ?? [parseInt(mapped[2]!, 16) >> 8, parseInt(mapped[2]!, 16) & 255, parseInt(mapped[3]!, 16) >> 8, parseInt(mapped[3]!, 16) & 255].join('.');
      return blocked.check(v4, 'ipv4');
    }
    return blocked.check(address, 'ipv6');
  }
  return true;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A net.connect `lookup` that resolves through the resolver and refuses when any answer is a private address. */
function checkedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    resolveCached(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        if (wanted.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`${hostname} did not resolve`);
          error.code = 'ENOTFOUND';
          return callback(error, '');
        }
        // Any private answer refuses the name: mixing one in is the DNS-rebinding trick.
        if (!allowPrivate && wanted.some((a) => isPrivateAddress(a.address))) {
          return callback(new EgressRefusedError(`${hostname} resolves to a private address (loopback, private network or link-local)`), '');
        }
        if (options.all) return callback(null, wanted);
        callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

function agents(allowPrivate: boolean) {
  const common = { keepAlive: true, noDelay: true, keepAliveMsecs: 1_000, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' as const, lookup: checkedLookup(allowPrivate) };
  return { http: new http.Agent(common), https: new https.Agent(common) };
}

// Separate pools, so a socket opened for an organization that allows private hosts is never reused for one that does not.
const strictAgents = agents(false);
const permissiveAgents = agents(true);

/**
 * The keep-alive agent to dial `url` with. IP literals skip `lookup` in net.connect, so they are judged here;
 * names are judged after resolution, on the address the socket connects to.
 */
export function egressAgentFor(url: URL, allowPrivate: boolean): http.Agent {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && net.isIP(host) && isPrivateAddress(host)) {
    throw new EgressRefusedError(`${host} is a private address (loopback, private network or link-local)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EgressRefusedError('Only http and https upstreams are allowed');
  const pool = allowPrivate ? permissiveAgents : strictAgents;
  return url.protocol === 'https:' ? pool.https : pool.http;
}

/**
 * Judges a URL before it is saved (an OAuth app's endpoints, a pasted token URL, a webhook): the scheme, and
 * every address its host resolves to now. Sending still judges again at connect time (DNS may change).
 */
export async function assertUrlAllowed(url: URL, allowPrivate: boolean): Promise<void> {
  egressAgentFor(url, allowPrivate);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate || net.isIP(host)) return;
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolveCached(host);
  } catch {
    // A name that does not resolve now is not a private address; sending reports it if it still does not.
    return;
  }
  if (addresses.some((a) => isPrivateAddress(a.address))) {
    throw new EgressRefusedError(`${host} resolves to a private address (loopback, private network or link-local)`);
  }
}

/** Where the Network setting lives, for messages that tell a person how to allow a private address. */
export const NETWORK_SETTING = 'Settings → Network';

/** What a person can do about a refused private address. */
export const PRIVATE_HOSTS_HINT = `Latchkey connects to private addresses only when an owner allows private hosts in ${NETWORK_SETTING}.`;

/**
 * Why a URL may not be saved (a field error naming the Network setting), or null when it may. For OAuth app
 * endpoints, pasted token URLs and webhooks: the same judgement the request gets when it is sent.
 */
export async function urlRefusal(url: string, allowPrivate: boolean, options: { brief?: boolean } = {}): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'Enter a full http(s) URL';
  }
  try {
    await assertUrlAllowed(parsed, allowPrivate);
    return null;
  } catch (error) {
    if (!(error instanceof EgressRefusedError)) throw error;
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'Enter a full http(s) URL';
    // Brief: for forms that explain the setting once above several refused fields.
    if (options.brief) return `${error.message.replace(/ \([^)]*\)$/, '')}, and private hosts are blocked in ${NETWORK_SETTING}.`;
    return `${error.message}. ${PRIVATE_HOSTS_HINT}`;
  }
}
