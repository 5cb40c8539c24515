// The worker process, started in-process: runs the heartbeat schedule, reports health, and stops cleanly.
import getPort from 'get-port';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createQueue, closeQueues } from '~/queue/queue.server';
import { startWorkers, type RunningWorkers } from './index';
import { lastHeartbeat, MAINTENANCE_QUEUE } from './maintenance';

let running: RunningWorkers | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
  await closeQueues();
});

describe('worker process', () => {
  it('runs the heartbeat soon after start and reports healthy on /healthz', async () => {
    const port = await getPort();
    running = await startWorkers({ healthPort: port });
    await vi.waitFor(() => expect(lastHeartbeat()).toBeInstanceOf(Date), { timeout: 15_000, interval: 100 });
    const res = await fetch(`${running.healthUrl}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; queues: string[]; running: boolean };
    expect(body).toMatchObject({ ok: true, running: true });
    expect(body.queues).toContain(MAINTENANCE_QUEUE);
  });

  it('starting twice (a restart or a second replica) keeps one heartbeat schedule', async () => {
    const first = await startWorkers({ healthPort: 0 });
    await first.close();
    running = await startWorkers({ healthPort: 0 });
    const queue = createQueue(MAINTENANCE_QUEUE);
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.filter((s) => s.key === 'heartbeat' || s.id === 'heartbeat')).toHaveLength(1);
  });

  it('closing stops the workers and a second close is harmless', async () => {
    running = await startWorkers({ healthPort: 0 });
    await running.close();
    expect(running.workers.every((w) => !w.isRunning())).toBe(true);
    await running.close();
  });
});
