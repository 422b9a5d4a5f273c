import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../testing/eventually.js';

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
    this.dir = mkdtempSync(join(tmpdir(), 'ariel-registry-'));
    const config = join(this.dir, 'config.yml');
    // Port 0: the registry takes a free port and names it in its "listening on" line.
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log: { level: info }',
        `storage: { filesystem: { rootdirectory: ${join(this.dir, 'data')} }, delete: { enabled: true } }`,
        'http: { addr: 127.0.0.1:0 }',
        ''
      ].join('\n')
    );
    this.child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', chunk => (this.log += String(chunk)));
    this.child.stderr!.on('data', chunk => (this.log += String(chunk)));
    let failed: Error | undefined;
    this.child.on('error', error => (failed = error));
    const port = await eventually(() => {
      if (failed || this.child!.exitCode !== null) {
        throw new Error(`docker-registry did not start: ${failed?.message ?? this.log}`);
      }
      return /listening on 127\.0\.0\.1:(\d+)/.exec(this.log)?.[1];
    }, 'the test registry to listen');
    this.host = `127.0.0.1:${port}`;
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
