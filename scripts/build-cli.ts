// `npm run build:cli`: bundles cli/main.ts into dist/latchkey.mjs, one file that runs with Node 20 alone.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist', 'latchkey.mjs');

await build({
  entryPoints: [path.join(root, 'cli', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner: { js: '#!/usr/bin/env node' },
  legalComments: 'none',
  logLevel: 'warning',
});
fs.chmodSync(outfile, 0o755);
console.log(`Built ${path.relative(root, outfile)} (${Math.round(fs.statSync(outfile).size / 1024)} KiB)`);
