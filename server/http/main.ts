/**
 * Ariel's companion server, started by the Jupyter server extension:
 *   ARIEL_COMPANION_SECRET=<secret> node main.bundle.mjs --root <Jupyter's root> [--log-lines N]
 * It listens on a free loopback port, prints `ARIEL_COMPANION_LISTENING <port>` once ready,
 * and stops (cancelling what it started) when its standard input closes or on SIGTERM.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { createAppDeps } from '../app/index.js';
import { ArielError } from '../errors.js';
import { nativeMismatch, readBuildInfo } from '../history/native.js';
import { COMPANION_READY } from '../names.js';
import { createApp } from './app.js';

const version = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

function options(argv: string[]): { root: string; secret: string; logLines?: number } {
  const usage = (message: string) =>
    new ArielError(
      'usage',
      message,
      'usage: ARIEL_COMPANION_SECRET=<secret> node main.bundle.mjs --root <folder> [--log-lines N]'
    );
  let values: { root?: string; 'log-lines'?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { root: { type: 'string' }, 'log-lines': { type: 'string' } }
    }));
  } catch (error) {
    throw usage((error as Error).message);
  }
  const secret = process.env.ARIEL_COMPANION_SECRET;
  // Containers started from here pass configured variables through; the secret is never one of them.
  delete process.env.ARIEL_COMPANION_SECRET;
  if (!values.root) {
    throw usage('--root is required.');
  }
  if (!existsSync(values.root) || !statSync(values.root).isDirectory()) {
    throw usage(`--root ${values.root} is not a folder.`);
  }
  if (!secret) {
    throw usage('ARIEL_COMPANION_SECRET is not set.');
  }
  const logLines = values['log-lines'] === undefined ? undefined : Number(values['log-lines']);
  if (logLines !== undefined && !(Number.isInteger(logLines) && logLines > 0)) {
    throw usage(`--log-lines must be a positive whole number, not "${values['log-lines']}".`);
  }
  return { root: values.root, secret, logLines };
}

async function main(argv: string[]): Promise<void> {
  const app = createApp({ ...options(argv), app: createAppDeps(), version });
  let stopping = false;
  const stop = () => {
    if (stopping) {
      return;
    }
    stopping = true;
    // Builds stop at once when cancelled; an engine that no longer answers must not keep us alive.
    setTimeout(() => process.exit(0), 10_000).unref();
    void app.close().finally(() => process.exit(0));
  };
  // The parent holds our stdin open; when it dies, the pipe closes.
  process.stdin.on('end', stop).on('close', stop).on('error', stop).resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  app.server.on('error', error => {
    process.stderr.write(`[Ariel] The companion server cannot listen: ${error.message}\n`);
    process.exit(1);
  });
  app.server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${COMPANION_READY} ${(app.server.address() as AddressInfo).port}\n`);
    // Kernels and builds work without the native module; the job history does not: said once, at start.
    const mismatch = nativeMismatch(readBuildInfo());
    if (mismatch) {
      process.stderr.write(`[Ariel] warning: ${mismatch.message}\n[Ariel] ${mismatch.hint}\n`);
    }
  });
}

main(process.argv.slice(2)).catch(error => {
  if (error instanceof ArielError) {
    process.stderr.write(`[Ariel] ${error.message}\n${error.hint ? `[Ariel] ${error.hint}\n` : ''}`);
  } else {
    process.stderr.write(`[Ariel] The companion server could not start: ${(error as Error)?.stack ?? error}\n`);
  }
  process.exit(2);
});
