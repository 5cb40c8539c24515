// Test helper process: fires N concurrent refreshCredential calls for one credential at a given instant, prints the outcomes as JSON.
import { prisma } from '~/db.server';
import { refreshCredential } from '~/oauth/refresh.server';
import { closeQueues } from '~/queue/queue.server';

const [credentialId, countArg] = process.argv.slice(2);
const count = Number(countArg);

/** The parent answers "ready" with the instant to start at, so both processes fire together. */
function startSignal(): Promise<number> {
  return new Promise((resolve) => {
    let buffered = '';
    process.stdin.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n')[0];
      if (buffered.includes('\n')) resolve(Number(line));
    });
  });
}

async function main() {
  // Warm the connection pool and modules first, so the burst really starts at startAt.
  await prisma.credential.findUnique({ where: { id: credentialId! }, select: { id: true } });
  process.stdout.write('ready\n');
  const startAt = await startSignal();
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const results = await Promise.all(
    Array.from({ length: count }, () =>
      refreshCredential(credentialId!).then(
        (r) => r.outcome as string,
        (e: Error) => `error:${e.message}`,
      ),
    ),
  );
  process.stdout.write(`${JSON.stringify(results)}\n`);
  process.stdin.destroy();
  await closeQueues();
  await prisma.$disconnect();
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
