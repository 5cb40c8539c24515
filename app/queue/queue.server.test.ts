// The queue factory works the same on both backends: Redis (REDIS_URL) and BullMQ's PostgreSQL backend.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';

type QueueModule = typeof import('./queue.server');

const savedRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Loads a fresh copy of the module (and of the env parser it reads) with the backend's variables set. */
async function loadWith(backend: 'redis' | 'postgres'): Promise<QueueModule> {
  vi.resetModules();
  if (backend === 'redis') process.env.REDIS_URL = savedRedisUrl;
  else delete process.env.REDIS_URL;
  return import('./queue.server');
}

function uniqueName(label: string) {
  return `test-${label}-${crypto.randomBytes(4).toString('hex')}`;
}

let current: QueueModule | undefined;

afterEach(async () => {
  await current?.closeQueues();
  current = undefined;
  process.env.REDIS_URL = savedRedisUrl;
});

describe.each(['redis', 'postgres'] as const)('queue on the %s backend', (backend) => {
  it('reports the backend it chose, without passwords', async () => {
    current = await loadWith(backend);
    const connection = current.queueConnection();
    expect(connection.kind).toBe(backend);
    if (connection.kind === 'redis') expect(connection.prefix).toBe(process.env.REDIS_PREFIX ?? 'latchkey');
    const label = current.queueBackendLabel();
    expect(label).toMatch(backend === 'redis' ? /^Redis at redis:\/\// : /^PostgreSQL \(BullMQ postgres backend/);
    expect(current.queueBackendLabel({ kind: 'redis', url: 'redis://u:hunter2@h:6379', prefix: 'p' })).not.toContain(
      'hunter2',
    );
  });

  it('a job added to a queue is processed by a worker', async () => {
    current = await loadWith(backend);
    const name = uniqueName('process');
    const queue = current.createQueue<{ credentialId: string }>(name);
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      current!.createWorker<{ credentialId: string }>(name, async (job) => {
        seen.push(job.data.credentialId);
        resolve();
        return 'ok';
      });
    });
    await queue.add('refresh', { credentialId: 'cred_123' });
    await done;
    expect(seen).toEqual(['cred_123']);
  });

  it('a job id used twice collapses into one job', async () => {
    current = await loadWith(backend);
    const name = uniqueName('dedupe');
    const queue = current.createQueue<{ credentialId: string }>(name);
    const first = await queue.add('refresh', { credentialId: 'cred_1' }, { jobId: 'refresh-cred_1' });
    const second = await queue.add('refresh', { credentialId: 'cred_1' }, { jobId: 'refresh-cred_1' });
    expect(second.id).toBe(first.id);
    const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);

    const processed: string[] = [];
    const worker = current.createWorker<{ credentialId: string }>(name, async (job) => {
      processed.push(job.id ?? '');
    });
    await vi.waitFor(() => expect(processed).toEqual(['refresh-cred_1']), { timeout: 10_000 });
    await worker.close();
  });

  it('closing waits for the job in flight and leaves nothing open', async () => {
    current = await loadWith(backend);
    const name = uniqueName('close');
    const queue = current.createQueue<{ id: string }>(name);
    let finished = false;
    let started!: () => void;
    const startedPromise = new Promise<void>((r) => (started = r));
    current.createWorker<{ id: string }>(name, async () => {
      started();
      await new Promise((r) => setTimeout(r, 300));
      finished = true;
    });
    await queue.add('slow', { id: 'x' });
    await startedPromise;
    await current.closeQueues();
    expect(finished).toBe(true);
    // A second close is harmless.
    await current.closeQueues();
  });
});
