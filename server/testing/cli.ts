import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI entry point of this checkout (bin/ariel.mjs), which loads the compiled code. */
export const ARIEL_BIN = fileURLToPath(new URL('../../../bin/ariel.mjs', import.meta.url));

export interface CliResult {
  /** Exit code, or null when the process was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time from start to exit, in milliseconds. */
  durationMs: number;
}

export interface CliOptions {
  /** Working directory of the CLI (default: this process's). */
  cwd?: string;
  /** Added to (or, with undefined, removed from) this process's environment. */
  env?: Record<string, string | undefined>;
  /** Written to the CLI's standard input, which is then closed; without it stdin is closed at once. */
  stdin?: string;
  /** The process is killed (SIGKILL) and the result rejected after this long. Default 10 minutes. */
  timeoutMs?: number;
  /** Runs the CLI as this user (through runuser; the tests run as root). */
  user?: string;
}

export interface RunningCli {
  child: ChildProcess;
  /** Output so far; complete once `result` resolves. */
  output(): { stdout: string; stderr: string };
  result: Promise<CliResult>;
}

/** Starts `node bin/ariel.mjs ARGS` as a child process; stdin and stdout are pipes, never a TTY. */
export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.user) {
    // The suite's job history (scripts/test.sh) is root's; another user keeps its own.
    delete env.ARIEL_DATA_DIR;
  }
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) {
      delete env[name];
    } else {
      env[name] = value;
    }
  }
  const started = Date.now();
  const command = [process.execPath, ARIEL_BIN, ...args];
  if (options.user) {
    command.unshift('runuser', '-u', options.user, '--');
  }
  const child = spawn(command[0], command.slice(1), {
    cwd: options.cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe']
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // The CLI may exit before reading its input; that is not an error here.
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(options.stdin ?? '');

  const timeoutMs = options.timeoutMs ?? 600_000;
  const result = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `ariel ${args.join(' ')} did not finish within ${timeoutMs} ms\n--- stdout ---\n${stdout.slice(-4000)}\n--- stderr ---\n${stderr.slice(-4000)}`
        )
      );
    }, timeoutMs);
    child.on('error', error => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
  return { child, output: () => ({ stdout, stderr }), result };
}

/** Runs the CLI to completion: `{code, stdout, stderr}`. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).result;
}

/** The non-root user the test set-up creates (scripts/lib/test-tools.sh), if it exists, we may switch to it, and it can read this checkout. */
export function testUser(): { name: string; uid: number; gid: number } | undefined {
  const name = process.env.ARIEL_TEST_USER ?? 'ariel-test';
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  const ids = spawnSync('id', [name], { encoding: 'utf8' });
  const match = /uid=(\d+).*gid=(\d+)/.exec(ids.stdout);
  if (ids.status !== 0 || !match) {
    return undefined;
  }
  const user = { name, uid: Number(match[1]), gid: Number(match[2]) };
  // A checkout in a folder only root may enter (mktemp -d) cannot run Ariel as that user.
  const reads = spawnSync(process.execPath, ['-e', 'require("fs").accessSync(process.argv[1])', ARIEL_BIN], {
    uid: user.uid,
    gid: user.gid
  });
  return reads.status === 0 ? user : undefined;
}
