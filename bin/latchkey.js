#!/usr/bin/env node
// Shim for the `latchkey` bin: runs bin/latchkey.ts through tsx (a dependency), so no build step is needed.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = import.meta.resolve('tsx');
const result = spawnSync(process.execPath, ['--import', tsx, path.join(here, 'latchkey.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
