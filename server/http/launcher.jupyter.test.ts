import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { removeImagesOf } from '../testing/docker.js';
import { installArielKernels, JupyterServer } from '../testing/jupyter.js';
import type { Build } from './builds.js';

// A kernel start under a Jupyter Server with Ariel's server extension: its image is built by the
// companion server, so the sidebar's list of builds (under {base_url}ariel/) shows it.

describe('kernel starts through the companion server', () => {
  const root = mkdtempSync(join(tmpdir(), 'ariel-launcher-project-'));
  const prefix = mkdtempSync(join(tmpdir(), 'ariel-launcher-kernelspecs-'));
  const server = new JupyterServer(root, { JUPYTER_PATH: installArielKernels(prefix) });

  after(async () => {
    await server.stop();
    removeImagesOf(root);
    rmSync(root, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
  });

  it('builds the notebook image in the companion, where the sidebar lists the build', async () => {
    writeFileSync(join(root, 'requirements.txt'), 'six\n');
    await server.start();
    const version = await server.request<{ companion?: string }>('GET', '/ariel/handshake');
    assert.equal(version.status, 200, `the server extension is active: ${JSON.stringify(version.body)}`);

    // A notebook's session: its kernel starts in the notebook's folder, inside Jupyter's root.
    const { status, body } = await server.request<{ kernel: { id: string } }>('POST', '/api/sessions', {
      path: 'analysis.ipynb',
      type: 'notebook',
      kernel: { name: 'ariel-cpu' }
    });
    assert.equal(status, 201, JSON.stringify(body));
    const client = await server.connect(body.kernel.id);
    try {
      await client.ready(300_000);
      const builds = await server.request<{ builds: Build[] }>('GET', '/ariel/builds');
      const build = builds.body.builds.find(b => b.mode === 'notebook' && b.project === '');
      assert.equal(build?.state, 'succeeded', `${JSON.stringify(builds.body)}\n${server.log.slice(-3000)}`);
      assert.equal(build?.accelerator, 'cpu');
    } finally {
      client.close();
      await server.request('DELETE', `/api/kernels/${body.kernel.id}`);
    }
  });
});
