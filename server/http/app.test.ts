import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { AppDeps } from '../app/index.js';
import { FIXTURE_REGION, groupFixture, jobsFixture } from '../cloud/testing/fixtures.js';
import type { JobApi, RemoteJob } from '../cloud/vertex.js';
import { BuildService } from '../docker/build.js';
import { ImageRef } from '../docker/imageRef.js';
import { LABELS } from '../docker/labels.js';
import { History } from '../history/store.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { createApp, SECRET_HEADER, type App } from './app.js';
import type { RouteKey } from './contract.js';

// The companion's app in-process, as json-server tests its createApp: fake application deps (an
// engine that has nothing and answers no ping, a JobService driven by the test), every route of
// the contract with what it answers. No Docker, no spawned bundle. What needs the engine is in
// app.engine.test.ts.

const SECRET = 'in-process';
const IMAGE = ImageRef.of('ariel/demo', 'notebook', 'cpu', 'a'.repeat(12)).name;

const engineError = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });

/** An engine without containers or images; an Ariel image it is asked to remove is in use. */
function fakeEngine(): Docker {
  return {
    modem: { socketPath: '/fake/docker.sock' },
    listContainers: async () => [],
    listImages: async () => [],
    ping: async () => {
      throw Object.assign(new Error('connect ENOENT /fake/docker.sock'), { code: 'ENOENT' });
    },
    getContainer: () => ({
      inspect: async () => {
        throw engineError(404, 'no such container');
      }
    }),
    getImage: (name: string) => ({
      inspect: async () => {
        if (decodeURIComponent(name) !== IMAGE) {
          throw engineError(404, 'no such image');
        }
        return { Id: 'sha256:1', Config: { Labels: { [LABELS.project]: '/demo' } } };
      },
      remove: async () => {
        throw engineError(409, 'image is being used by running container 1');
      }
    })
  } as unknown as Docker;
}

/** A JobService whose job creations wait until the test opens the gate. */
function fakeJobService() {
  let open: () => void = () => undefined;
  const gate = new Promise<void>(resolve => (open = resolve));
  let creating: () => void = () => undefined;
  const created = { count: 0, first: new Promise<void>(resolve => (creating = resolve)) };
  const api: JobApi = {
    async create(parent) {
      created.count++;
      creating();
      await gate;
      return { name: `${parent}/customJobs/${created.count}`, state: 'JOB_STATE_QUEUED' };
    },
    async get(name): Promise<RemoteJob> {
      return { name, state: 'JOB_STATE_QUEUED' };
    },
    listByLabel: async () => [],
    cancel: async () => undefined,
    close: async () => undefined
  };
  return { api, open: () => open(), created };
}

interface Case {
  route: RouteKey | 'unknown route' | 'wrong method' | 'no secret';
  method: string;
  url: string;
  body?: unknown;
  status: number;
  /** What the answer's body holds (a part of it), or the error code. */
  expect: Record<string, unknown> | string;
}

