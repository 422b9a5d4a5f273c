import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { removeImagesOf } from '../testing/docker.js';
import { eventually } from '../testing/eventually.js';
import { JupyterServer } from '../testing/jupyter.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Live companion server processes started for Jupyter's root folder `root` (from /proc; Linux). */
function companions(root: string): number[] {
  return readdirSync('/proc')
    .filter(entry => /^\d+$/.test(entry))
    .filter(pid => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.some(arg => arg.endsWith('main.bundle.mjs')) && argv[argv.indexOf('--root') + 1] === root;
      } catch {
        return false; // ended meanwhile
      }
    })
    .map(Number);
}

function tempRoot(): string {
  // The path the server extension passes on: Jupyter resolves its root folder.
  return realpathSync(mkdtempSync(join(tmpdir(), 'ariel-extension-')));
}

/** A browser session: Jupyter's login and XSRF cookies, as a page opened with the token leaves them. */
async function browserSession(server: JupyterServer): Promise<{ cookie: string; xsrf: string }> {
  const page = await fetch(`${server.url}/lab?token=${server.token}`);
  assert.equal(page.status, 200);
  const cookies = page.headers.getSetCookie().map(header => header.split(';')[0]);
  const xsrf = cookies.find(cookie => cookie.startsWith('_xsrf='))?.slice('_xsrf='.length);
  assert.ok(xsrf, `no _xsrf cookie in ${cookies.join(', ')}`);
  return { cookie: cookies.join('; '), xsrf };
}

/** Opens a WebSocket; resolves with its messages and close code, or with the HTTP status that refused it. */
function openEvents(
  url: string,
  headers: Record<string, string>
): Promise<{ status?: number; messages: string[]; code?: number }> {
  return new Promise((resolve, reject) => {
    const messages: string[] = [];
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_request, response) => resolve({ status: response.statusCode, messages }));
    ws.on('message', data => messages.push(data.toString()));
    ws.on('close', code => resolve({ messages, code }));
    ws.on('error', reject);
  });
}

