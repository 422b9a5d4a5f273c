/**
 * PyTorch's CPU wheel for test images: pip's configured find-links folder holds it (the index's
 * own torch is the CUDA build), served on loopback where a build with host networking reaches it.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';

/** The folder of pip's configured find-links that holds PyTorch's CPU wheel, if any. */
export function torchWheelFolder(): string | undefined {
  const configured = spawnSync('python3', ['-m', 'pip', 'config', 'get', 'global.find-links'], { encoding: 'utf8' });
  const folders = configured.status === 0 ? configured.stdout.trim().split(/\s+/) : [];
  return folders.find(
    folder => existsSync(folder) && readdirSync(folder).some(name => /^torch-.*\+cpu-cp311-.*\.whl$/.test(name))
  );
}

/** Serves `folder` as a find-links page on loopback; resolves to the server and its URL. */
export async function serveWheels(folder: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
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
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/` };
}

/** The requirements lines that install PyTorch's CPU wheel from `url`. */
export function torchRequirements(url: string): string {
  return `--find-links ${url}\ntorch==2.13.0+cpu\n`;
}
