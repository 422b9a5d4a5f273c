import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';

/** The CPU wheel of PyTorch that test projects ask for (see the environment notes). */
export const TORCH_CPU = 'torch==2.13.0+cpu';

/** The folder of pip's configured find-links that holds PyTorch's CPU wheel, if any. */
export function torchWheelFolder(): string | undefined {
  const configured = spawnSync('python3', ['-m', 'pip', 'config', 'get', 'global.find-links'], { encoding: 'utf8' });
  const folders = configured.status === 0 ? configured.stdout.trim().split(/\s+/) : [];
  return folders.find(
    folder => existsSync(folder) && readdirSync(folder).some(name => /^torch-.*\+cpu-cp311-.*\.whl$/.test(name))
  );
}

/**
 * Serves a wheel folder on loopback, where an image build with host networking reaches it;
 * resolves to the `requirements.txt` lines that install PyTorch's CPU wheel from it.
 */
export async function serveTorchWheels(folder: string): Promise<{ requirements: string; close: () => void }> {
  const files = createServer((req, res) => {
    const name = basename(decodeURIComponent(req.url ?? '/'));
    const path = join(folder, name);
    if (name && existsSync(path) && statSync(path).isFile()) {
      res.writeHead(200, { 'content-length': statSync(path).size });
      createReadStream(path).pipe(res);
    } else {
      const links = readdirSync(folder).map(file => `<a href="${encodeURIComponent(file)}">${file}</a>`);
      res.writeHead(200, { 'content-type': 'text/html' }).end(links.join('\n'));
    }
  });
  await new Promise<void>(resolve => files.listen(0, '127.0.0.1', resolve));
  const { port } = files.address() as AddressInfo;
  return {
    requirements: `--find-links http://127.0.0.1:${port}/\n${TORCH_CPU}\n`,
    close: () => files.close()
  };
}