/** Runs `command` in a JupyterLab terminal (terminado's WebSocket); resolves with its output once it has printed `until`. */
function terminalOutput(server: JupyterServer, name: string, command: string, until: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/terminals/websocket/${name}?token=${server.token}`);
    let output = '';
    ws.on('open', () => ws.send(JSON.stringify(['stdin', `${command}\r`])));
    ws.on('message', data => {
      const [kind, text] = JSON.parse(data.toString()) as [string, string];
      if (kind === 'stdout') {
        output += text;
        if (output.includes(until)) {
          ws.close();
          resolve(output);
        }
      }
    });
    ws.on('error', reject);
  });
}

describe('the server extension through a real Jupyter Server', () => {
  const root = tempRoot();
  const server = new JupyterServer(root);

  before(async () => {
    writeFileSync(join(root, 'requirements.txt'), '');
    await server.start();
  });

  after(async () => {
    await server.stop();
    removeImagesOf(root);
    rmSync(root, { recursive: true, force: true });
  });

  it('forwards {base_url}ariel/ to the companion server only with Jupyter’s token', async () => {
    const anonymous = await fetch(`${server.url}/ariel/builds`);
    assert.equal(anonymous.status, 403);
    const builds = await server.request<{ builds: unknown[] }>('GET', '/ariel/builds');
    assert.equal(builds.status, 200);
    assert.ok(Array.isArray(builds.body.builds));
    const unknown = await server.request<{ code: string }>('GET', '/ariel/no-such-route');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'not-found');
    // An image name is one encoded path segment: it reaches the companion as such, not as a route.
    const image = await server.request<{ message: string }>('DELETE', '/ariel/images/ariel%2Fno-such%3Ashell-cpu-0');
    assert.equal(image.status, 404);
    assert.match(image.body.message, /is not an image Ariel built/);
  });

  it('forwards the drift report, its add and image records, which start nothing', async () => {
    const drift = await server.request<{ kernels: unknown[] }>('GET', '/ariel/kernels/drift?path=');
    assert.equal(drift.status, 200, JSON.stringify(drift.body));
    assert.ok(Array.isArray(drift.body.kernels));
    const add = await server.request<{ message: string }>('POST', '/ariel/kernels/drift/add', {
      path: '',
      container: 'no-such-kernel'
    });
    assert.equal(add.status, 404);
    assert.match(add.body.message, /^No running kernel container no-such-kernel/);
    const record = await server.request<{ message: string }>(
      'GET',
      '/ariel/images/ariel%2Fno-such%3Ashell-cpu-0/record'
    );
    assert.equal(record.status, 404);
    assert.match(record.body.message, /is not an image Ariel built/);
    // The cloud form's submission check reaches the companion, which refuses a request without a target.
    const check = await server.request<{ code: string; message: string }>('POST', '/ariel/cloud/check', { path: '' });
    assert.equal(check.status, 400, JSON.stringify(check.body));
    assert.equal(check.body.code, 'usage');
    assert.match(check.body.message, /"target" is missing/);
  });

  it('forwards only the routes the frontend uses: never the kernel routes, 405 for another method', async () => {
    // What the companion answered 201 to before: a container with the Docker socket mounted.
    const kernel = await server.request<{ code: string; message: string }>('POST', '/ariel/kernels', {
      path: '',
      accelerator: 'cpu',
      connectionFile: '/var/run/docker.sock',
      env: {}
    });
    assert.equal(kernel.status, 404, JSON.stringify(kernel.body));
    assert.equal(kernel.body.code, 'not-found');
    for (const [method, path, status] of [
      ['GET', '/ariel/kernels/x', 404],
      ['POST', '/ariel/kernels/x/signal', 404],
      ['DELETE', '/ariel/kernels/x', 404],
      ['GET', '/ariel/version', 404],
      // Routes the frontend does not call, on paths it calls with another method.
      ['GET', '/ariel/builds/x', 405],
      ['GET', '/ariel/cloud/submissions', 405]
    ] as const) {
      assert.equal((await server.request(method, path, method === 'GET' ? undefined : {})).status, status, path);
    }
    const put = await fetch(`${server.url}/ariel/builds`, {
      method: 'PUT',
      headers: { Authorization: `token ${server.token}` }
    });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('Allow'), 'GET, POST');
  });

  it('keeps the companion’s secret out of Jupyter’s kernels and terminals; its socket’s folder is 0700', async () => {
    const [pid] = await eventually(() => companions(root).length === 1 && companions(root), 'the companion');
    const secret = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find(entry => entry.startsWith('ARIEL_COMPANION_SECRET='))
      ?.split('=')[1];
    assert.ok(secret, 'the companion was given its secret');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const socket = argv[argv.indexOf('--socket') + 1];
    assert.equal(statSync(dirname(socket)).mode & 0o777, 0o700);
    assert.ok(lstatSync(socket).isSocket());
    assert.equal(dirname(dirname(socket)), realpathSync(argv[argv.indexOf('--runtime-dir') + 1]));

    // A local kernel's environment: Jupyter Server's own, as it started the kernel.
    const session = await server.request<{ kernel: { id: string } }>('POST', '/api/sessions', {
      path: 'env.ipynb',
      name: 'env.ipynb',
      type: 'notebook',
      kernel: { name: 'python3' }
    });
    assert.equal(session.status, 201, JSON.stringify(session.body));
    const client = await server.connect(session.body.kernel.id);
    try {
      await client.ready();
      const result = await client.execute('import os, json; print(json.dumps(dict(os.environ)))');
      assert.equal(result.status, 'ok', result.error);
      const env = JSON.parse(result.stdout) as Record<string, string>;
      assert.deepEqual(
        Object.keys(env).filter(name => name.startsWith('ARIEL_COMPANION')),
        []
      );
      assert.ok(!Object.values(env).some(value => value.includes(secret)), 'the secret is in the kernel');
    } finally {
      client.close();
      await server.request('DELETE', `/api/kernels/${session.body.kernel.id}`);
    }

    // A JupyterLab terminal's environment.
    const terminal = await server.request<{ name: string }>('POST', '/api/terminals');
    assert.equal(terminal.status, 200, JSON.stringify(terminal.body));
    try {
      // The marker is computed, so the echo of the typed command does not hold it.
      const output = await terminalOutput(server, terminal.body.name, 'env; echo ARIEL-ENV-$((40+2))', 'ARIEL-ENV-42');
      assert.match(output, /PATH=/);
      assert.doesNotMatch(output, /ARIEL_COMPANION/);
      assert.ok(!output.includes(secret), 'the secret is in the terminal');
    } finally {
      await server.request('DELETE', `/api/terminals/${terminal.body.name}`);
    }
  });

  it('answers the version handshake with the server extension’s and the companion’s versions', async () => {
    const { status, body } = await server.request('GET', '/ariel/handshake');
    assert.equal(status, 200);
    assert.deepEqual(body, { python: VERSION, companion: VERSION });
  });

  it('follows Jupyter’s XSRF rules for a cookie-authenticated browser session', async () => {
    const { cookie, xsrf } = await browserSession(server);
    assert.equal((await fetch(`${server.url}/ariel/builds`, { headers: { Cookie: cookie } })).status, 200);
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/ariel/builds`, {
        method: 'POST',
        headers: { Cookie: cookie, 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify({ path: '', mode: 'no-such-mode', accelerator: 'cpu' })
      });
    assert.equal((await post({})).status, 403);
    // With the XSRF token the request reaches the companion, which rejects the mode.
    const forwarded = await post({ 'X-XSRFToken': xsrf });
    assert.equal(forwarded.status, 400);
    assert.equal(((await forwarded.json()) as { code: string }).code, 'usage');
  });

  it('relays a build’s events over a WebSocket, authenticated as Jupyter’s kernel WebSockets are', async () => {
    const started = await server.request<{ build: { id: string } }>('POST', '/ariel/builds', {
      path: '',
      mode: 'shell',
      accelerator: 'cpu'
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const url = `${server.url.replace('http', 'ws')}/ariel/builds/${started.body.build.id}/events`;

    assert.equal((await openEvents(url, {})).status, 403);
    // A browser session's cookie works from JupyterLab's own page, not from another site's.
    const { cookie } = await browserSession(server);
    assert.equal((await openEvents(url, { Cookie: cookie, Origin: 'http://elsewhere.example' })).status, 403);
    // Refused before the companion is asked: an id that does not exist gets the same answer.
    const unknown = `${server.url.replace('http', 'ws')}/ariel/builds/no-such-build/events`;
    assert.equal((await openEvents(unknown, { Cookie: cookie, Origin: 'http://elsewhere.example' })).status, 403);
    assert.equal((await openEvents(unknown, { Cookie: cookie, Origin: server.url })).status, 404);
    const { messages, code } = await openEvents(url, { Cookie: cookie, Origin: server.url });
    const last = JSON.parse(messages.at(-1)!) as { type: string; build: { state: string } };
    // The companion closes the socket once the build has ended; the close passes through.
    assert.equal(code, 1000);
    // The whole stream came through: the replay from the start, then the end. (Whether the build
    // succeeds is not the relay's business; other tests share the engine and its layers.)
    assert.ok(
      messages.some(message => message.startsWith('{"type":"step","index":1,')),
      messages.join('\n')
    );
    assert.equal(last.type, 'state');
    assert.notEqual(last.build.state, 'running', messages.join('\n'));
  });

  it('restarts the companion server when it dies', async () => {
    const [first] = await eventually(() => companions(root).length === 1 && companions(root), 'the companion');
    process.kill(first, 'SIGKILL');
    const [second] = await eventually(
      () => companions(root).filter(pid => pid !== first).length === 1 && companions(root),
      'a new companion'
    );
    assert.notEqual(second, first);
    // Requests during the restart wait for it, or get 503 while it backs off; none hangs.
    for (;;) {
      const { status, body } = await server.request<{ code?: string }>('GET', '/ariel/handshake');
      if (status === 200) {
        break;
      }
      assert.equal(status, 503);
      assert.equal(body.code, 'companion-unavailable');
      await new Promise(resolve => setTimeout(resolve, 250));
    }
  });
});

