/**
 * What a notebook's container kernel may do, as the code in it sees it, through a real Jupyter
 * Server: confinement (no capabilities, no privilege gain, a pids limit) and the project's
 * run-time settings.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertConfined, PROBE, probeIn, SHM_PROBE } from '../testing/confinement.js';
import { eventually } from '../testing/eventually.js';
import { containersOf, removeImagesOf } from '../testing/docker.js';
import type { JupyterServer, KernelClient } from '../testing/jupyter.js';
import { kernelTestProject } from './testing/project.js';

describe('a container kernel started through Jupyter Server', () => {
  const { root, prefix, startServer } = kernelTestProject('ariel-kernel-settings');
  let server: JupyterServer;
  const clients: KernelClient[] = [];
  /** A dataset outside the project, mounted by the project's "run" settings, and generated credentials. */
  const outside = mkdtempSync(join(tmpdir(), 'ariel-kernel-data-'));
  const secret = `ariel-test-secret-${randomBytes(8).toString('hex')}`;
  const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;

  before(async () => {
    mkdirSync(join(outside, 'mnist'));
    writeFileSync(join(outside, 'mnist', 'labels.txt'), 'seven\n');
    writeFileSync(join(outside, 'adc.json'), JSON.stringify({ type: 'authorized_user', refresh_token: secret }));
    writeFileSync(
      join(root, '.ariel.json'),
      JSON.stringify({
        env: ['ARIEL_TEST_SECRET'],
        run: { mounts: [{ source: join(outside, 'mnist'), target: '/data/mnist' }] }
      })
    );
    // The companion (a child of Jupyter Server) finds the user's credentials as Google's libraries do.
    process.env.GOOGLE_APPLICATION_CREDENTIALS = join(outside, 'adc.json');
    server = await startServer();
  });

  after(async () => {
    clients.forEach(client => client.close());
    await server?.stop();
    await eventually(() => containersOf('kernel', root).length === 0, 'kernel containers to be removed');
    removeImagesOf(root);
    rmSync(root, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
    if (saved === undefined) {
      delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    } else {
      process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
  });

  async function startKernel(): Promise<KernelClient> {
    const { status, body } = await server.request<{ kernel: { id: string } }>('POST', '/api/sessions', {
      path: 'notebooks/settings.ipynb',
      name: 'settings.ipynb',
      type: 'notebook',
      kernel: { name: 'ariel-cpu' }
    });
    assert.equal(status, 201, JSON.stringify(body));
    const client = await server.connect(body.kernel.id);
    clients.push(client);
    await client.ready(600_000);
    return client;
  }

  it('runs as root with no capabilities, no privilege gain and the default pids limit', async () => {
    const client = await startKernel();
    const probed = await client.execute(PROBE);
    assert.equal(probed.status, 'ok', probed.stderr);
    const probe = probeIn(probed.stdout);
    assert.equal(probe.uid, 0);
    assertConfined(probe, '4096');
  });

  it('shares 512 MB between two processes, reads mounted data it cannot change, and has the credentials', async () => {
    const client = await startKernel();
    const shm = await client.execute(SHM_PROBE, 300_000);
    assert.equal(shm.status, 'ok', `${shm.stdout}\n${shm.stderr}`);
    assert.match(shm.stdout, /SHM OK 512/);

    const data = await client.execute(
      [
        'import os',
        "print(open('/data/mnist/labels.txt').read().strip())",
        'try:',
        "    open('/data/mnist/new.txt', 'w')",
        'except OSError as error:',
        "    print('refused', error.errno)",
        "print(open(os.environ['GOOGLE_APPLICATION_CREDENTIALS']).read())"
      ].join('\n')
    );
    assert.equal(data.status, 'ok', data.stderr);
    const lines = data.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 2), ['seven', 'refused 30']);
    assert.ok(lines[2].includes(secret), lines[2]);
  });
});
