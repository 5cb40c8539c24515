// The worker process: consumes every registered queue, keeps repeatable jobs scheduled, and stops gracefully.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'bullmq';
import { startInvalidationListener } from '~/cluster/invalidation.server';
import { ConfigError, getEnv } from '~/config/env.server';
import { logger } from '~/logger.server';
import { closeQueues, createQueue, createWorker, queueBackendLabel } from '~/queue/queue.server';
import { closeUsageStore } from '~/usage/store.server';
import { lastHeartbeat } from './maintenance';
import { registry as defaultRegistry, type WorkerRegistration } from './registry';

export interface StartWorkersOptions {
  registry?: WorkerRegistration[];
  /** Port for GET /healthz; 0 (the default from WORKER_HEALTH_PORT) starts no server. */
  healthPort?: number;
}

export interface RunningWorkers {
  workers: Worker[];
  /** http://host:port of the health endpoint, when one was started. */
  healthUrl?: string;
  /** Stops taking jobs, waits for in-flight ones, then closes queues and the database client. */
  close(): Promise<void>;
}

/** Finished jobs are kept for inspection, but not forever. */
const RETENTION = { removeOnComplete: { count: 100 }, removeOnFail: { count: 500 } };

function healthServer(workers: Worker[], queues: string[]) {
  return http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/healthz') {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const running = workers.every((w) => w.isRunning());
    const body = { ok: running, queues, running, lastHeartbeatAt: lastHeartbeat()?.toISOString() ?? null };
    res.writeHead(running ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  });
}

export async function startWorkers(options: StartWorkersOptions = {}): Promise<RunningWorkers> {
  const env = getEnv();
  const registry = options.registry ?? defaultRegistry;
  const workers: Worker[] = [];
  for (const entry of registry) {
    const worker = createWorker(entry.queue, entry.processor, entry.opts);
    worker.on('failed', (job, error) =>
      logger.warn({ queue: entry.queue, jobId: job?.id, job: job?.name, err: { message: error.message } }, 'job failed'),
    );
    // Only the message: driver errors carry whole client objects (connection parameters included).
    worker.on('error', (error) =>
      logger.error({ queue: entry.queue, err: { type: error.name, message: error.message } }, 'worker error'),
    );
    workers.push(worker);
  }
  const scheduled = registry.filter((entry) => entry.schedules?.length).map((entry) => ({ entry, queue: createQueue(entry.queue) }));
  const upsertSchedules = async () => {
    for (const { entry, queue } of scheduled) {
      for (const schedule of entry.schedules!) {
        await queue.upsertJobScheduler(
          schedule.id,
          { every: schedule.everyMs },
          { name: schedule.name, data: schedule.data, opts: RETENTION },
        );
      }
    }
  };
  await upsertSchedules();
  // Upserting is idempotent; doing it every minute brings the schedules back after Redis lost them.
  const reschedule = setInterval(() => {
    upsertSchedules().catch((error: Error) => logger.warn({ err: { message: error.message } }, 'could not upsert job schedules'));
  }, 60_000);
  reschedule.unref();

  const queues = registry.map((r) => r.queue);
  const port = options.healthPort ?? env.WORKER_HEALTH_PORT;
  let server: http.Server | undefined;
  let healthUrl: string | undefined;
  if (port > 0) {
    server = healthServer(workers, queues);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, env.HOST, resolve);
    });
    healthUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(reschedule);
      // closeQueues closes workers first: each stops taking jobs and waits for the ones in flight.
      await closeQueues();
      await closeUsageStore();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      if (env.DATABASE_URL && registry.length > 0) {
        const { prisma } = await import('~/db.server');
        await prisma.$disconnect();
      }
    })());
  return { workers, healthUrl, close };
}

async function main() {
  let env;
  try {
    env = getEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) console.error(`Configuration error: ${problem}`);
      process.exit(1);
    }
    throw error;
  }
  // WORKER_QUEUES=credential-refresh,webhooks runs dedicated workers for some queues only.
  const only = process.env.WORKER_QUEUES?.split(',').map((q) => q.trim()).filter(Boolean);
  const running = await startWorkers(only?.length ? { registry: defaultRegistry.filter((r) => only.includes(r.queue)) } : {});
  // The worker caches data keys and credentials too: it hears the same invalidations as the web replicas (ADR 007).
  const invalidation = env.DATABASE_URL ? startInvalidationListener({ databaseUrl: env.DATABASE_URL, logger }) : undefined;
  logger.info(
    { queues: running.workers.map((w) => w.name), backend: queueBackendLabel(), health: running.healthUrl },
    `worker running on ${queueBackendLabel()}`,
  );

  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'worker stopping: finishing jobs in flight');
    setTimeout(() => {
      logger.error({ timeoutMs: env.SHUTDOWN_TIMEOUT_MS }, 'jobs in flight did not finish in time; exiting');
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS).unref();
    running
      .close()
      .then(() => invalidation?.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping the worker');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    logger.fatal({ err: error }, 'the worker failed to start');
    process.exit(1);
  });
}
