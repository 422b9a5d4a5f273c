/**
 * What a notebook's container kernel may do, as the code in it sees it, through a real Jupyter
 * Server: confinement (no capabilities, no privilege gain, a pids limit) and the project's
 * run-time settings.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { assertConfined, PROBE, probeIn } from '../testing/confinement.js';
import { eventually } from '../testing/eventually.js';
import { containersOf, removeImagesOf } from '../testing/docker.js';
import type { JupyterServer, KernelClient } from '../testing/jupyter.js';
import { kernelTestProject } from './testing/project.js';

describe('a container kernel started through Jupyter Server', () => {
  const { root, prefix, startServer } = kernelTestProject('ariel-kernel-settings');
  let server: JupyterServer;
  const clients: KernelClient[] = [];

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    clients.forEach(client => client.close());
    await server?.stop();
    await eventually(() => containersOf('kernel', root).length === 0, 'kernel containers to be removed');
    removeImagesOf(root);
    rmSync(root, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
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
});
