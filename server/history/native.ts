import { readFileSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { ArielError } from '../errors.js';

/**
 * What the build recorded (scripts/bundle.mjs writes dist/server/build-info.json) about the
 * Node.js that the native module better-sqlite3 was compiled for. A wheel carries that module
 * compiled, and Node.js loads it only with the same NODE_MODULE_VERSION (one per major version).
 */
export interface BuildInfo {
  /** The version of the Node.js it was built with, e.g. "v20.20.2". */
  node: string;
  /** Its NODE_MODULE_VERSION (`process.versions.modules` of that Node.js). */
  modules: string;
}

/** The running Node.js, in the same terms. */
export const RUNNING: BuildInfo = { node: process.version, modules: process.versions.modules };

/** dist/server/build-info.json: one folder up from every bundle and compiled module under dist/server/. */
const BUILD_INFO = new URL('../build-info.json', import.meta.url);

/** The build's record, or null where there is none (a checkout not built yet). */
export function readBuildInfo(file: URL | string = BUILD_INFO): BuildInfo | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const info = JSON.parse(text) as Partial<BuildInfo>;
  return typeof info.node === 'string' && typeof info.modules === 'string'
    ? { node: info.node, modules: info.modules }
    : null;
}

/** Why this Node.js cannot load the native module the build carries, or null when it can (or nothing says). */
export function nativeMismatch(built: BuildInfo | null, running: BuildInfo = RUNNING): ArielError | null {
  if (!built || built.modules === running.modules) {
    return null;
  }
  const major = built.node.replace(/^v?(\d+).*$/, '$1');
  return new ArielError(
    'node-version-mismatch',
    `Ariel's job history needs its native SQLite module (better-sqlite3), which this installation has built for ` +
      `Node.js ${major} (NODE_MODULE_VERSION ${built.modules}); this is Node.js ${running.node} ` +
      `(NODE_MODULE_VERSION ${running.modules}), which cannot load it.`,
    `Install Node.js ${major} and put it first on PATH (or set ARIEL_NODE to it), then restart Jupyter; ` +
      'or reinstall jupyterlab-ariel built with this Node.js (in a checkout: npm rebuild better-sqlite3 && npm run build).'
  );
}

/**
 * better-sqlite3's Database class, or an `ArielError` saying which Node.js it needs. Node's own
 * error for a module of another NODE_MODULE_VERSION says neither which Node.js nor what to do.
 */
export async function loadSqlite(built: BuildInfo | null = readBuildInfo()): Promise<typeof BetterSqlite3> {
  const mismatch = nativeMismatch(built);
  if (mismatch) {
    throw mismatch;
  }
  try {
    const { default: Database } = await import('better-sqlite3');
    return Database;
  } catch (error) {
    throw loadFailure(error) ?? error;
  }
}

/** Node's refusal of a module of another NODE_MODULE_VERSION, where the build's record is missing or stale. */
export function loadFailure(error: unknown): ArielError | null {
  const found = /NODE_MODULE_VERSION (\d+)\. This version of Node\.js requires NODE_MODULE_VERSION (\d+)/.exec(
    (error as Error)?.message ?? ''
  );
  if (!found) {
    return null;
  }
  return new ArielError(
    'node-version-mismatch',
    `Ariel's job history needs its native SQLite module (better-sqlite3), which was built for another Node.js ` +
      `(NODE_MODULE_VERSION ${found[1]}); this is Node.js ${process.version} (NODE_MODULE_VERSION ${found[2]}).`,
    'Run Ariel with the Node.js it was built with, or reinstall jupyterlab-ariel built with this Node.js ' +
      '(in a checkout: npm rebuild better-sqlite3 && npm run build).'
  );
}
