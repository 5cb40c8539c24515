// Bull Board at /admin/queues answers platform administrators only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedUpUser } from '~/auth/test-helpers';
import { prisma } from '~/db.server';
import { closeQueues } from '~/queue/queue.server';
import { BULL_BOARD_PATH, bullBoardHandler } from './bull-board.server';

let server: http.Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(BULL_BOARD_PATH, bullBoardHandler());
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await closeQueues();
});

describe('Bull Board', () => {
  it('is a 404 without a session and for a signed-in user who is not a platform admin', async () => {
    expect((await fetch(`${base}${BULL_BOARD_PATH}`)).status).toBe(404);
    const user = await createSignedUpUser();
    const res = await fetch(`${base}${BULL_BOARD_PATH}/api/queues`, { headers: { cookie: user.cookie } });
    expect(res.status).toBe(404);
  });

  it('shows the queues to a platform admin', async () => {
    const user = await createSignedUpUser();
    await prisma.user.update({ where: { id: user.userId }, data: { isPlatformAdmin: true } });
    const page = await fetch(`${base}${BULL_BOARD_PATH}`, { headers: { cookie: user.cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const api = await fetch(`${base}${BULL_BOARD_PATH}/api/queues`, { headers: { cookie: user.cookie } });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name)).toEqual(expect.arrayContaining(['credential-refresh', 'health', 'usage', 'webhooks']));
  });
});
