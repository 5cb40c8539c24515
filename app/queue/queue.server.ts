// The one place that chooses the job backend: BullMQ on Redis when REDIS_URL is set, else on PostgreSQL.
import {
  createPostgresBackend,
  Queue,
  QueueEvents,
  Worker,
  type Processor,
  type QueueOptions,
  type WorkerOptions,
} from 'bullmq';
import { Redis } from 'ioredis';
import { registerStatefulModule } from '~/cluster/stateful-modules.server';
import { getEnv } from '~/config/env.server';

export type QueueConnection =
  | { kind: 'redis'; url: string; prefix: string }
  | { kind: 'postgres'; databaseUrl: string };

/** Job payloads carry ids only (never a secret): the worker reloads everything else from PostgreSQL. */
export type JobPayload = Record<string, string | number | boolean | null>;

export type WorkerProcessor<T extends JobPayload> = Processor<T, unknown, string>;

/** Worker options other code may set; the connection is ours to choose. */
export type CreateWorkerOptions = Omit<WorkerOptions, 'connection' | 'prefix'>;

/** Queue options other code may set; the connection is ours to choose. */
export type CreateQueueOptions = Omit<QueueOptions, 'connection' | 'prefix'>;

/** The schema BullMQ's PostgreSQL backend keeps its tables in (its default). */
const POSTGRES_SCHEMA = 'bullmq';

/** Which backend this process uses, decided from the environment. */
export function queueConnection(): QueueConnection {
  const env = getEnv();
  if (env.REDIS_URL) return { kind: 'redis', url: env.REDIS_URL, prefix: env.REDIS_PREFIX };
  if (!env.DATABASE_URL) {
    throw new Error('Neither REDIS_URL nor DATABASE_URL is set: the job queue has no backend');
  }
  return { kind: 'postgres', databaseUrl: env.DATABASE_URL };
}

/** A URL with any password replaced, safe for logs and the start-up summary. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
}

/** A human label for the start-up summary, e.g. "Redis at redis://127.0.0.1:6379". */
export function queueBackendLabel(connection: QueueConnection = queueConnection()): string {
  if (connection.kind === 'redis') return `Redis at ${redactUrl(connection.url)} (prefix ${connection.prefix})`;
  return `PostgreSQL (BullMQ postgres backend, schema ${POSTGRES_SCHEMA})`;
}

interface Closable {
  close(): Promise<void>;
}

/** Everything created here, closed together by closeQueues(). Workers first, so in-flight jobs finish. */
const created = { workers: new Set<Closable>(), others: new Set<Closable>(), redis: new Set<Redis>() };
registerStatefulModule('queue/connections', import.meta.url);

function redisClient(url: string, forBlocking: boolean): Redis {
  // Workers and QueueEvents block on Redis; BullMQ requires they never give up retrying a command.
  const client = new Redis(url, forBlocking ? { maxRetriesPerRequest: null } : {});
  created.redis.add(client);
  return client;
}

function postgresConnection(databaseUrl: string) {
  // `migrate: true` creates/updates the bullmq schema on first connect (under an advisory lock).
  return { connectionString: databaseUrl, migrate: true, schema: POSTGRES_SCHEMA };
}

/** A producer for queue `name`. */
export function createQueue<T extends JobPayload>(name: string, opts: CreateQueueOptions = {}): Queue<T> {
  const connection = queueConnection();
  const queue =
    connection.kind === 'redis'
      ? new Queue<T>(name, { ...opts, connection: redisClient(connection.url, false), prefix: connection.prefix })
      : (new Queue(name, { ...opts, connection: postgresConnection(connection.databaseUrl) }, createPostgresBackend) as unknown as Queue<T>);
  created.others.add(queue);
  return queue;
}

/** A consumer of queue `name`, running `processor` for each job. */
export function createWorker<T extends JobPayload>(
  name: string,
  processor: WorkerProcessor<T>,
  opts: CreateWorkerOptions = {},
): Worker<T> {
  const connection = queueConnection();
  const worker =
    connection.kind === 'redis'
      ? new Worker<T>(name, processor, {
          ...opts,
          connection: redisClient(connection.url, true),
          prefix: connection.prefix,
        })
      : (new Worker(
          name,
          processor as Processor,
          { ...opts, connection: postgresConnection(connection.databaseUrl) },
          createPostgresBackend,
        ) as unknown as Worker<T>);
  created.workers.add(worker);
  return worker;
}

/** A listener for queue `name`'s job events (completed, failed, …). */
export function createQueueEvents(name: string): QueueEvents {
  const connection = queueConnection();
  const events =
    connection.kind === 'redis'
      ? new QueueEvents(name, { connection: redisClient(connection.url, true), prefix: connection.prefix })
      : (new QueueEvents(
          name,
          { connection: postgresConnection(connection.databaseUrl) },
          createPostgresBackend,
        ) as unknown as QueueEvents);
  created.others.add(events);
  return events;
}

/** Closes every queue, worker and event listener created in this process; workers finish in-flight jobs first. */
export async function closeQueues(): Promise<void> {
  const workers = [...created.workers];
  created.workers.clear();
  await Promise.allSettled(workers.map((w) => w.close()));
  const others = [...created.others];
  created.others.clear();
  await Promise.allSettled(others.map((o) => o.close()));
  const clients = [...created.redis];
  created.redis.clear();
  await Promise.allSettled(clients.map((c) => c.quit().catch(() => c.disconnect())));
}
