import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { ARIEL_BIN } from './cli.js';
import { eventually } from './eventually.js';
import { Terminal } from './terminal.js';

/** The repo's Python environment (created by scripts/test.sh), which has Jupyter Server. */
export const JUPYTER_ENV =
  process.env.ARIEL_TEST_JUPYTER_ENV ?? fileURLToPath(new URL('../../../.venv', import.meta.url));

/**
 * Installs Ariel's kernelspecs under PREFIX with the CLI, as a user would, for the Jupyter
 * environment above; returns the folder to put on JUPYTER_PATH.
 */
export function installArielKernels(prefix: string): string {
  execFileSync(process.execPath, [
    ARIEL_BIN,
    'kernels',
    'install',
    '--prefix',
    prefix,
    '--python',
    join(JUPYTER_ENV, 'bin', 'python')
  ]);
  return join(prefix, 'share', 'jupyter');
}

/** A TCP port on loopback that nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface JupyterServerOptions {
  /**
   * Runs the server on a terminal (tmux), as a person starts it: Ctrl-C then asks for
   * confirmation, which Jupyter Server only does when its stdin is a TTY.
   */
  terminal?: boolean;
  /** Runs the server as this user (through runuser; the tests run as root). */
  user?: string;
  /** The Python environment whose `jupyter` runs the server (default: the repo's .venv). */
  jupyterEnv?: string;
}

/** A real Jupyter Server on loopback, started from the project's environment. */
export class JupyterServer {
  private process?: ChildProcess;
  private terminal?: Terminal;
  private logFile = '';
  private output = '';
  readonly token = randomBytes(16).toString('hex');
  url = '';
  pid = 0;

  constructor(
    private readonly rootDir: string,
    private readonly env: NodeJS.ProcessEnv = {},
    private readonly options: JupyterServerOptions = {}
  ) {}

  /** Everything the server printed so far (with the kernel launchers' stderr). */
  get log(): string {
    return this.terminal ? readFileSync(this.logFile, 'utf8') : this.output;
  }

