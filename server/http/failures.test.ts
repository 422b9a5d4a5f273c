import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { BuildService } from '../docker/build.js';
import { createApp, type App } from './app.js';

// The companion's app in-process, on a fake engine whose answers break what Ariel expects of
// them: a failure inside a handler is a 500 with a message, and the server keeps serving.

describe('a failure inside a handler', () => {
  const folder = mkdtempSync(join(tmpdir(), 'ariel-failures-'));
  const socketPath = join(folder, 'engine.sock');
  let engine: Server;
  let app: App;
  let base = '';

  before(async () => {
    engine = createServer((request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      // A container list whose entries lack every field the listing reads.
      response.end(/\/containers\/json/.test(request.url ?? '') ? '[{}]' : '[]');
    });
    engine.listen(socketPath);
    await once(engine, 'listening');
    const docker = new Docker({ socketPath });
    app = createApp({
      root: folder,
      runtimeDir: folder,
      secret: 'secret',
      app: { docker, builds: new BuildService(docker), env: { ARIEL_KERNEL_POOL: '0' } },
      version: '0.0.0-test'
    });
    app.server.listen(0, '127.0.0.1');
    await once(app.server, 'listening');
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await app.close();
    engine.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`, { headers: { 'X-Ariel-Secret': 'secret' } });
    return { status: response.status, body: (await response.json()) as { code?: string; message?: string } };
  };

  it('answers 500 with its message, and the server keeps serving', async () => {
    for (let i = 0; i < 3; i++) {
      const { status, body } = await get('/containers');
      assert.equal(status, 500, JSON.stringify(body));
      assert.equal(body.code, 'internal');
      assert.ok(body.message, 'the failure is said');
      assert.deepEqual(await get('/version'), { status: 200, body: { version: '0.0.0-test' } });
    }
  });
});
