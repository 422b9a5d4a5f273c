import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, symlinkSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Companion } from '../testing/companion.js';
import { removeTempProjects, tempProject, writeFiles } from '../testing/tempProject.js';

// Hostile ids and paths against the companion server as Jupyter starts it (the bundle), on a
// real Docker engine: no answer is a 5xx, and the companion answers after each.

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { code?: string; message?: string };
}

/** A request with `path` sent exactly as given (fetch would resolve `..` and `.` segments first). */
function raw(companion: Companion, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const request = httpRequest(
      {
        socketPath: companion.socketPath,
        method,
        path,
        headers: {
          'X-Ariel-Secret': companion.secret,
          ...(text === undefined ? {} : { 'Content-Type': 'application/json' })
        }
      },
      response => {
        let data = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (data += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: (data ? JSON.parse(data) : {}) as Answer['body']
          })
        );
      }
    );
    request.on('error', reject);
    request.end(text);
  });
}

/** The status a WebSocket upgrade of `path` (sent exactly as given) is answered with; 101 if accepted. */
function rawUpgrade(companion: Companion, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      socketPath: companion.socketPath,
      path,
      headers: {
        'X-Ariel-Secret': companion.secret,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ=='
      }
    });
    request.on('upgrade', (_response, socket) => {
      socket.destroy();
      resolve(101);
    });
    request.on('response', response => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the companion server against hostile ids and paths', () => {
  const root = tempProject({});
  const companion = new Companion(root);
  /** Where a followed redirect or a blind request would land: it counts what reaches it. */
  let bystander: Server;
  let port = 0;
  const reached: string[] = [];
  const base = process.env.ARIEL_BASE_IMAGE_CPU ?? 'python:3.11-slim';
  const started: string[] = [];

  before(async () => {
    bystander = createServer((request, response) => {
      reached.push(`${request.method} ${request.url}`);
      response.end('{}');
    });
    bystander.listen(0, '127.0.0.1');
    await once(bystander, 'listening');
    port = (bystander.address() as AddressInfo).port;
    await companion.start();
  });
  after(async () => {
    spawnSync('docker', ['rm', '-f', ...started], { stdio: 'ignore' });
    bystander.close();
    assert.equal(await companion.stop(), 0, companion.stderr);
    removeTempProjects();
  });

  /** The companion still answers, and has not exited. */
  const stillServing = async (after: string) => {
    assert.equal(companion.child?.exitCode, null, `the companion exited after ${after}:\n${companion.stderr}`);
    const { status } = await raw(companion, 'GET', '/version');
    assert.equal(status, 200, `the companion no longer answers after ${after}`);
  };

  // Each as it appears in the request path (already encoded where it says %).
  const hostileIds = () => [
    '..',
    '.',
    '%2E%2E',
    '..%2F..%2Fversion',
    '%2F..%2Fx',
    'a%2F..%2Fb',
    'a%2Fb',
    'a//b',
    '',
    'x'.repeat(10 * 1024),
    '%00',
    'a%00b',
    '%',
    '%E0%A4%A',
    `K/../../127.0.0.1:${port}/x`,
    `K%2F..%2F..%2F127.0.0.1:${port}%2Fx`,
    'ariel%2F..%2F..%2Fx:notebook-cpu-0123456789ab',
    '..%2F..%2Fx:notebook-cpu-0123456789ab',
    'Ariel%2FX:notebook-cpu-0123456789ab',
    '?x=1',
    '%3Fx%3D1'
  ];

  const routes: [method: string, path: (id: string) => string][] = [
    ['GET', id => `/builds/${id}`],
    ['DELETE', id => `/builds/${id}`],
    ['DELETE', id => `/images/${id}`],
    ['DELETE', id => `/containers/${id}`],
    ['GET', id => `/cloud/submissions/${id}`],
    ['DELETE', id => `/cloud/submissions/${id}`],
    ['POST', id => `/cloud/groups/${id}/stop`],
    ['POST', id => `/cloud/groups/${id}/resubmit`],
    ['POST', id => `/cloud/jobs/${id}/stop`],
    ['GET', id => `/cloud/jobs/${id}/log`],
    ['GET', id => `/kernels/${id}`],
    ['DELETE', id => `/kernels/${id}`],
    ['POST', id => `/kernels/${id}/signal`]
  ];

  it('answers every route that takes an id with a 4xx for a hostile one, and keeps serving', async () => {
    for (const [method, path] of routes) {
      for (const id of hostileIds()) {
        const target = path(id);
        const { status, body } = await raw(
          companion,
          method,
          target,
          method === 'POST' ? { signal: 'SIGINT' } : undefined
        );
        const what = `${method} ${target.slice(0, 100)}`;
        assert.ok(status >= 400 && status < 500, `${what} answered ${status}: ${JSON.stringify(body)}`);
        assert.ok(body.code && body.message, `${what} answered without a JSON error`);
        await stillServing(what);
      }
    }
    assert.deepEqual(reached, [], 'the companion made a request to another address');
  });

  it('refuses WebSocket upgrades with a hostile id with a 4xx, and keeps serving', async () => {
    for (const path of [(id: string) => `/builds/${id}/events`, (id: string) => `/cloud/submissions/${id}/events`]) {
      for (const id of hostileIds()) {
        const target = path(id);
        const status = await rawUpgrade(companion, target);
        assert.ok(status >= 400 && status < 500, `upgrade of ${target.slice(0, 100)} answered ${status}`);
        await stillServing(`the upgrade of ${target.slice(0, 100)}`);
      }
    }
    assert.deepEqual(reached, []);
  });

  it('answers a malformed container, image and build id with 400 and what was expected', async () => {
    for (const [target, expected] of [
      ['/containers/a%2F..%2Fb', /container id "a\/..\/b" is not a container id or name/],
      ['/containers/..', /container id "\.\." is not a container id or name/],
      ['/images/..%2F..%2Fx:notebook-cpu-0123456789ab', /image reference .* is not an image reference/],
      ['/builds/a%00b', /"a\\u0000b" contains a control character/]
    ] as const) {
      const method = target.startsWith('/builds') ? 'GET' : 'DELETE';
      const { status, body } = await raw(companion, method, target);
      assert.equal(status, 400, `${target}: ${JSON.stringify(body)}`);
      assert.equal(body.code, 'usage');
      assert.match(body.message ?? '', expected);
    }
  });

  it('answers hostile folder paths in queries and bodies with a 4xx, and keeps serving', async () => {
    const paths = ['..', '../..', '/etc', '/', 'a\0b', 'x'.repeat(10 * 1024), `../../127.0.0.1:${port}/x`, '%2F..'];
    for (const path of paths) {
      const query = encodeURIComponent(path);
      const requests: [string, string, unknown][] = [
        ['GET', `/project?path=${query}`, undefined],
        ['GET', `/dockerfile?path=${query}`, undefined],
        ['GET', `/images?path=${query}`, undefined],
        ['POST', '/builds', { path }],
        ['POST', '/images/prune', { path }],
        ['POST', '/cloud/preview', { path, target: 'train.py' }],
        ['POST', '/cloud/preview', { path: '', target: path }],
        ['POST', '/cloud/submissions', { path, target: 'train.py', projectId: 'p', region: 'r', machineType: 'm' }],
        ['POST', '/kernels', { path, connectionFile: '/nonexistent/kernel-x.json', env: {} }]
      ];
      for (const [method, target, body] of requests) {
        const answer = await raw(companion, method, target, body);
        const what = `${method} ${target.slice(0, 60)} ${JSON.stringify(body)?.slice(0, 80)}`;
        assert.ok(answer.status < 500, `${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        await stillServing(what);
      }
    }
    assert.deepEqual(reached, []);
  });

  it('refuses DELETE /containers/<an Ariel container>%2F..%2F<another> and both keep running', async () => {
    // The reported crash: Docker cleaned the path to the second container and answered 301, the
    // client followed it to a host named "containers", and the companion exited.
    const run = () => {
      const id = docker('run', '-d', '--label', 'org.ariel.role=shell', base, 'sleep', '600');
      started.push(id);
      return id;
    };
    const [first, second] = [run(), run()];
    for (const [target, expected] of [
      [`/containers/${first}%2F..%2F${second}`, 400],
      // Not resolved to /containers/<second>: no route has this path.
      [`/containers/${first}/../${second}`, 404]
    ] as const) {
      const { status, body } = await raw(companion, 'DELETE', target);
      assert.equal(status, expected, `${target}: ${JSON.stringify(body)}`);
      await stillServing(`DELETE ${target}`);
    }
    for (const id of [first, second]) {
      assert.equal(docker('inspect', '--format', '{{.State.Running}}', id), 'true');
    }
  });

  it('answers a method a route does not allow with 405 and Allow', async () => {
    for (const [method, target, allow] of [
      ['PUT', '/version', 'GET'],
      ['DELETE', '/builds', 'GET, POST'],
      ['GET', '/images/prune', 'POST, DELETE'],
      ['PATCH', '/kernels/0b7e3e0a-3c41-4a4e-9d6f-2d1f3a1b2c3d', 'GET, DELETE']
    ] as const) {
      const { status, headers, body } = await raw(companion, method, target);
      assert.equal(status, 405, `${method} ${target}: ${JSON.stringify(body)}`);
      assert.equal(headers.allow, allow);
      assert.match(body.message ?? '', new RegExp(`${method} is not allowed on`));
    }
  });

  it('answers a kernel start with a missing connection file or base image with 400', async () => {
    const missing = await raw(companion, 'POST', '/kernels', {
      path: '',
      connectionFile: join(companion.runtimeDir, 'kernel-missing.json'),
      env: {}
    });
    assert.equal(missing.status, 400, JSON.stringify(missing.body));
    assert.equal(missing.body.code, 'usage');
    assert.match(missing.body.message ?? '', /kernel-missing\.json" does not exist/);

    // No registry answers on port 1: the base image cannot be pulled.
    writeFiles(join(root, 'nobase'), { '.ariel.json': '{ "base_image": "localhost:1/ariel-no-such-base:1" }\n' });
    writeFiles(companion.runtimeDir, { 'kernel-nobase.json': '{}\n' });
    const noBase = await raw(companion, 'POST', '/kernels', {
      path: 'nobase',
      connectionFile: join(companion.runtimeDir, 'kernel-nobase.json'),
      env: {}
    });
    assert.equal(noBase.status, 400, JSON.stringify(noBase.body));
    assert.equal(noBase.body.code, 'base-image-unavailable');
  });

  it('refuses project files that link out of the project, naming the link', async () => {
    const outside = tempProject({ 'secret.txt': 'TOPSECRETLINE==1.0\n', 'train.py': 'print("outside")\n' });
    const cases: [folder: string, files: string[], link: string][] = [
      ['req', ['requirements.txt'], 'requirements.txt'],
      ['cfg', ['.ariel.json'], '.ariel.json'],
      ['inc', ['inc.txt'], 'inc.txt']
    ];
    for (const [folder, links, link] of cases) {
      mkdirSync(join(root, folder));
      writeFiles(join(root, folder), folder === 'inc' ? { 'requirements.txt': '-r inc.txt\n' } : {});
      for (const name of links) {
        symlinkSync(join(outside, 'secret.txt'), join(root, folder, name));
      }
      const { body } = await raw(companion, 'GET', `/project?path=${folder}`);
      const text = JSON.stringify(body);
      assert.doesNotMatch(text, /TOPSECRETLINE/);
      assert.match(
        text,
        new RegExp(`${folder}/${link.replace('.', '\\.')} is a symbolic link that leads out of the project`)
      );
    }

    // A target: refused alike whether the file it links to exists or not, so the answer tells nothing.
    writeFiles(join(root, 'target'), { 'inside.py': '' });
    symlinkSync(join(outside, 'train.py'), join(root, 'target', 'exists.py'));
    symlinkSync(join(outside, 'missing.py'), join(root, 'target', 'missing.py'));
    const preview = async (target: string) => {
      const { status, body } = await raw(companion, 'POST', '/cloud/preview', { path: 'target', target });
      assert.equal(status, 200);
      return body as { command?: string[]; targetError?: { code: string; message: string } };
    };
    assert.deepEqual((await preview('inside.py')).targetError, undefined);
    const [exists, missing] = [await preview('exists.py'), await preview('missing.py')];
    assert.equal(exists.command, undefined);
    assert.equal(exists.targetError?.code, 'target-invalid');
    assert.equal(
      exists.targetError?.message.replace('exists.py', 'X'),
      missing.targetError?.message.replace('missing.py', 'X')
    );
    assert.match(exists.targetError?.message ?? '', /exists\.py is a symbolic link that leads out of the project/);
  });

  it('answers DELETE /kernels/<unknown> with 404', async () => {
    const { status, body } = await raw(companion, 'DELETE', '/kernels/0b7e3e0a-3c41-4a4e-9d6f-2d1f3a1b2c3d');
    assert.equal(status, 404, JSON.stringify(body));
    assert.equal(body.code, 'not-found');
  });
});