describe('the server extension without a working companion server', () => {
  const root = tempRoot();
  const server = new JupyterServer(root, { ARIEL_NODE: join(root, 'no-such-node') });
  before(() => server.start());
  after(async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers 503 companion-unavailable with what to do', async () => {
    for (const path of ['/ariel/handshake', '/ariel/builds']) {
      const { status, body } = await server.request<{ code: string; message: string; hint: string }>('GET', path);
      assert.equal(status, 503);
      assert.equal(body.code, 'companion-unavailable');
      assert.match(body.message, /Node\.js was not found/);
      // The major the native module was built for, as the build recorded it.
      assert.match(body.hint, new RegExp(`^Install Node\\.js ${process.versions.node.split('.')[0]} and .*ARIEL_NODE`));
    }
  });
});

/**
 * A Jupyter config folder (for JUPYTER_CONFIG_PATH) whose Authorizer refuses the actions listed in
 * ARIEL_TEST_DENIED on the resource ARIEL_TEST_RESOURCE and allows everything else, as a deployment's would.
 */
function denyingAuthorizer(dir: string): NodeJS.ProcessEnv {
  writeFileSync(
    join(dir, 'ariel_test_authorizer.py'),
    [
      'import os',
      'from jupyter_server.auth import Authorizer',
      '',
      'class DenyAriel(Authorizer):',
      '    def is_authorized(self, handler, user, action, resource):',
      '        denied = os.environ["ARIEL_TEST_DENIED"].split(",")',
      '        return not (resource == os.environ["ARIEL_TEST_RESOURCE"] and action in denied)',
      ''
    ].join('\n')
  );
  writeFileSync(
    join(dir, 'jupyter_server_config.py'),
    'c.ServerApp.authorizer_class = "ariel_test_authorizer.DenyAriel"\n'
  );
  return { JUPYTER_CONFIG_PATH: dir, PYTHONPATH: dir };
}

