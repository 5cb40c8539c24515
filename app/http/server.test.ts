// server.ts's startServer: listens, and on close() lets the request in flight finish before it stops.
import type { RequestHandler } from 'express';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { webRuntime } from '~/http/runtime.server';
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
    const running = await startServer({ port: 0, host: '127.0.0.1', handler: slow, runtime: webRuntime });

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

  it('reports the address it really bound, and whether other machines can reach it', async () => {
    const handler: RequestHandler = (_req, res) => res.send('ok');
    const running = await startServer({ port: 0, host: '127.0.0.1', handler, runtime: webRuntime });
    try {
      expect(running.address).toMatchObject({ host: '127.0.0.1', reachableFromOtherMachines: false });
      expect(running.url).toBe(`http://127.0.0.1:${running.address.port}`);
    } finally {
      await running.close();
    }
  });

  it('a wildcard address (HOST=0.0.0.0, as in the Docker image) is reported as reachable from other machines', async () => {
    const handler: RequestHandler = (_req, res) => res.send('ok');
    const running = await startServer({ port: 0, host: '0.0.0.0', handler, runtime: webRuntime });
    try {
      expect(running.address).toMatchObject({ host: '0.0.0.0', reachableFromOtherMachines: true });
      expect(running.url).toBe(`http://0.0.0.0:${running.address.port}`);
    } finally {
      await running.close();
    }
  });
});

describe('server.ts', () => {
  it('imports no module of app/ (every server module comes from the Remix build: one module graph)', () => {
    const source = fs.readFileSync(path.resolve(import.meta.dirname, '../../server.ts'), 'utf8');
    const valueImports = [...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
    const dynamicImports = [...source.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
    const fromApp = [...valueImports, ...dynamicImports].filter((s) => s.startsWith('~/') || /(^|\/)app\//.test(s));
    expect(fromApp).toEqual([]);
  });
});