describe("the companion's app in-process", () => {
  const root = tempProject({ 'requirements.txt': 'six\n', 'train.py': 'print(1)\n' });
  const data = mkdtempSync(join(tmpdir(), 'ariel-app-data-'));
  const runtimeDir = mkdtempSync(join(tmpdir(), 'ariel-app-runtime-'));
  const jobs = fakeJobService();
  let app: App;
  let base = '';

  before(async () => {
    mkdirSync(join(root, 'sub'));
    const history = await History.open(data);
    const recorded = history.recordGroup(groupFixture('failed-group'), jobsFixture('failed-group', 2));
    history.updateMany(recorded.map(job => ({ id: job.id, state: 'JOB_STATE_FAILED', remoteName: `r/${job.id}` })));
    history.close();
    const docker = fakeEngine();
    const deps: AppDeps = { docker, builds: new BuildService(docker), env: { ARIEL_DATA_DIR: data } };
    app = createApp({
      root,
      runtimeDir,
      secret: SECRET,
      app: deps,
      version: 'test',
      connectVertex: async region => {
        assert.equal(region, FIXTURE_REGION);
        return jobs.api;
      }
    });
    app.server.listen(0, '127.0.0.1');
    await once(app.server, 'listening');
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    jobs.open();
    await app?.close();
    removeTempProjects();
    rmSync(data, { recursive: true, force: true });
    rmSync(runtimeDir, { recursive: true, force: true });
  });

  async function call(method: string, url: string, body?: unknown, secret = SECRET) {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: { [SECRET_HEADER]: secret, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>
    };
  }

  const image = encodeURIComponent(IMAGE);
  const id = '00000000-0000-4000-8000-000000000000';
  const cases: Case[] = [
    { route: 'GET /version', method: 'GET', url: '/version', status: 200, expect: { version: 'test' } },
    { route: 'GET /project', method: 'GET', url: '/project?path=sub', status: 200, expect: { root: 'sub' } },
    { route: 'GET /project', method: 'GET', url: '/project?path=..', status: 400, expect: 'usage' },
    { route: 'GET /project', method: 'GET', url: '/project?path=nowhere', status: 404, expect: 'project-not-found' },
    {
      route: 'GET /dockerfile',
      method: 'GET',
      url: '/dockerfile?path=&mode=notebook&accelerator=cpu',
      status: 200,
      expect: { mode: 'notebook', accelerator: 'cpu' }
    },
    { route: 'GET /dockerfile', method: 'GET', url: '/dockerfile?mode=desktop', status: 400, expect: 'usage' },
    { route: 'GET /builds', method: 'GET', url: '/builds', status: 200, expect: { builds: [] } },
    { route: 'POST /builds', method: 'POST', url: '/builds', body: { run: 'yes' }, status: 400, expect: 'usage' },
    {
      route: 'POST /builds',
      method: 'POST',
      url: '/builds',
      body: { path: '', mode: 'notebook', accelerator: 'cpu' },
      status: 503,
      expect: 'engine-unreachable'
    },
    { route: 'GET /builds/:id', method: 'GET', url: `/builds/${id}`, status: 404, expect: 'not-found' },
    { route: 'DELETE /builds/:id', method: 'DELETE', url: `/builds/${id}`, status: 404, expect: 'not-found' },
    { route: 'GET /images', method: 'GET', url: '/images', status: 200, expect: { images: [] } },
    {
      route: 'POST /images/prune',
      method: 'POST',
      url: '/images/prune',
      body: {},
      status: 200,
      expect: { removed: [], failed: [] }
    },
    {
      route: 'DELETE /images/:reference',
      method: 'DELETE',
      url: `/images/${image}`,
      status: 409,
      expect: 'image-in-use'
    },
    {
      route: 'DELETE /images/:reference',
      method: 'DELETE',
      url: `/images/${encodeURIComponent('ariel/other:run-cpu-bbbbbbbbbbbb')}`,
      status: 404,
      expect: 'not-found'
    },
    {
      route: 'GET /images/:reference/record',
      method: 'GET',
      url: '/images/not-an-image/record',
      status: 404,
      expect: 'not-found'
    },
    { route: 'GET /kernels/drift', method: 'GET', url: '/kernels/drift', status: 200, expect: { kernels: [] } },
    {
      route: 'POST /kernels/drift/add',
      method: 'POST',
      url: '/kernels/drift/add',
      body: {},
      status: 400,
      expect: 'usage'
    },
    { route: 'GET /containers', method: 'GET', url: '/containers', status: 200, expect: { containers: [] } },
    { route: 'DELETE /containers/:id', method: 'DELETE', url: '/containers/abc123', status: 404, expect: 'not-found' },
    {
      route: 'POST /kernels',
      method: 'POST',
      url: '/kernels',
      body: { accelerator: 'tpu', path: '' },
      status: 400,
      expect: 'usage'
    },
    {
      route: 'POST /kernels',
      method: 'POST',
      url: '/kernels',
      body: { accelerator: 'cpu', path: '', connectionFile: '/etc/passwd', env: {} },
      status: 400,
      expect: 'usage'
    },
    { route: 'GET /kernels/:id', method: 'GET', url: '/kernels/abc123', status: 404, expect: 'not-found' },
    {
      route: 'POST /kernels/:id/signal',
      method: 'POST',
      url: '/kernels/abc123/signal',
      body: { signal: 'SIGINT' },
      status: 404,
      expect: 'not-found'
    },
    { route: 'DELETE /kernels/:id', method: 'DELETE', url: '/kernels/abc123', status: 404, expect: 'not-found' },
    { route: 'GET /cloud/catalog', method: 'GET', url: '/cloud/catalog', status: 200, expect: {} },
    {
      route: 'POST /cloud/preview',
      method: 'POST',
      url: '/cloud/preview',
      body: { path: '', target: 'train.py', args: ['--x', '1'], experimentConfig: '{"lr": [1, 2]}' },
      status: 200,
      expect: { count: 2, command: ['python', 'train.py'] }
    },
    {
      route: 'POST /cloud/preview',
      method: 'POST',
      url: '/cloud/preview',
      body: { args: 3 },
      status: 400,
      expect: 'usage'
    },
    {
      route: 'POST /cloud/check',
      method: 'POST',
      url: '/cloud/check',
      body: { path: '', target: 'train.py' },
      status: 400,
      expect: 'usage'
    },
    { route: 'GET /cloud/jobs/:id/log', method: 'GET', url: '/cloud/jobs/abc/log', status: 400, expect: 'usage' },
    {
      route: 'GET /cloud/jobs/:id/log',
      method: 'GET',
      url: '/cloud/jobs/999/log',
      status: 404,
      expect: 'history-not-found'
    },
    {
      route: 'GET /cloud/submissions',
      method: 'GET',
      url: '/cloud/submissions',
      status: 200,
      expect: { submissions: [] }
    },
    {
      route: 'POST /cloud/submissions',
      method: 'POST',
      url: '/cloud/submissions',
      body: { path: '', target: 'train.py' },
      status: 400,
      expect: 'usage'
    },
    {
      route: 'GET /cloud/submissions/:id',
      method: 'GET',
      url: `/cloud/submissions/${id}`,
      status: 404,
      expect: 'not-found'
    },
    {
      route: 'DELETE /cloud/submissions/:id',
      method: 'DELETE',
      url: `/cloud/submissions/${id}`,
      status: 404,
      expect: 'not-found'
    },
    { route: 'GET /cloud/jobs', method: 'GET', url: '/cloud/jobs?group=none', status: 200, expect: { groups: [] } },
    {
      route: 'POST /cloud/groups/:name/stop',
      method: 'POST',
      url: '/cloud/groups/none/stop',
      status: 404,
      expect: 'history-not-found'
    },
    {
      route: 'POST /cloud/groups/:name/stop',
      method: 'POST',
      url: '/cloud/groups/failed-group/stop',
      status: 200,
      expect: { stopped: [], submitting: [] }
    },
    {
      route: 'POST /cloud/jobs/:id/stop',
      method: 'POST',
      url: '/cloud/jobs/999/stop',
      status: 404,
      expect: 'history-not-found'
    },
    {
      route: 'POST /cloud/groups/:name/resubmit',
      method: 'POST',
      url: '/cloud/groups/none/resubmit',
      status: 404,
      expect: 'history-not-found'
    },
    { route: 'unknown route', method: 'GET', url: '/nothing/here', status: 404, expect: 'not-found' },
    { route: 'wrong method', method: 'PUT', url: '/builds', status: 405, expect: 'usage' },
    { route: 'no secret', method: 'GET', url: '/version', status: 403, expect: 'forbidden' }
  ];

  for (const { route, method, url, body, status, expect } of cases) {
    const what = typeof expect === 'string' ? expect : JSON.stringify(expect);
    it(`${route}: ${method} ${url}${body ? ` ${JSON.stringify(body)}` : ''} answers ${status} ${what}`, async () => {
      const answer = await call(method, url, body, route === 'no secret' ? 'wrong' : SECRET);
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      if (typeof expect === 'string') {
        assert.equal(answer.body.code, expect);
        assert.ok(answer.body.message, 'an error says what was wrong');
      } else {
        for (const [key, value] of Object.entries(expect)) {
          assert.deepEqual(answer.body[key], value, key);
        }
      }
    });
  }

  it('names the allowed methods of a path on a 405', async () => {
    const answer = await call('PUT', '/builds');
    assert.equal(answer.headers.get('allow'), 'GET, POST');
  });

  it('covers every route of the contract', () => {
    const covered = new Set(cases.map(c => c.route));
    // Every key of the contract, once: tsc fails this list when the contract gains or loses a route.
    const all: Record<RouteKey, true> = {
      'GET /version': true,
      'GET /project': true,
      'GET /dockerfile': true,
      'GET /builds': true,
      'POST /builds': true,
      'GET /builds/:id': true,
      'DELETE /builds/:id': true,
      'GET /images': true,
      'POST /images/prune': true,
      'DELETE /images/:reference': true,
      'GET /images/:reference/record': true,
      'GET /kernels/drift': true,
      'POST /kernels/drift/add': true,
      'GET /containers': true,
      'DELETE /containers/:id': true,
      'POST /kernels': true,
      'GET /kernels/:id': true,
      'POST /kernels/:id/signal': true,
      'DELETE /kernels/:id': true,
      'GET /cloud/catalog': true,
      'POST /cloud/preview': true,
      'POST /cloud/check': true,
      'GET /cloud/submissions': true,
      'POST /cloud/submissions': true,
      'GET /cloud/submissions/:id': true,
      'DELETE /cloud/submissions/:id': true,
      'GET /cloud/jobs': true,
      'POST /cloud/groups/:name/stop': true,
      'POST /cloud/jobs/:id/stop': true,
      'GET /cloud/jobs/:id/log': true,
      'POST /cloud/groups/:name/resubmit': true
    };
    assert.deepEqual(
      Object.keys(all).filter(key => !covered.has(key as RouteKey)),
      []
    );
  });

  it('refuses a resubmission of a group while it is being resubmitted (409), then resubmits it', async () => {
    const first = call('POST', '/cloud/groups/failed-group/resubmit');
    await jobs.created.first;
    const second = await call('POST', '/cloud/groups/failed-group/resubmit');
    assert.equal(second.status, 409);
    assert.equal(second.body.code, 'conflict');
    jobs.open();
    const done = await first;
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal((done.body.created as unknown[]).length, 2);
    const listed = await call('GET', '/cloud/jobs?group=failed-group');
    const [group] = listed.body.groups as { jobs: { attempt: number; state: string }[] }[];
    assert.deepEqual(
      group.jobs.map(job => [job.attempt, job.state]),
      [
        [2, 'JOB_STATE_QUEUED'],
        [2, 'JOB_STATE_QUEUED']
      ]
    );
  });
});