for (const denied of ['read,write', 'write']) {
  describe(`the server extension under an Authorizer that denies ${denied} on "ariel"`, () => {
    const root = tempRoot();
    const server = new JupyterServer(root, {
      ...denyingAuthorizer(root),
      ARIEL_TEST_DENIED: denied,
      ARIEL_TEST_RESOURCE: 'ariel'
    });
    before(() => server.start());
    after(async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    });

    it('refuses what the Authorizer denies with 403, for an authenticated user', async () => {
      // Authenticated: Jupyter's own API answers.
      assert.equal((await server.request('GET', '/api/status')).status, 200);
      const reads = denied.includes('read') ? 403 : 200;
      assert.equal((await server.request('GET', '/ariel/builds')).status, reads);
      assert.equal((await server.request('GET', '/ariel/handshake')).status, reads);
      // Refused before it reaches the companion, which would answer 400 for this mode.
      const build = await server.request('POST', '/ariel/builds', { path: '', mode: 'no-such-mode' });
      assert.equal(build.status, 403);
      assert.equal((await server.request('DELETE', '/ariel/images/ariel%2Fx%3Ashell-cpu-0')).status, 403);
      const events = await openEvents(
        `${server.url.replace('http', 'ws')}/ariel/builds/no-such-build/events?token=${server.token}`,
        {}
      );
      // Allowed to read, the socket reaches the companion, which knows no such build.
      assert.equal(events.status === 403, denied.includes('read'), JSON.stringify(events));
    });
  });
}

describe('the server extension under an Authorizer that denies read and write on "kernels"', () => {
  const root = tempRoot();
  const server = new JupyterServer(root, {
    ...denyingAuthorizer(root),
    ARIEL_TEST_DENIED: 'read,write',
    ARIEL_TEST_RESOURCE: 'kernels'
  });
  before(() => server.start());
  after(async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses what lists or stops kernel containers, as Jupyter’s kernels API does', async () => {
    assert.equal((await server.request('GET', '/api/kernels')).status, 403);
    assert.equal((await server.request('GET', '/ariel/builds')).status, 200);
    assert.equal((await server.request('GET', '/ariel/containers')).status, 403);
    assert.equal((await server.request('DELETE', '/ariel/containers/0123456789ab')).status, 403);
    assert.equal((await server.request('GET', '/ariel/kernels/drift')).status, 403);
  });
});

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  describe(`Jupyter Server stopped with ${signal}`, () => {
    const root = tempRoot();
    after(() => rmSync(root, { recursive: true, force: true }));

    it('leaves no companion server behind', async () => {
      const server = new JupyterServer(root);
      await server.start();
      try {
        assert.equal((await server.request('GET', '/ariel/handshake')).status, 200);
        assert.equal(companions(root).length, 1);
      } finally {
        await server.stop(signal);
      }
      await eventually(() => companions(root).length === 0, 'the companion server to exit');
    });
  });
}
