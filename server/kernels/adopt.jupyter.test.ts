import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerExists, containersOf, labelOf, removeImagesOf } from '../testing/docker.js';
import { runCli } from '../testing/cli.js';
import { eventually } from '../testing/eventually.js';
import { installArielKernels, interruptSleep, JupyterServer, type KernelClient } from '../testing/jupyter.js';
import { killCompanion } from './testing/companion.js';
import { containerOfKernel } from './testing/containers.js';

// A companion server that dies (SIGKILL, a crash, an out-of-memory kill) loses no kernel: the
// kernel containers run on, the companion Jupyter restarts takes them over, and Jupyter's
// provisioner goes on talking to them. Each test's project folder is its run id.

const prefix = mkdtempSync(join(tmpdir(), 'ariel-kernelspecs-'));
const kernelPath = installArielKernels(prefix);
const root = mkdtempSync(join(tmpdir(), 'ariel-adopt-'));
const broken = mkdtempSync(join(tmpdir(), 'ariel-adopt-broken-'));
const servers: JupyterServer[] = [];
const clients: KernelClient[] = [];

before(async () => {
  writeFileSync(join(root, 'requirements.txt'), 'six\n');
  // Built up front: these tests are about a kernel's life, not about builds.
  const build = await runCli(['build', '--mode', 'notebook'], { cwd: root });
  assert.equal(build.code, 0, build.stderr);
  writeFileSync(join(broken, '.ariel.json'), '{"no_such_key": true}\n');
});

after(async () => {
  clients.forEach(client => client.close());
  await Promise.all(servers.map(server => server.stop()));
  removeImagesOf(root);
  for (const folder of [root, broken, prefix]) {
    rmSync(folder, { recursive: true, force: true });
  }
});

async function startServer(rootDir: string): Promise<JupyterServer> {
  const server = new JupyterServer(rootDir, { JUPYTER_PATH: kernelPath });
  servers.push(server);
  await server.start();
  return server;
}

/** Stops the server with one SIGTERM: it exits, and no kernel container of the project is left. */
async function stopWithOneSigterm(server: JupyterServer, project: string): Promise<void> {
  process.kill(server.pid, 'SIGTERM');
  await server.exited(60_000).catch((error: Error) => {
    throw new Error(`${error.message} after one SIGTERM\n--- Jupyter Server log ---\n${server.log.slice(-6000)}`);
  });
  await eventually(() => containersOf('kernel', project).length === 0, 'the kernel containers to be removed');
}

describe('a companion killed mid-cell', { timeout: 900_000 }, () => {
  it('loses no kernel: the cell finishes, its output arrives, and the variables are kept', async () => {
    const server = await startServer(root);
    const { status, body } = await server.request<{ id: string }>('POST', '/api/kernels', { name: 'ariel-cpu' });
    assert.equal(status, 201, `${JSON.stringify(body)}\n${server.log.slice(-4000)}`);
    const { id } = body;
    const client = await server.connect(id);
    clients.push(client);
    await client.ready(300_000);
    assert.equal((await client.execute('answer = 41')).status, 'ok');
    const container = containerOfKernel(root, id);
    assert.ok(container, 'the kernel has no running container');
    const firstCompanion = Number(labelOf(container, 'org.ariel.companion.pid'));

    const started = client.waitFor(
      m => m.header.msg_type === 'stream' && /started/.test(String(m.content.text)),
      60_000
    );
    const cell = client.execute(
      "import time; print('started', flush=True); time.sleep(20); print('finished', answer + 1)",
      300_000
    );
    cell.catch(() => undefined);
    await started;
    // Killed as an out-of-memory kill would: nothing of it can clean up or say goodbye.
    const next = await killCompanion(server);
    assert.notEqual(next, firstCompanion);

    const result = await cell.catch((error: Error) => {
      throw new Error(`${error.message}; the cell did not finish\n${server.log.slice(-6000)}`);
    });
    assert.equal(result.status, 'ok', JSON.stringify(result));
    assert.match(result.stdout, /started\s+finished 42/);
    // The same kernel in the same container: Jupyter did not restart it.
    assert.equal(containerOfKernel(root, id), container);
    assert.equal((await client.execute('print(answer)')).stdout.trim(), '41');
    assert.doesNotMatch(server.log, new RegExp(`KernelRestarter: restarting kernel|Kernel ${id} died`));

    // The next companion answers for it: interrupts reach it, and a shutdown removes it.
    assert.equal((await interruptSleep(server, id, client)).error, 'KeyboardInterrupt');
    assert.equal((await client.execute('print(answer)')).stdout.trim(), '41');
    assert.equal((await server.request('DELETE', `/api/kernels/${id}`)).status, 204);
    await eventually(() => !containerExists(container), 'the shut-down kernel container to be removed');

    await stopWithOneSigterm(server, root);
  });

  it('is noticed when the kernel it left exits: Jupyter restarts the kernel', async () => {
    const server = await startServer(root);
    const { body } = await server.request<{ id: string }>('POST', '/api/kernels', { name: 'ariel-cpu' });
    const client = await server.connect(body.id);
    clients.push(client);
    await client.ready(300_000);
    assert.equal((await client.execute('kept = 7')).status, 'ok');
    const container = containerOfKernel(root, body.id);
    assert.ok(container);
    await killCompanion(server);
    assert.equal((await client.execute('print(kept)', 120_000)).stdout.trim(), '7');
    // The kernel ends on its own under the new companion (as a crash in the kernel would).
    await client.execute('import os; os._exit(3)', 10_000).catch(() => undefined);
    await eventually(() => !containerExists(container), 'the exited kernel container to be removed', 120_000);
    await eventually(
      () => {
        const restarted = containerOfKernel(root, body.id);
        return restarted !== undefined && restarted !== container;
      },
      'Jupyter to restart the kernel in a new container',
      300_000
    );
    await client.ready(300_000);
    assert.equal((await client.execute('print(6 * 7)')).stdout.trim(), '42');
    await stopWithOneSigterm(server, root);
  });
});

describe('one SIGTERM stops Jupyter', { timeout: 300_000 }, () => {
  it('also after a container kernel failed to start', async () => {
    const server = await startServer(broken);
    const { status, body } = await server.request<{ message: string }>('POST', '/api/kernels', { name: 'ariel-cpu' });
    assert.equal(status, 500);
    assert.match(body.message, /no_such_key/);
    await stopWithOneSigterm(server, broken);
  });
});
