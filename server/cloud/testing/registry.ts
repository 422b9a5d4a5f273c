import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../testing/eventually.js';

/** A free TCP port on loopback (free when asked; registries start right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * A real registry on loopback for push tests: Debian's docker-registry (installed by
 * scripts/lib/registry.sh), with its storage in a temporary folder, or the one named by
 * ARIEL_TEST_REGISTRY (HOST:PORT). The engine pushes to 127.0.0.1 without TLS by default.
 */
export class TestRegistry {
  private child?: ChildProcess;
  private dir?: string;
  private log = '';
  host = process.env.ARIEL_TEST_REGISTRY ?? '';

  async start(): Promise<void> {
    if (this.host) {
      return;
    }
    const port = await freePort();
    this.dir = mkdtempSync(join(tmpdir(), 'ariel-registry-'));
    const config = join(this.dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log: { level: warn }',
        `storage: { filesystem: { rootdirectory: ${join(this.dir, 'data')} }, delete: { enabled: true } }`,
        `http: { addr: 127.0.0.1:${port} }`,
        ''
      ].join('\n')
    );
    this.child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', chunk => (this.log += String(chunk)));
    this.child.stderr!.on('data', chunk => (this.log += String(chunk)));
    let failed: Error | undefined;
    this.child.on('error', error => (failed = error));
    this.host = `127.0.0.1:${port}`;
    let up = false;
    const probe = () =>
      fetch(`http://${this.host}/v2/`).then(
        response => (up = response.ok),
        () => undefined
      );
    await eventually(() => {
      if (failed || this.child!.exitCode !== null) {
        throw new Error(`docker-registry did not start: ${failed?.message ?? this.log}`);
      }
      void probe();
      return up;
    }, 'the test registry to answer');
  }

  /** Tags of a repository in the registry. */
  async tags(repository: string): Promise<string[]> {
    const response = await fetch(`http://${this.host}/v2/${repository}/tags/list`);
    return response.ok ? (((await response.json()) as { tags: string[] | null }).tags ?? []) : [];
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise(resolve => this.child!.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    if (this.dir) {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
