import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { AppDeps } from '../app/index.js';
import { BuildService } from '../docker/build.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { createApp, SECRET_HEADER, type App } from './app.js';

// The drift routes' edges, in-process on an engine with no kernels and no images: what a
// request gets for bad input and for names that are not there. The real engine's answers are
// in drift/drift.cli.test.ts.

function emptyEngine(): Docker {
  const notFound = () => Object.assign(new Error('no such image'), { statusCode: 404 });
  return {
    listContainers: async () => [],
    getImage: () => ({
      inspect: async () => {
        throw notFound();
      }
    })
  } as unknown as Docker;
}

describe('drift routes', () => {
  const root = tempProject({ 'requirements.txt': 'six\n' });
  const docker = emptyEngine();
  const deps: AppDeps = { docker, builds: new BuildService(docker), env: {} };
  let app: App;
  let base: string;

  before(async () => {
    app = createApp({ root, runtimeDir: root, secret: 's', app: deps, version: 'test' });
    app.server.listen(0, '127.0.0.1');
    await once(app.server, 'listening');
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await app.close();
    removeTempProjects();
  });

  const table: [string, string, unknown, number, string | undefined][] = [
    ['GET', '/kernels/drift', undefined, 200, undefined],
    ['GET', '/kernels/drift?path=..', undefined, 400, 'usage'],
    ['POST', '/kernels/drift/add', { path: '' }, 400, 'usage'],
    ['POST', '/kernels/drift/add', { path: '', container: 'abc' }, 404, 'not-found'],
    ['GET', '/images/not-an-image/record', undefined, 404, 'not-found'],
    ['GET', `/images/${encodeURIComponent('ariel/x:notebook-cpu-000000000000')}/record`, undefined, 404, 'not-found']
  ];
  for (const [method, path, body, status, code] of table) {
    it(`${method} ${path}${body ? ` ${JSON.stringify(body)}` : ''} answers ${status}${code ? ` ${code}` : ''}`, async () => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { [SECRET_HEADER]: 's', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body)
      });
      const answer = (await response.json()) as { code?: string; kernels?: unknown[] };
      assert.equal(response.status, status, JSON.stringify(answer));
      if (code) {
        assert.equal(answer.code, code, JSON.stringify(answer));
      } else {
        assert.deepEqual(answer, { kernels: [] });
      }
    });
  }
});
