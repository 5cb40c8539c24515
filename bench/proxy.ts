// Benchmark of the agent proxy: latency and throughput through /api/v1/proxy vs straight to the upstream, same run, loopback, keep-alive.
// Also a bare pass-through Node proxy in the same process, as the ceiling any Node proxy reaches on this machine (BENCH_REFERENCE=0 skips it).
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import pg from 'pg';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const LATENCY_REQUESTS = Number(process.env.BENCH_LATENCY_REQUESTS ?? 2_000);
const THROUGHPUT_MS = Number(process.env.BENCH_THROUGHPUT_MS ?? 3_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** Also measure a bare pass-through Node proxy (no auth, no injection) in the same process: the ceiling on this machine. */
const REFERENCE = process.env.BENCH_REFERENCE !== '0';
const ROUNDS = 3;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The upstream: a keep-alive JSON endpoint in its own thread, so it does not share the proxy's event loop. */
const UPSTREAM_SOURCE = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
const body = JSON.stringify({ id: 'cmpl-bench', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(120) } }] });
const server = http.createServer((req, res) => {
  const ok = req.headers.authorization === 'Bearer ' + process.env.BENCH_UPSTREAM_KEY;
  req.resume();
  req.on('end', () => res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body));
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

/** The load generator, in its own thread too: sequential requests for latency, N in flight for throughput. */
const CLIENT_SOURCE = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const agent = new http.Agent({ keepAlive: true, maxSockets: workerData.concurrency });
function once(url, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, headers }, (res) => {
      if (res.statusCode !== 200) reject(new Error('status ' + res.statusCode));
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}
async function latency(url, headers, count) {
  const out = [];
  for (let i = 0; i < 50; i++) await once(url, headers);
  for (let i = 0; i < count; i++) {
    const t = process.hrtime.bigint();
    await once(url, headers);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out;
}
async function throughput(url, headers, ms, concurrency) {
  const end = Date.now() + ms;
  let done = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) { await once(url, headers); done++; }
  }));
  return done / (ms / 1000);
}
parentPort.on('message', async (msg) => {
  try {
    const result = msg.kind === 'latency'
      ? await latency(msg.url, msg.headers, msg.count)
      : await throughput(msg.url, msg.headers, msg.ms, workerData.concurrency);
    parentPort.postMessage({ ok: true, result });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error) });
  }
});
`;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

function ask<T>(worker: Worker, message: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once('message', (reply: { ok: boolean; result: T; error: string }) => (reply.ok ? resolve(reply.result) : reject(new Error(reply.error))));
    worker.postMessage(message);
  });
}

async function main() {
  const database = `lk_bench_proxy_${crypto.randomBytes(4).toString('hex')}`;
  const url = withDatabase(BASE_URL, database);
  await admin(`CREATE DATABASE ${database}`);
  process.env.DATABASE_URL = url;
  process.env.REDIS_PREFIX = `lk-bench-${crypto.randomBytes(3).toString('hex')}`;
  process.env.LOG_LEVEL = 'warn';
  const upstreamKey = `sk-proj-${crypto.randomBytes(24).toString('hex')}`;
  const upstreamWorker = new Worker(UPSTREAM_SOURCE, { eval: true, env: { ...process.env, BENCH_UPSTREAM_KEY: upstreamKey } });
  const upstreamReady = new Promise<number>((resolve) => upstreamWorker.once('message', resolve));
  const client = new Worker(CLIENT_SOURCE, { eval: true, workerData: { concurrency: CONCURRENCY } });
  const { prisma } = await import('~/db.server');
  let apiServer: http.Server | undefined;
  let referenceServer: http.Server | undefined;
  try {
    const { migrateDatabase } = await import('~/db/migrate.server');
    await migrateDatabase(url);
    const { createTestOrg, createTestCredential, createTestAgent } = await import('../app/api/test-support');
    const { createApp } = await import('~/http/app.server');
    const { createApiRouter } = await import('~/api/router.server');

    const upstreamPort = await upstreamReady;
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
    const org = await createTestOrg({ allowPrivateHosts: true });
    await createTestCredential(org, { name: 'openai-bench', service: 'openai', type: 'api_key', fields: { key: upstreamKey }, baseUrl: `${upstreamUrl}/v1` });
    const { token } = await createTestAgent(org, ['openai-*']);

    const app = createApp({
      handler: (_req, res) => res.status(404).end(),
      api: createApiRouter(),
      publicUrl: 'http://127.0.0.1',
      formMaxBytes: 64 * 1024,
      uploadMaxBytes: 1024 * 1024,
      checkHealth: async () => undefined,
    });
    apiServer = http.createServer(app);
    apiServer.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => apiServer!.listen(0, '127.0.0.1', resolve));
    const apiPort = (apiServer.address() as AddressInfo).port;

    if (REFERENCE) {
      // The least any Node proxy in this process can do: parse, forward over a keep-alive pool, pipe back.
      const pool = new http.Agent({ keepAlive: true, maxSockets: 256 });
      referenceServer = http.createServer((req, res) => {
        const upstream = http.request(`${upstreamUrl}${req.url!.replace('/reference', '/v1')}`, { method: req.method, headers: { authorization: `Bearer ${upstreamKey}` }, agent: pool }, (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      });
      referenceServer.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve) => referenceServer!.listen(0, '127.0.0.1', resolve));
    }

    const direct = { url: `${upstreamUrl}/v1/models`, headers: { authorization: `Bearer ${upstreamKey}` } };
    const proxied = { url: `http://127.0.0.1:${apiPort}/api/v1/proxy/openai-bench/models`, headers: { authorization: `Bearer ${token}` } };

    const reference = referenceServer
      ? { url: `http://127.0.0.1:${(referenceServer.address() as AddressInfo).port}/reference/models`, headers: { authorization: `Bearer ${token}` } }
      : undefined;
    const sides = [direct, proxied, ...(reference ? [reference] : [])];

    // Interleaved rounds, for latency and for throughput, so drift (JIT, caches, CPU frequency, the other
    // tenants of a shared machine) hits every side alike. Every side uses the same client, agent and concurrency.
    const latencies: number[][] = sides.map(() => []);
    const served = sides.map(() => 0);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [i, side] of sides.entries()) {
        latencies[i]!.push(...(await ask<number[]>(client, { kind: 'latency', ...side, count: Math.ceil(LATENCY_REQUESTS / ROUNDS) })));
      }
    }
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [i, side] of sides.entries()) {
        served[i]! += (await ask<number>(client, { kind: 'throughput', ...side, ms: THROUGHPUT_MS / ROUNDS })) * (THROUGHPUT_MS / ROUNDS / 1000);
      }
    }
    const [d, p, r] = latencies.map(sorted) as [number[], number[], number[] | undefined];
    const [directRps, proxiedRps, referenceRps] = served.map((n) => n / (THROUGHPUT_MS / 1000)) as [number, number, number | undefined];

    const row = (label: string, xs: number[], rps: number) =>
      `${label.padEnd(10)} p50 ${percentile(xs, 50).toFixed(3).padStart(7)} ms  p99 ${percentile(xs, 99).toFixed(3).padStart(7)} ms  ${rps.toFixed(0).padStart(6)} req/s`;
    console.log(
      `${LATENCY_REQUESTS} sequential requests per side, then ${THROUGHPUT_MS / 1000} s at ${CONCURRENCY} in flight (loopback, keep-alive), in ${ROUNDS} interleaved rounds`,
    );
    console.log(row('direct', d, directRps));
    console.log(row('proxied', p, proxiedRps));
    if (r && referenceRps !== undefined) {
      console.log(row('bare-node', r, referenceRps));
      console.log(
        `reference: a bare Node pass-through proxy (no auth, no injection, same process) adds p50 ${Math.max(0, percentile(r, 50) - percentile(d, 50)).toFixed(3)} ms, throughput_ratio=${(referenceRps / directRps).toFixed(3)}; Latchkey reaches ${((100 * proxiedRps) / referenceRps).toFixed(0)}% of its throughput`,
      );
    }
    const addedP50 = Math.max(0, percentile(p, 50) - percentile(d, 50));
    const addedP99 = Math.max(0, percentile(p, 99) - percentile(d, 99));
    console.log(
      `RESULT proxy added_p50_ms=${addedP50.toFixed(3)} added_p99_ms=${addedP99.toFixed(3)} throughput_ratio=${(proxiedRps / directRps).toFixed(3)} target_added_p50_ms=1 target_throughput_ratio=0.6`,
    );
  } finally {
    await client.terminate();
    await upstreamWorker.terminate();
    for (const server of [apiServer, referenceServer]) {
      if (!server) continue;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    // Stage the buffered credential uses while the database still exists.
    const { closeUsageStore } = await import('~/usage/store.server');
    await closeUsageStore().catch(() => undefined);
    const { closeQueues } = await import('~/queue/queue.server');
    await closeQueues().catch(() => undefined);
    await prisma.$disconnect();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
