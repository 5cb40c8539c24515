// `npm run build:cli`: bundles cli/main.ts into dist/latchkey.mjs, one file that runs with Node 20 alone.
import fs from 'node:fs';
import path from 'node:path';
import { buildCliBundle, root } from './cli-bundle';

const outfile = path.join(root, 'dist', 'latchkey.mjs');
await buildCliBundle(outfile);
console.log(`Built ${path.relative(root, outfile)} (${Math.round(fs.statSync(outfile).size / 1024)} KiB)`);