  async start(): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const command = [
      ...(this.options.user ? ['runuser', '-u', this.options.user, '--'] : []),
      `${this.options.jupyterEnv ?? JUPYTER_ENV}/bin/jupyter`,
      'server',
      '--no-browser',
      '--allow-root',
      `--ServerApp.port=${port}`,
      '--ServerApp.port_retries=0',
      '--ServerApp.ip=127.0.0.1',
      `--IdentityProvider.token=${this.token}`,
      `--ServerApp.root_dir=${this.rootDir}`
    ];
    if (this.options.terminal) {
      const dir = mkdtempSync(join(tmpdir(), 'ariel-jupyter-'));
      this.logFile = join(dir, 'log');
      const pidFile = join(dir, 'pid');
      const env = Object.entries(this.env).map(([name, value]) => `${name}=${value ?? ''}`);
      this.terminal = new Terminal(
        `sh -c 'echo $$ > "$0"; exec "$@"' ${[pidFile, 'env', ...env, ...command].map(shellQuote).join(' ')} > ${shellQuote(this.logFile)} 2>&1`,
        { cwd: this.rootDir }
      );
      this.pid = await eventually(() => existsSync(pidFile) && Number(readFileSync(pidFile, 'utf8')), 'the server pid');
    } else {
      this.process = spawn(command[0], command.slice(1), {
        // Kernels started without a path run where the server runs.
        cwd: this.rootDir,
        env: { ...process.env, ...this.env },
        stdio: ['ignore', 'pipe', 'pipe']
      });
      this.pid = this.process.pid!;
      this.process.stdout!.on('data', chunk => (this.output += chunk));
      this.process.stderr!.on('data', chunk => (this.output += chunk));
    }
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!this.running()) {
        throw new Error(`Jupyter Server exited:\n${this.log}`);
      }
      try {
        if ((await fetch(`${this.url}/api/status`, { headers: this.headers() })).ok) {
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
    throw new Error(`Jupyter Server did not answer within 60 s:\n${this.log}`);
  }

  /** Whether the server process still runs. */
  running(): boolean {
    if (this.process) {
      return this.process.exitCode === null && this.process.signalCode === null;
    }
    try {
      process.kill(this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Waits until the server process has exited. */
  async exited(timeoutMs = 60_000): Promise<void> {
    await eventually(() => !this.running(), 'Jupyter Server to exit', timeoutMs);
  }

  /** Presses Ctrl-C on the server's terminal (needs the `terminal` option). */
  pressCtrlC(): void {
    this.terminal!.keys('C-c');
  }

  /** Types a line on the server's terminal (needs the `terminal` option). */
  type(line: string): void {
    this.terminal!.type(line);
  }

  headers(): Record<string, string> {
    return { Authorization: `token ${this.token}`, 'Content-Type': 'application/json' };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: this.headers(),
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Stops the server with SIGTERM (SIGKILL after 15 s), or kills it at once with SIGKILL. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (this.pid && this.running()) {
      process.kill(this.pid, signal);
      try {
        await this.exited(15_000);
      } catch {
        process.kill(this.pid, 'SIGKILL');
      }
    }
    this.terminal?.close();
  }

  /** Opens the kernel's WebSocket, as JupyterLab does. */
  async connect(kernelId: string): Promise<KernelClient> {
    const ws = new WebSocket(`${this.url.replace('http', 'ws')}/api/kernels/${kernelId}/channels?token=${this.token}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return new KernelClient(ws);
  }
}

export interface JupyterMessage {
  channel: string;
  header: { msg_id: string; msg_type: string };
  parent_header: { msg_id?: string };
  content: Record<string, unknown>;
}

export interface ExecuteResult {
  status: string;
  stdout: string;
  stderr: string;
  /** `ename` of an error reply, e.g. KeyboardInterrupt. */
  error?: string;
}

/** The Jupyter messaging protocol over Jupyter Server's kernel WebSocket. */
export class KernelClient {
  private readonly session = randomUUID();
  private readonly listeners = new Set<(message: JupyterMessage) => void>();

  constructor(private readonly ws: WebSocket) {
    ws.on('message', data => {
      const message = JSON.parse(data.toString()) as JupyterMessage;
      this.listeners.forEach(listener => listener(message));
    });
    ws.on('error', () => undefined);
  }

  send(channel: string, msgType: string, content: Record<string, unknown>): string {
    const msgId = randomUUID();
    this.ws.send(
      JSON.stringify({
        channel,
        header: {
          msg_id: msgId,
          msg_type: msgType,
          session: this.session,
          username: 'test',
          version: '5.3',
          date: new Date().toISOString()
        },
        parent_header: {},
        metadata: {},
        content,
        buffers: []
      })
    );
    return msgId;
  }

  /** Resolves with the first message that matches, or rejects after `timeoutMs`. */
  waitFor(predicate: (message: JupyterMessage) => boolean, timeoutMs: number): Promise<JupyterMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no matching kernel message within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (message: JupyterMessage) => {
        if (predicate(message)) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(message);
        }
      };
      this.listeners.add(listener);
    });
  }

  /**
   * Sends kernel_info_request until the kernel answers on both shell and iopub: a reply
   * alone does not prove that the iopub subscription (which carries output) is live yet.
   */
  async ready(timeoutMs = 120_000): Promise<JupyterMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const msgId = this.send('shell', 'kernel_info_request', {});
      const answer = (type: string) =>
        this.waitFor(m => m.parent_header.msg_id === msgId && m.header.msg_type === type, 1_000);
      try {
        const [reply] = await Promise.all([answer('kernel_info_reply'), answer('status')]);
        return reply;
      } catch (error) {
        if (Date.now() > deadline) {
          throw error;
        }
      }
    }
  }

  /** Runs code and collects its output until the kernel is idle again. */
  async execute(code: string, timeoutMs = 60_000): Promise<ExecuteResult> {
    const result: ExecuteResult = { status: '', stdout: '', stderr: '' };
    const msgId = this.send('shell', 'execute_request', {
      code,
      silent: false,
      store_history: false,
      allow_stdin: false,
      stop_on_error: true
    });
    const collect = (message: JupyterMessage) => {
      if (message.parent_header.msg_id !== msgId) {
        return;
      }
      if (message.header.msg_type === 'stream') {
        result[message.content.name as 'stdout' | 'stderr'] += String(message.content.text);
      } else if (message.header.msg_type === 'error') {
        result.error = String(message.content.ename);
      }
    };
    this.listeners.add(collect);
    try {
      const reply = this.waitFor(
        m => m.parent_header.msg_id === msgId && m.header.msg_type === 'execute_reply',
        timeoutMs
      );
      // Awaited below; if idle never comes, that is the error reported, not an unhandled rejection.
      reply.catch(() => undefined);
      await this.waitFor(
        m => m.parent_header.msg_id === msgId && m.header.msg_type === 'status' && m.content.execution_state === 'idle',
        timeoutMs
      );
      result.status = String((await reply).content.status);
      return result;
    } finally {
      this.listeners.delete(collect);
    }
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * Starts a long sleep, interrupts it through the server once the cell says it has started
 * (no fixed wait), and resolves to the cell's result: a KeyboardInterrupt error when it worked.
 */
export async function interruptSleep(
  server: JupyterServer,
  kernelId: string,
  client: KernelClient
): Promise<ExecuteResult> {
  const started = client.waitFor(
    m => m.header.msg_type === 'stream' && String(m.content.text).includes('sleeping'),
    300_000
  );
  const sleeping = client.execute("import time; print('sleeping', flush=True); time.sleep(600)", 300_000);
  // Returned to the caller; if the print never comes, `started` is the error to report.
  sleeping.catch(() => undefined);
  await started;
  const interrupt = await server.request('POST', `/api/kernels/${kernelId}/interrupt`);
  if (interrupt.status !== 204) {
    throw new Error(`the interrupt request answered ${interrupt.status}`);
  }
  return sleeping;
}
