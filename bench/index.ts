// Benchmark dispatcher: `npm run bench -- NAME` runs bench/NAME.ts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .map((f) => f.slice(0, -3));
const name = process.argv[2];

if (!name || !available.includes(name)) {
  console.error(`Usage: npm run bench -- <${available.join('|')}>`);
  process.exit(2);
}
// A child process per benchmark: each starts from a clean module graph and its own environment.
const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, `${name}.ts`), ...process.argv.slice(3)], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
