import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

/** The companion server's bundle, as the Jupyter server extension starts it. */
export const COMPANION_BUNDLE = fileURLToPath(new URL('../http/main.bundle.mjs', import.meta.url));

export interface Response<T> {
  status: number;
  body: T;
}

/** A companion server in a child process, started as the server extension starts it. */
export class Companion {
  readonly secret = randomBytes(16).toString('hex');
  child?: ChildProcess;
  port = 0;
  /** Everything it wrote to stderr. */
  stderr = '';

  constructor(
    readonly root: string,
    private readonly args: string[] = []
  ) {}

  /** Starts it and waits for its readiness line. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [COMPANION_BUNDLE, '--root', this.root, ...this.args], {
      env: { ...process.env, ARIEL_COMPANION_SECRET: this.secret },
      stdio: ['pipe', 'pipe', 'pipe']
    });
    this.child = child;
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    let stdout = '';
    this.port = await new Promise<number>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const match = /^ARIEL_COMPANION_LISTENING (\d+)$/m.exec(stdout);
        if (match) {
          resolve(Number(match[1]));
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
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  /** A WebSocket to `path`, with the secret unless other headers are given. */
  socket(path: string, headers: Record<string, string> = { 'X-Ariel-Secret': this.secret }): WebSocket {
    return new WebSocket(`ws://127.0.0.1:${this.port}${path}`, { headers });
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
    return code;
  }
}
