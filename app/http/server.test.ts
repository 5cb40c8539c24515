// server.ts's startServer: listens, and on close() lets the request in flight finish before it stops.
import type { RequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../server';

describe('startServer', () => {
  it('close() stops accepting connections but finishes the request in flight', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const arrivedPromise = new Promise<void>((r) => (arrived = r));
    const slow: RequestHandler = async (_req, res) => {
      arrived();
      await released;
      res.type('text').send('finished');
    };
    const running = await startServer({ port: 0, host: '127.0.0.1', handler: slow });

    const inFlight = fetch(`${running.url}/slow`).then(async (r) => [r.status, await r.text()] as const);
    await arrivedPromise;
    const closed = running.close();
    // The listening socket is gone at once: a new connection is refused.
    await expect(fetch(`${running.url}/other`)).rejects.toThrow();
    release();
    expect(await inFlight).toEqual([200, 'finished']);
    await closed;
    expect(running.server.listening).toBe(false);
  });
});
