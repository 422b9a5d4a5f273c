import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WebSocket } from 'ws';
import { companionRequest, companionSocket } from '../http/client.js';

/** The companion server's bundle, as the Jupyter server extension starts it. */
export const COMPANION_BUNDLE = fileURLToPath(new URL('../http/main.bundle.mjs', import.meta.url));

export interface Response<T> {
  status: number;
  body: T;
}

/**
 * A companion server in a child process, started as the server extension starts it: on a Unix
 * socket in a private folder, with `runtimeDir` as the folder of kernel connection files.
 */
export class Companion {
  readonly secret = randomBytes(16).toString('hex');
  child?: ChildProcess;
  /** The folder of its socket (mode 0700), made per companion. */
  readonly folder = mkdtempSync(join(tmpdir(), 'ariel-companion-'));
  readonly socketPath = join(this.folder, 'companion.sock');
  /** Jupyter's runtime folder as this companion knows it (default: its own folder). */
  readonly runtimeDir: string;
  /** Everything it wrote to stderr. */
  stderr = '';

  constructor(
    readonly root: string,
    private readonly args: string[] = [],
    runtimeDir?: string
  ) {
    this.runtimeDir = runtimeDir ?? this.folder;
  }

  /** Where to reach it, as a kernel launcher would. */
  get address(): { socket: string; secret: string } {
    return { socket: this.socketPath, secret: this.secret };
  }

  /** Starts it and waits for its readiness line. */
  async start(): Promise<void> {
    const where = ['--socket', this.socketPath, '--runtime-dir', this.runtimeDir];
    const child = spawn(process.execPath, [COMPANION_BUNDLE, '--root', this.root, ...where, ...this.args], {
      env: { ...process.env, ARIEL_COMPANION_SECRET: this.secret },
      stdio: ['pipe', 'pipe', 'pipe']
    });
    this.child = child;
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (/^ARIEL_COMPANION_LISTENING (.+)$/m.exec(stdout)?.[1] === this.socketPath) {
          resolve();
        }
      });
      child.on('exit', code =>
        reject(new Error(`the companion server exited (${code}) before listening:\n${this.stderr}`))
      );
    });
  }

  /** A request with the secret (or with `headers` instead, to test refusals); the body is sent as JSON. */
  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { 'X-Ariel-Secret': this.secret }
  ): Promise<Response<T>> {
    return companionRequest<T>(this.address, method, path, body, headers);
  }

  /** A WebSocket to `path`, with the secret unless other headers are given. */
  socket(path: string, headers: Record<string, string> = { 'X-Ariel-Secret': this.secret }): WebSocket {
    return companionSocket(this.address, path, headers);
  }

  /** Stops it by closing its standard input, as when Jupyter dies; resolves to its exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) {
      return child?.exitCode ?? null;
    }
    const exited = once(child, 'exit');
    child.stdin!.end();
    const [code] = (await exited) as [number | null];
    rmSync(this.folder, { recursive: true, force: true });
    return code;
  }
}
