#!/usr/bin/env node
// Shim for the `latchkey` bin: registers tsx (a dependency) in this process and runs cli/main.ts, so no build
// step is needed and signals reach the CLI itself (latchkey run forwards them to its child).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const here = path.dirname(fileURLToPath(import.meta.url));
register({ tsconfig: path.join(here, '..', 'tsconfig.json') });
await import(pathToFileURL(path.join(here, 'latchkey.ts')).href);
