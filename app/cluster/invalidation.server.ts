// Tells every process that cached state changed: a PostgreSQL NOTIFY sent in the change's own transaction, one LISTEN connection per process (ADR 007).
//
// Producers: database triggers on the tables the caches copy (migration 20261202090000_cache_invalidation)
// cover every writer — web, worker, scripts, raw SQL — and `publishInvalidation` covers state no trigger
// sees. Both send the same payload through the SQL function latchkey_invalidate(topic, organization_id).
// Consumers: each cache registers with `onInvalidation` when its module loads. NOTIFY is delivered only
// when the transaction commits, so no process drops its cache before the change is visible to it.
import pg from 'pg';
import type { Logger } from 'pino';
import { registerStatefulModule } from './stateful-modules.server';

registerStatefulModule('cluster/invalidation', import.meta.url);

export const INVALIDATION_CHANNEL = 'latchkey_invalidation';

/**
 * What changed. `agents`: agent tokens, allowlists and delivery grants, agents, an organization's private-hosts setting (the
 * agent authentication cache). `credentials`: what the proxy reads of a credential (status, settings,
 * name, value version, deletion). `data-keys`: an organization's data keys (rotation, removal). `proposals`: a
 * proposal was made, decided or had a slot connected (wakes long-polling agents).
 * A new kind of cached state adds its topic here, a handler with onInvalidation, and a producer.
 */
export const INVALIDATION_TOPICS = ['agents', 'api-tokens', 'credentials', 'data-keys', 'proposals'] as const;
export type InvalidationTopic = (typeof INVALIDATION_TOPICS)[number];

export interface Invalidation {
  topic: InvalidationTopic;
  /** The organization whose state changed; null means "anything may have changed". */
  organizationId: string | null;
}

type Handler = (event: Invalidation) => void;

const handlers = new Map<InvalidationTopic, Set<Handler>>();

/** Registers what a cache drops when `topic` changes. Call it once, where the cache is defined. */
export function onInvalidation(topic: InvalidationTopic, handler: Handler): void {
  let set = handlers.get(topic);
  if (!set) handlers.set(topic, (set = new Set()));
  set.add(handler);
}

/** Runs this process's handlers for one event (a failing handler does not stop the others). */
export function applyInvalidation(event: Invalidation): void {
  for (const handler of handlers.get(event.topic) ?? []) {
    try {
      handler(event);
    } catch (error) {
      active?.logger.error({ err: error, topic: event.topic }, 'cache invalidation handler failed');
    }
  }
}

/** Drops every registered cache entirely: after a lost connection, notifications may have been missed. */
export function applyEverything(): void {
  for (const topic of INVALIDATION_TOPICS) applyInvalidation({ topic, organizationId: null });
}

/** A Prisma client or transaction client: anything that can run a raw statement. */
interface RawExecutor {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number>;
}

/**
 * Tells every process, this one included, that `topic` changed for the organization. Call it with the
 * transaction client of the change (`tx`), so the notification leaves only if the change commits. The
 * tables the caches copy already notify by trigger: this is for new state no trigger covers.
 * This process's handlers also run at once, and again when its own notification arrives after the commit.
 */
export async function publishInvalidation(db: RawExecutor, topic: InvalidationTopic, organizationId: string | null): Promise<void> {
  await db.$executeRaw`SELECT latchkey_invalidate(${topic}, ${organizationId})`;
  applyInvalidation({ topic, organizationId });
}

function parsePayload(payload: string | undefined): (Invalidation & { at?: number }) | null {
  try {
    const parsed = JSON.parse(payload ?? '') as { topic?: unknown; organizationId?: unknown; at?: unknown };
    if (!INVALIDATION_TOPICS.includes(parsed.topic as InvalidationTopic)) return null;
    return {
      topic: parsed.topic as InvalidationTopic,
      organizationId: typeof parsed.organizationId === 'string' ? parsed.organizationId : null,
      at: typeof parsed.at === 'number' ? parsed.at : undefined,
    };
  } catch {
    return null;
  }
}

