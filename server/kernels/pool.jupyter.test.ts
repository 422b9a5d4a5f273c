import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerExists, containersOf, removeImagesOf, spareKernels } from '../testing/docker.js';
import { runCli } from '../testing/cli.js';
import { eventually } from '../testing/eventually.js';
import { interruptSleep, type JupyterServer, type KernelClient } from '../testing/jupyter.js';
import { containerOfKernel } from './testing/containers.js';
import { kernelTestProject } from './testing/project.js';

// The companion server's warm pool, through a real Jupyter Server with Ariel's server extension:
// after a first kernel start, a spare container waits; the next start is that container.

function imageOf(container: string): string {
  return execFileSync('docker', ['inspect', '--format', '{{.Config.Image}}', container], { encoding: 'utf8' }).trim();
}

describe('the warm pool of kernel containers', { timeout: 900_000 }, () => {
  const { root, prefix, startServer } = kernelTestProject('ariel-pool');
  let server: JupyterServer;
  const clients: KernelClient[] = [];

  before(async () => {
    writeFileSync(join(root, 'helpers.py'), 'ANSWER = 42\n');
    server = await startServer();
  });

  after(async () => {
    clients.forEach(client => client.close());
    await server?.stop();
    removeImagesOf(root);
    rmSync(root, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
  });

  /** Starts an ariel-cpu kernel for a notebook in notebooks/ and waits until it answers. */
  async function startKernel(name: string): Promise<{ id: string; client: KernelClient; container: string }> {
    const { status, body } = await server.request<{ kernel: { id: string } }>('POST', '/api/sessions', {
      path: `notebooks/${name}`,
      name,
      type: 'notebook',
      kernel: { name: 'ariel-cpu' }
    });
    assert.equal(status, 201, `${JSON.stringify(body)}\n${server.log.slice(-4000)}`);
    const client = await server.connect(body.kernel.id);
    clients.push(client);
    await client.ready(300_000);
    const container = containerOfKernel(root, body.kernel.id);
    assert.ok(container, `kernel ${body.kernel.id} has no running container\n${server.log.slice(-4000)}`);
    return { id: body.kernel.id, client, container };
  }

  async function oneSpare(what: string): Promise<string> {
    await eventually(() => spareKernels(root).length === 1, what);
    return spareKernels(root)[0];
  }

  it('serves the next start from a spare that behaves as a fresh kernel, and replaces it', async () => {
    const first = await startKernel('first.ipynb');
    const spare = await oneSpare('a spare container after the first start');
    // The sidebar lists the running kernel, not the spare.
    const listed = await server.request<{ containers: { id: string }[] }>('GET', '/ariel/containers');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const ids = listed.body.containers.map(c => c.id);
    assert.ok(ids.includes(first.container) && !ids.includes(spare), JSON.stringify(ids));
    // So does `ariel ps`, which says the spare is there; `--all` lists it, marked as the pool's.
    const ps = await runCli(['ps', '--project', root]);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(`^${first.container.slice(0, 12)} +kernel `, 'm'));
    assert.doesNotMatch(ps.stdout, new RegExp(spare.slice(0, 12)));
    assert.match(ps.stderr, /^1 spare kernel container of the warm pool not listed: not kernels yet/m);
    const all = await runCli(['ps', '--project', root, '--all']);
    assert.match(all.stdout, new RegExp(`^${spare.slice(0, 12)} +spare \\(warm pool\\) `, 'm'));
    assert.match(all.stdout, new RegExp(`^${first.container.slice(0, 12)} +kernel `, 'm'));
    const json = JSON.parse((await runCli(['ps', '--project', root, '--all', '--json'])).stdout) as {
      id: string;
      spare: boolean;
    }[];
    assert.deepEqual(
      json.map(c => [c.id, c.spare]).sort(),
      [
        [first.container, false],
        [spare, true]
      ].sort()
    );

    const second = await startKernel('second.ipynb');
    assert.equal(second.container, spare, 'the second kernel is not the spare container');
    assert.notEqual(second.container, first.container);

    const where = await second.client.execute(
      [
        'import os, sys',
        'print(os.getcwd())',
        "print(os.environ.get('ARIEL_TEST_SECRET'))",
        'print(os.getuid(), os.getgid())',
        'print(sys.path[0])',
        'from helpers import ANSWER; print(ANSWER)'
      ].join('\n')
    );
    assert.equal(where.status, 'ok', where.stderr);
    assert.deepEqual(where.stdout.trim().split('\n'), [
      join(root, 'notebooks'),
      'from-the-host',
      `${process.getuid!()} ${process.getgid!()}`,
      join(root, 'notebooks'),
      '42'
    ]);

    await second.client.execute('x = 41');
    assert.equal((await interruptSleep(server, second.id, second.client)).error, 'KeyboardInterrupt');
    assert.equal((await second.client.execute('print(x + 1)')).stdout.trim(), '42');

    // A replacement waits, and shutdown removes the handed-out container.
    const replacement = await oneSpare('a replacement spare');
    assert.notEqual(replacement, spare);
    assert.equal((await server.request('DELETE', `/api/kernels/${second.id}`)).status, 204);
    assert.equal((await server.request('DELETE', `/api/kernels/${first.id}`)).status, 204);
    await eventually(
      () => !containerExists(first.container) && !containerExists(second.container),
      'the kernels to be removed after shutdown'
    );
  });

  it('builds after a requirements edit instead of using the stale spare', async () => {
    const stale = await oneSpare('a spare for the current image');
    const staleImage = imageOf(stale);
    writeFileSync(join(root, 'requirements.txt'), 'six\n# edited\n');

    const kernel = await startKernel('edited.ipynb');
    assert.notEqual(kernel.container, stale);
    assert.notEqual(imageOf(kernel.container), staleImage, 'the kernel runs the image from before the edit');
    await eventually(() => !containerExists(stale), 'the stale spare to be removed');
    const fresh = await oneSpare('a spare for the rebuilt image');
    assert.equal(imageOf(fresh), imageOf(kernel.container));
    assert.equal((await server.request('DELETE', `/api/kernels/${kernel.id}`)).status, 204);
  });

  it('leaves no container, spares included, once Jupyter Server stops', async () => {
    await oneSpare('a spare before stopping');
    await server.stop();
    await eventually(() => containersOf('kernel', root).length === 0, 'every kernel container to be removed');
  });
});
