// The production build in build/ for tests that run the real web process: rebuilt (under the shared build lock) when stale.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Every build and browser run on a shared machine takes this lock (the end-to-end runs hold it while they
 * use build/), so a test never rebuilds under a running server. Tests take it only to build: do not run
 * them under it yourself.
 */
const BUILD_LOCK = process.env.LATCHKEY_BUILD_LOCK ?? '/tmp/latchkey-e2e.lock';

/** Test files sit beside the code in app/ but never go into the build, so editing one leaves it current. */
const NOT_BUILT = /\.test\.tsx?$|(^|\/)test-(helpers|support)\.tsx?$/;

function newestMtime(p: string): number {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return NOT_BUILT.test(p) ? 0 : stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((entry) => newestMtime(path.join(p, entry))));
}

/** True when build/ is missing or older than a source that goes into it (the rule of e2e/global-setup.ts). */
export function buildIsStale(): boolean {
  const built = fs.statSync(path.join(root, 'build/server/index.js'), { throwIfNoEntry: false });
  if (!built) return true;
  const sources = ['app', 'public', 'vite.config.ts', 'remix.config.js', 'package.json'].map((p) => newestMtime(path.join(root, p)));
  return Math.max(...sources) > built.mtimeMs;
}

/** The environment without the test runner's variables: vite.config.ts leaves the Remix plugin out under Vitest. */
function buildEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
  return { ...env, NODE_ENV: 'production' };
}

function build(): void {
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', env: buildEnv() });
  if (result.status !== 0) throw new Error(`npm run build failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
}

/** Makes build/ current: builds when stale, holding the build lock where `flock` exists. */
export function ensureProductionBuild(): void {
  if (!buildIsStale()) return;
  const hasFlock = spawnSync('flock', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!hasFlock) return build();
  // Under the lock the check runs again: whoever held it may just have built.
  const result = spawnSync('flock', [BUILD_LOCK, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url)], {
    cwd: root,
    encoding: 'utf8',
    env: buildEnv(),
  });
  if (result.status !== 0) throw new Error(`building the app failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href && buildIsStale()) build();