export interface InvalidationListenerOptions {
  databaseUrl: string;
  logger: Logger;
  /** Delay before the first reconnect attempt, doubled up to `maxRetryMs` (defaults 100 ms and 5 s). */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** How often the connection is probed, so a silently dead one is noticed (default 15 s). */
  heartbeatMs?: number;
}

export interface InvalidationListener {
  /** Resolves once LISTEN is in place the first time. */
  ready: Promise<void>;
  /** True while a connection is listening. */
  listening(): boolean;
  /** The backend process id of the listening connection (tests terminate it to simulate a lost connection). */
  backendPid(): number | null;
  close(): Promise<void>;
}

let active: (InvalidationListener & { logger: Logger }) | undefined;

/**
 * Starts this process's one listener (a second call returns the first). It reconnects with backoff when
 * the connection drops and then clears every cache, since it may have missed notifications.
 */
export function startInvalidationListener(options: InvalidationListenerOptions): InvalidationListener {
  if (active) return active;
  const { databaseUrl, logger } = options;
  const minRetryMs = options.minRetryMs ?? 100;
  const maxRetryMs = options.maxRetryMs ?? 5_000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  let closed = false;
  let client: pg.Client | undefined;
  let pid: number | null = null;
  let stopWaiting: (() => void) | undefined;
  let wake: (() => void) | undefined;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const onNotification = (message: pg.Notification) => {
    const event = parsePayload(message.payload);
    if (!event) return logger.warn({ channel: message.channel }, 'ignored a malformed cache invalidation');
    applyInvalidation(event);
    logger.debug(
      { topic: event.topic, organizationId: event.organizationId, delayMs: event.at === undefined ? undefined : Date.now() - event.at },
      'cache invalidated',
    );
  };

  /** One connection's life: connect, LISTEN, then wait until it fails or we close. */
  const listenOnce = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl, keepAlive: true, application_name: 'latchkey-invalidation', query_timeout: 5_000, connectionTimeoutMillis: 5_000 });
    client = c;
    const lost = new Promise<void>((resolve) => {
      stopWaiting = resolve;
      c.once('error', () => resolve());
      c.once('end', () => resolve());
    });
    // An error after 'lost' resolved must not become an unhandled 'error' event.
    c.on('error', () => undefined);
    c.on('notification', onNotification);
    await c.connect();
    await c.query(`LISTEN ${INVALIDATION_CHANNEL}`);
    pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? null;
    // Whatever changed before LISTEN took effect was not heard: start from empty caches.
    applyEverything();
    markReady();
    const heartbeat = setInterval(() => {
      c.query('SELECT 1').catch(() => stopWaiting?.());
    }, heartbeatMs);
    heartbeat.unref();
    try {
      await lost;
    } finally {
      clearInterval(heartbeat);
    }
  };

  const loop = (async () => {
    let delay = minRetryMs;
    while (!closed) {
      try {
        await listenOnce();
        delay = minRetryMs;
      } catch (error) {
        if (!closed) logger.warn({ err: { message: (error as Error).message } }, 'cache invalidation listener could not connect');
      }
      pid = null;
      const c = client;
      client = undefined;
      c?.removeListener('notification', onNotification);
      void c?.end().catch(() => undefined);
      if (closed) break;
      // Until LISTEN is back, nothing is heard: drop what is cached now, and again once it is back.
      applyEverything();
      logger.warn({ retryInMs: delay }, 'cache invalidation listener lost its connection; reconnecting');
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, delay).unref();
      });
      delay = Math.min(delay * 2, maxRetryMs);
    }
  })();

  const listener = {
    ready,
    logger,
    listening: () => pid !== null,
    backendPid: () => pid,
    async close() {
      closed = true;
      stopWaiting?.();
      wake?.();
      await loop;
      if (active === listener) active = undefined;
    },
  };
  active = listener;
  return listener;
}
