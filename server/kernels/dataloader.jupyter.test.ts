/**
 * Real training code in a container kernel: PyTorch's DataLoader with worker processes passes
 * its batches through shared memory, which Docker's default 64 MB /dev/shm cannot hold.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../testing/eventually.js';
import { containersOf, removeImagesOf } from '../testing/docker.js';
import type { JupyterServer, KernelClient } from '../testing/jupyter.js';
import { kernelTestProject } from './testing/project.js';

/** The folder of pip's configured find-links that holds PyTorch's CPU wheel, if any. */
function torchWheelFolder(): string | undefined {
  const configured = spawnSync('python3', ['-m', 'pip', 'config', 'get', 'global.find-links'], { encoding: 'utf8' });
  const folders = configured.status === 0 ? configured.stdout.trim().split(/\s+/) : [];
  return folders.find(
    folder => existsSync(folder) && readdirSync(folder).some(name => /^torch-.*\+cpu-cp311-.*\.whl$/.test(name))
  );
}

/** Four batches of 200 MB from two worker processes. */
const DATALOADER = `import torch
from torch.utils.data import DataLoader, Dataset
class Batches(Dataset):
    def __len__(self):
        return 4
    def __getitem__(self, i):
        return torch.full((50, 1024, 1024), float(i))
loader = DataLoader(Batches(), batch_size=None, num_workers=2, prefetch_factor=1)
print('LOADED', sum(float(batch[0, 0, 0]) for batch in loader), loader.num_workers)
`;

describe('PyTorch in a container kernel', () => {
  const wheels = torchWheelFolder();
  const { root, prefix, startServer } = kernelTestProject('ariel-kernel-torch');
  let server: JupyterServer | undefined;
  let files: Server | undefined;
  const clients: KernelClient[] = [];

  before(async () => {
    if (!wheels) {
      return;
    }
    // The wheel folder served on loopback, where a build with host networking reaches it.
    files = createServer((req, res) => {
      const name = basename(decodeURIComponent(req.url ?? '/'));
      const path = join(wheels, name);
      if (name && existsSync(path) && statSync(path).isFile()) {
        res.writeHead(200, { 'content-length': statSync(path).size });
        createReadStream(path).pipe(res);
      } else {
        const links = readdirSync(wheels).map(file => `<a href="${encodeURIComponent(file)}">${file}</a>`);
        res.writeHead(200, { 'content-type': 'text/html' }).end(links.join('\n'));
      }
    });
    await new Promise<void>(resolve => files!.listen(0, '127.0.0.1', resolve));
    const { port } = files.address() as AddressInfo;
    writeFileSync(join(root, 'requirements.txt'), `--find-links http://127.0.0.1:${port}/\ntorch==2.13.0+cpu\n`);
    server = await startServer();
  });

  after(async () => {
    clients.forEach(client => client.close());
    await server?.stop();
    files?.close();
    await eventually(() => containersOf('kernel', root).length === 0, 'kernel containers to be removed');
    removeImagesOf(root);
    rmSync(root, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
  });

  it(
    'runs a DataLoader with two workers over batches of 200 MB',
    { skip: !wheels && "needs PyTorch's CPU wheel in pip's find-links folder" },
    async () => {
      const { status, body } = await server!.request<{ kernel: { id: string } }>('POST', '/api/sessions', {
        path: 'notebooks/train.ipynb',
        name: 'train.ipynb',
        type: 'notebook',
        kernel: { name: 'ariel-cpu' }
      });
      assert.equal(status, 201, JSON.stringify(body));
      const client = await server!.connect(body.kernel.id);
      clients.push(client);
      await client.ready(1_200_000);
      const loaded = await client.execute(DATALOADER, 600_000);
      assert.equal(loaded.status, 'ok', `${loaded.stdout}\n${loaded.stderr}\n${loaded.error ?? ''}`);
      assert.match(loaded.stdout, /LOADED 6\.0 2/);
    }
  );
});
