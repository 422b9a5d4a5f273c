/**
 * Ariel's companion server, started by the Jupyter server extension:
 *   ARIEL_COMPANION_SECRET=<secret> node main.bundle.mjs --root <Jupyter's root>
 *     --socket <path> --runtime-dir <Jupyter's runtime folder> [--log-lines N]
 * It listens on the Unix socket at `--socket` (its folder is the caller's, mode 0700: no TCP port,
 * nothing a container on the host's network can reach), prints `ARIEL_COMPANION_LISTENING <path>`
 * once ready, and stops (cancelling what it started) when its standard input closes or on SIGTERM.
 * Kernel connection files must lie in `--runtime-dir`.
 */
import { existsSync, lstatSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import { createAppDeps, nativeMismatch, readBuildInfo } from '../app/index.js';
import { ArielError } from '../errors.js';
import { COMPANION_READY } from '../names.js';
import { createApp } from './app.js';

const version = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const USAGE =
  'usage: ARIEL_COMPANION_SECRET=<secret> node main.bundle.mjs --root <folder> --socket <path> --runtime-dir <folder> [--log-lines N]';

interface Options {
  root: string;
  socket: string;
  runtimeDir: string;
  secret: string;
  logLines?: number;
}

function options(argv: string[]): Options {
  const usage = (message: string) => new ArielError('usage', message, USAGE);
  let values: { root?: string; socket?: string; 'runtime-dir'?: string; 'log-lines'?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        root: { type: 'string' },
        socket: { type: 'string' },
        'runtime-dir': { type: 'string' },
        'log-lines': { type: 'string' }
      }
    }));
  } catch (error) {
    throw usage((error as Error).message);
  }
  const secret = process.env.ARIEL_COMPANION_SECRET;
  // Containers started from here pass configured variables through; the secret is never one of them.
  delete process.env.ARIEL_COMPANION_SECRET;
  for (const [name, value] of [
    ['--root', values.root],
    ['--runtime-dir', values['runtime-dir']]
  ] as const) {
    if (!value) {
      throw usage(`${name} is required.`);
    }
    if (!existsSync(value) || !statSync(value).isDirectory()) {
      throw usage(`${name} ${value} is not a folder.`);
    }
  }
  if (!values.socket || !isAbsolute(values.socket)) {
    throw usage(`--socket must be the absolute path of the Unix socket to listen on, not "${values.socket ?? ''}".`);
  }
  if (!secret) {
    throw usage('ARIEL_COMPANION_SECRET is not set.');
  }
  const logLines = values['log-lines'] === undefined ? undefined : Number(values['log-lines']);
  if (logLines !== undefined && !(Number.isInteger(logLines) && logLines > 0)) {
    throw usage(`--log-lines must be a positive whole number, not "${values['log-lines']}".`);
  }
  return { root: values.root!, socket: values.socket, runtimeDir: values['runtime-dir']!, secret, logLines };
}

/** A socket left by a companion that was killed is removed; anything else at the path is not ours to remove. */
function removeStaleSocket(path: string): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) {
    throw new ArielError(
      'usage',
      `--socket ${path} exists and is not a socket.`,
      "Give the path of a socket in a folder only you can open, e.g. under Jupyter's runtime folder."
    );
  }
  unlinkSync(path);
}

async function main(argv: string[]): Promise<void> {
  const { socket, ...settings } = options(argv);
  const app = createApp({ ...settings, app: createAppDeps(), version });
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
  removeStaleSocket(socket);
  app.server.listen(socket, () => {
    process.stdout.write(`${COMPANION_READY} ${socket}\n`);
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
