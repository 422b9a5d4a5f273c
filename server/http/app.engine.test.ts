import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { Companion, COMPANION_BUNDLE } from '../testing/companion.js';
import { imageNameOf } from '../project/project.js';
import { LABELS } from '../docker/labels.js';
import { SPARE_PREFIX } from '../kernels/container.js';
import { containersOf, imagesOf, kernelContainers, removeImagesOf } from '../testing/docker.js';
import { freePort } from '../testing/jupyter.js';
import { listeningTcpPorts } from '../testing/ports.js';
import { eventually } from '../testing/eventually.js';
import { removeTempProjects, tempProject, writeFiles } from '../testing/tempProject.js';
import type { AppEvent } from '../app/index.js';
import type { Build, BuildMessage } from './builds.js';
import { buildThroughCompanion } from './client.js';

// The companion server as Jupyter's server extension starts it (the bundle, a secret, a root),
// on a real Docker engine.

const version = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

const PIP_STEP = /"pip", "install"/;

interface ErrorJson {
  code: string;
  message: string;
  hint?: string;
}

/** Every message a socket receives until it closes. */
function collect(ws: WebSocket): { messages: BuildMessage[]; closed: Promise<void> } {
  const messages: BuildMessage[] = [];
  ws.on('message', data => messages.push(JSON.parse(String(data)) as BuildMessage));
  return { messages, closed: once(ws, 'close').then(() => undefined) };
}

/** The status an upgrade is refused with. */
async function refusedUpgrade(ws: WebSocket): Promise<number> {
  ws.on('error', () => undefined);
  const [, response] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
  ws.terminate();
  return response.statusCode;
}

/**
 * An HTTP server that accepts connections and never answers: a pip download from it hangs,
 * which holds a build in its pip step for as long as a test needs.
 */
async function hangingServer(): Promise<{
  server: Server;
  port: number;
  requested: Promise<void>;
  /** Connections open now: pip's, while it waits. */
  open(): number;
  close(): void;
}> {
  const sockets = new Set<Socket>();
  const server = createServer(() => undefined);
  server.on('connection', socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const requested = once(server, 'request').then(() => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    requested,
    open: () => sockets.size,
    close: () => {
      sockets.forEach(socket => socket.destroy());
      server.close();
    }
  };
}

describe('companion server', () => {
  // Jupyter's root, holding the test projects.
  const jupyterRoot = tempProject({});
  const name = (kind: string) => `ariel-http-${kind}-${randomBytes(3).toString('hex')}`;
  const companion = new Companion(jupyterRoot, ['--log-lines', '200']);
  const projects: string[] = [];
  const project = (kind: string, files: Record<string, string>) => {
    const folder = name(kind);
    writeFiles(join(jupyterRoot, folder), files);
    projects.push(join(jupyterRoot, folder));
    return folder;
  };

  before(() => companion.start());
  after(async () => {
    assert.equal(await companion.stop(), 0, companion.stderr);
    removeImagesOf(...projects);
    removeTempProjects();
  });

  describe('authentication', () => {
    it('refuses HTTP requests without the secret or with a wrong one, with a JSON error', async () => {
      for (const headers of [
        {} as Record<string, string>,
        { 'X-Ariel-Secret': 'wrong' },
        { 'X-Ariel-Secret': `${companion.secret}x` }
      ]) {
        const { status, body } = await companion.request<ErrorJson>('GET', '/version', undefined, headers);
        assert.equal(status, 403);
        assert.equal(body.code, 'forbidden');
      }
      assert.deepEqual(await companion.request('GET', '/version'), { status: 200, body: { version } });
    });

    it('refuses a wrong secret of the right length, on a route and on a WebSocket upgrade', async () => {
      // The secret with its last character changed: only a comparison of every byte refuses it.
      const last = companion.secret.at(-1) === 'a' ? 'b' : 'a';
      const sameLength = { 'X-Ariel-Secret': `${companion.secret.slice(0, -1)}${last}` };
      const { status, body } = await companion.request<ErrorJson>('POST', '/builds', { path: '' }, sameLength);
      assert.equal(status, 403);
      assert.equal(body.code, 'forbidden');
      assert.equal(await refusedUpgrade(companion.socket('/builds/x/events', sameLength)), 403);
    });

    it('refuses WebSocket upgrades without the secret', async () => {
      assert.equal(await refusedUpgrade(companion.socket('/builds/x/events', {})), 403);
      assert.equal(await refusedUpgrade(companion.socket('/builds/x/events', { 'X-Ariel-Secret': 'no' })), 403);
      // With the secret, an unknown build is a 404, not a socket.
      assert.equal(await refusedUpgrade(companion.socket('/builds/x/events')), 404);
    });
  });

  describe('project summary', () => {
    it('finds the project from a subfolder, with its config and dependency files', async () => {
      const folder = project('summary', {
        '.ariel.json':
          '{ "extras": ["train"], "build": { "pip_index_url": "https://user:token@mirror.example/simple" } }\n',
        'requirements.txt': 'six\n',
        'setup.py': 'from setuptools import setup\nsetup(name="p", extras_require={"train": []})\n',
        'notebooks/x.ipynb': '{}'
      });
      const { status, body } = await companion.request<Record<string, unknown>>(
        'GET',
        `/project?path=${encodeURIComponent(`${folder}/notebooks`)}`
      );
      assert.equal(status, 200);
      assert.equal(body.root, folder);
      assert.equal(body.name, folder);
      assert.equal(body.configFile, `${folder}/.ariel.json`);
      assert.deepEqual(body.dependencyFiles, ['requirements.txt', 'setup.py']);
      assert.deepEqual((body.config as { extras: string[] }).extras, ['train']);
      assert.deepEqual(body.warnings, []);
      assert.equal(body.error, undefined);
      assert.doesNotMatch(JSON.stringify(body), /token/, 'index credentials are masked');
    });

    it('reports an invalid config in the summary, with its file and line', async () => {
      const folder = project('invalid', { '.ariel.json': '{\n  "extras": ["ok"],\n  "apt_packages": 3\n}\n' });
      const { status, body } = await companion.request<{ root: string; error: ErrorJson }>(
        'GET',
        `/project?path=${folder}`
      );
      assert.equal(status, 200);
      assert.equal(body.root, folder);
      assert.equal(body.error.code, 'config-invalid');
      assert.match(body.error.message, /\.ariel\.json:3:\d+: key "apt_packages"/);
      assert.ok(body.error.hint);
    });
  });

  describe('Dockerfile', () => {
    it('differs between GPU and CPU, and names the image it builds to', async () => {
      const folder = project('dockerfile', { 'requirements.txt': 'six\n' });
      const get = (accelerator: string) =>
        companion.request<{ dockerfile: string; image: string; mode: string; accelerator: string }>(
          'GET',
          `/dockerfile?path=${folder}&mode=notebook&accelerator=${accelerator}`
        );
      const [cpu, gpu] = await Promise.all([get('cpu'), get('gpu')]);
      assert.equal(cpu.status, 200);
      assert.equal(gpu.status, 200);
      assert.match(gpu.body.dockerfile, /^FROM nvidia\/cuda:\S+ AS ariel-base$/m);
      assert.doesNotMatch(cpu.body.dockerfile, /nvidia/);
      assert.match(cpu.body.dockerfile, /ipykernel/);
      assert.match(cpu.body.image, new RegExp(`^ariel/${folder}:notebook-cpu-[0-9a-f]{12}$`));
      assert.match(gpu.body.image, new RegExp(`^ariel/${folder}:notebook-gpu-[0-9a-f]{12}$`));
      assert.deepEqual([gpu.body.mode, gpu.body.accelerator], ['notebook', 'gpu']);
    });
  });

  describe('bad requests', () => {
    const cases: [string, string, unknown, number, string][] = [
      ['unknown mode', '/dockerfile?path=&mode=batch', undefined, 400, 'usage'],
      ['unknown accelerator', '/dockerfile?path=&mode=run&accelerator=tpu', undefined, 400, 'usage'],
      ['a folder outside the root', '/project?path=..', undefined, 400, 'usage'],
      ['an absolute path outside the root', '/project?path=/etc', undefined, 400, 'usage'],
      ['a "run" that is not a boolean', '/builds', { path: '', mode: 'run', run: 'yes' }, 400, 'usage'],
      ['a missing folder', '/project?path=nowhere', undefined, 404, 'project-not-found'],
      ['an unknown route', '/nothing', undefined, 404, 'not-found'],
      ['an unknown build', '/builds/0b7e3e0a-3c41-4a4e-9d6f-2d1f3a1b2c3d', undefined, 404, 'not-found'],
      ['a malformed build id', '/builds/123', undefined, 400, 'usage']
    ];
    for (const [what, path, body, status, code] of cases) {
      it(`answers ${what} with ${status} ${code}`, async () => {
        const response = await companion.request<ErrorJson>(body === undefined ? 'GET' : 'POST', path, body);
        assert.equal(response.status, status, JSON.stringify(response.body));
        assert.equal(response.body.code, code);
        assert.ok(response.body.message);
      });
    }

    it('answers malformed JSON, a non-object body and a wrong method with 4xx JSON', async () => {
      for (const body of ['{"path": ', '[1]', '"x"']) {
        const response = await companion.request<ErrorJson>('POST', '/builds', body);
        assert.equal(response.status, 400, body);
        assert.equal(response.body.code, 'usage');
      }
      const wrongMethod = await companion.request<ErrorJson>('PUT', '/builds');
      assert.equal(wrongMethod.status, 405);
      assert.match(wrongMethod.body.hint ?? '', /GET or POST/);
    });

    it('does not follow a symlink out of the root', async () => {
      const outside = tempProject({ 'requirements.txt': 'six\n' });
      const link = name('link');
      symlinkSync(outside, join(jupyterRoot, link));
      const response = await companion.request<ErrorJson>('GET', `/project?path=${link}`);
      assert.equal(response.status, 400);
      assert.equal(response.body.code, 'usage');
    });
  });

  describe('builds', () => {
    it('streams a build to its subscribers, replays it to one that joins mid-build, shares it, and cancels it', async () => {
      const hanging = await hangingServer();
      try {
        const folder = project('cancel', {
          // Host networking lets the build reach the hanging server on loopback.
          '.ariel.json': '{ "build": { "network": "host" } }\n',
          'requirements.txt': `slow @ http://127.0.0.1:${hanging.port}/slow-1.0.tar.gz\n`
        });
        const request = { path: folder, mode: 'shell', accelerator: 'cpu' };
        const started = await companion.request<{ build: Build }>('POST', '/builds', request);
        assert.equal(started.status, 202, JSON.stringify(started.body));
        const { build } = started.body;
        assert.equal(build.state, 'running');
        assert.equal(build.project, folder);
        assert.match(build.image, new RegExp(`^ariel/${folder}:shell-cpu-`));

        const early = collect(companion.socket(`/builds/${build.id}/events`));
        // pip has asked for the package: the build is in its pip step and stays there.
        await hanging.requested;
        const again = await companion.request<{ build: Build }>('POST', '/builds', request);
        assert.equal(again.body.build.id, build.id, 'a second request for the same image gets the running build');

        const steps = (messages: BuildMessage[]) => messages.filter(m => m.type === 'step');
        await eventually(
          () => steps(early.messages).some(s => PIP_STEP.test(s.instruction)),
          `the pip step in ${JSON.stringify(early.messages)}`
        );
        const late = collect(companion.socket(`/builds/${build.id}/events`));
        await eventually(() => late.messages.some(m => m.type === 'state'), 'the replay');
        const replayed = steps(late.messages);
        assert.ok(
          replayed.some(s => PIP_STEP.test(s.instruction)),
          JSON.stringify(late.messages)
        );
        assert.deepEqual(replayed, steps(early.messages).slice(0, replayed.length));

        const listed = await companion.request<{ builds: Build[] }>('GET', '/builds');
        const running = listed.body.builds.find(b => b.id === build.id);
        assert.equal(running?.state, 'running');
        assert.match(running?.step?.instruction ?? '', PIP_STEP);

        const cancelled = await companion.request<{ build: Build }>('DELETE', `/builds/${build.id}`);
        assert.equal(cancelled.status, 200);
        assert.equal(cancelled.body.build.state, 'cancelled');
        assert.equal(cancelled.body.build.error?.code, 'cancelled');
        await Promise.all([early.closed, late.closed]);
        for (const { messages } of [early, late]) {
          const [error, state] = messages.slice(-2);
          assert.ok(error.type === 'error' && error.error.code === 'cancelled', JSON.stringify(error));
          assert.ok(state.type === 'state' && state.build.state === 'cancelled', JSON.stringify(state));
        }
        assert.deepEqual(imagesOf(join(jupyterRoot, folder)), [], 'a cancelled build tags no image');
        await eventually(() => hanging.open() === 0, "the engine to stop the build's pip");
      } finally {
        hanging.close();
      }
    });

    it('builds an image; a subscriber after the end gets the log, the outcome and the final state', async () => {
      const folder = project('build', { 'main.py': 'print("hi")\n' });
      const { build, messages } = await buildAndWait(folder);
      const done = messages.find(m => m.type === 'done');
      assert.ok(done?.type === 'done' && done.image === build.image, JSON.stringify(messages));
      assert.deepEqual(imagesOf(join(jupyterRoot, folder)), [build.image]);

      const finished = await companion.request<{ build: Build }>('GET', `/builds/${build.id}`);
      assert.equal(finished.body.build.state, 'succeeded');
      assert.ok(finished.body.build.finishedAt);

      const later = collect(companion.socket(`/builds/${build.id}/events`));
      await later.closed;
      assert.deepEqual(
        later.messages.map(m => m.type),
        messages.map(m => m.type).filter((type, i, all) => type !== 'state' || i === all.length - 1)
      );
    });
  });

  describe("kernel starts (the provisioner's route)", () => {
    it('refuses a connection file that is not a kernel-*.json file in the runtime folder, with 400', async () => {
      const folder = project('kernel-files', { 'main.py': 'print(1)\n' });
      const outside = join(jupyterRoot, folder, 'kernel-outside.json');
      writeFileSync(outside, '{}');
      symlinkSync(outside, join(companion.runtimeDir, 'kernel-link.json'));
      mkdirSync(join(companion.runtimeDir, 'kernel-folder.json'));
      writeFileSync(join(companion.runtimeDir, 'other.json'), '{}');
      for (const connectionFile of [
        '/var/run/docker.sock',
        '/etc/passwd',
        outside,
        join(companion.runtimeDir, 'kernel-link.json'),
        join(companion.runtimeDir, 'kernel-folder.json'),
        join(companion.runtimeDir, 'other.json'),
        join(companion.runtimeDir, 'kernel-missing.json'),
        `${companion.runtimeDir}/../${basename(companion.runtimeDir)}/other.json`
      ]) {
        const { status, body } = await companion.request<ErrorJson>('POST', '/kernels', {
          path: folder,
          accelerator: 'cpu',
          connectionFile,
          env: {}
        });
        assert.equal(status, 400, `${connectionFile}: ${JSON.stringify(body)}`);
        assert.equal(body.code, 'usage');
        assert.match(body.message, /connection file/);
        assert.doesNotMatch(body.message, /root:x:0:0/);
      }
      assert.deepEqual(containersOf('kernel', join(jupyterRoot, folder)), []);
    });

    it("takes build settings from its own environment; a request's env only fills the named variables", async () => {
      const folder = project('kernel-env', {
        '.ariel.json': '{ "env": ["CHANNEL_NAMED"], "kernel": { "network": "host" } }\n',
        'requirements.txt': 'six\n'
      });
      const connectionFile = join(companion.runtimeDir, `kernel-${randomBytes(4).toString('hex')}.json`);
      const connection: Record<string, unknown> = { ip: '127.0.0.1', transport: 'tcp', key: 'k' };
      for (const port of ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port']) {
        connection[port] = await freePort();
      }
      connection.signature_scheme = 'hmac-sha256';
      writeFileSync(connectionFile, JSON.stringify(connection));
      const { status, body } = await companion.request<{ kernel: { id: string } } & ErrorJson>('POST', '/kernels', {
        path: folder,
        accelerator: 'cpu',
        connectionFile,
        // Nothing listens there: a build that used it would fail.
        env: { CHANNEL_NAMED: 'from-jupyter', CHANNEL_OTHER: 'x', ARIEL_PIP_INDEX_URL: 'http://127.0.0.1:9/simple' }
      });
      assert.equal(status, 201, JSON.stringify(body));
      try {
        const [container] = kernelContainers(join(jupyterRoot, folder));
        const env = JSON.parse(
          execFileSync('docker', ['inspect', '--format', '{{json .Config.Env}}', container], {
            encoding: 'utf8'
          })
        ) as string[];
        assert.ok(env.includes('CHANNEL_NAMED=from-jupyter'), env.join(' '));
        assert.ok(!env.some(line => line.startsWith('CHANNEL_OTHER=')), env.join(' '));
      } finally {
        await companion.request('DELETE', `/kernels/${body.kernel.id}`);
      }
    });
  });

  describe('client (as kernel launchers use it)', () => {
    it('builds through the companion with an absolute folder; the build is listed with its events', async () => {
      const folder = project('client', { 'main.py': 'print(3)\n' });
      const address = companion.address;
      const events: AppEvent[] = [];
      const built = await buildThroughCompanion(
        address,
        { path: join(jupyterRoot, folder), mode: 'run', accelerator: 'cpu', run: true },
        event => events.push(event)
      );
      assert.equal(built, true);
      assert.ok(events.some(e => e.type === 'step'));
      const { body } = await companion.request<{ builds: Build[] }>('GET', '/builds');
      const build = body.builds.find(b => b.project === folder);
      assert.equal(build?.state, 'succeeded');
      assert.deepEqual(imagesOf(join(jupyterRoot, folder)), [build?.image]);
    });

    it('says so when the companion cannot be reached or refuses, so the caller builds itself', async () => {
      const request = { path: jupyterRoot, mode: 'run', accelerator: 'cpu' } as const;
      const unreachable = { socket: join(companion.folder, 'nobody.sock'), secret: companion.secret };
      assert.equal(await buildThroughCompanion(unreachable, request, () => undefined), false);
      const wrongSecret = { ...companion.address, secret: 'wrong' };
      assert.equal(await buildThroughCompanion(wrongSecret, request, () => undefined), false);
      const outside = companion.address;
      assert.equal(await buildThroughCompanion(outside, { ...request, path: '/' }, () => undefined), false);
    });
  });

  /** Starts a build of the run image and follows it to its end over the WebSocket. */
  async function buildAndWait(folder: string): Promise<{ build: Build; messages: BuildMessage[] }> {
    const { status, body } = await companion.request<{ build: Build }>('POST', '/builds', {
      path: folder,
      mode: 'run',
      accelerator: 'cpu'
    });
    assert.equal(status, 202, JSON.stringify(body));
    const events = collect(companion.socket(`/builds/${body.build.id}/events`));
    await events.closed;
    const state = events.messages.at(-1);
    assert.ok(state?.type === 'state' && state.build.state === 'succeeded', JSON.stringify(events.messages));
    return { build: state.build, messages: events.messages };
  }

  describe('images', () => {
    interface Image {
      reference: string;
      project: string;
      mode: string;
      accelerator: string;
      size: number;
      created: string;
      current: boolean | null;
    }
    const list = async (folder: string) =>
      (await companion.request<{ images: Image[] }>('GET', `/images?path=${folder}`)).body.images;

    it("lists a project's images with whether they are current, prunes the stale ones and removes one", async () => {
      const folder = project('images', { 'main.py': 'print(1)\n' });
      const old = (await buildAndWait(folder)).build.image;
      writeFiles(join(jupyterRoot, folder), { 'main.py': 'print(2)\n' });
      const current = (await buildAndWait(folder)).build.image;
      assert.notEqual(old, current);

      const images = await list(folder);
      const currentness = Object.fromEntries(images.map(i => [i.reference, i.current]));
      assert.deepEqual(currentness, { [current]: true, [old]: false });
      assert.deepEqual([images[0].project, images[0].mode, images[0].accelerator], [folder, 'run', 'cpu']);
      assert.ok(images[0].size > 0 && !Number.isNaN(Date.parse(images[0].created)));

      const pruned = await companion.request<{ removed: string[] }>('POST', '/images/prune', { path: folder });
      assert.deepEqual(pruned.body.removed, [old]);
      assert.deepEqual(imagesOf(join(jupyterRoot, folder)), [current]);

      const removed = await companion.request('DELETE', `/images/${encodeURIComponent(current)}`);
      assert.equal(removed.status, 200);
      assert.deepEqual(await list(folder), []);
    });

    /** An image of the project whose content hash is not today's: the base image with Ariel's label. */
    const staleImage = (root: string, mode: string) => {
      const stale = `${imageNameOf({ root })}:${mode}-cpu-000000000000`;
      const base = process.env.ARIEL_BASE_IMAGE_CPU ?? 'python:3.11-slim';
      execFileSync('docker', ['build', '-q', '-t', stale, '--label', `${LABELS.project}=${root}`, '-'], {
        input: `FROM ${base}\n`,
        stdio: 'pipe'
      });
      return stale;
    };

    it('keeps an outdated image a running container uses, and says which and why', async () => {
      const folder = project('inuse', { 'main.py': 'print(1)\n' });
      const root = join(jupyterRoot, folder);
      const stale = staleImage(root, 'run');
      const container = docker('run', '-d', '--rm', stale, 'sleep', '600');
      try {
        const { status, body } = await companion.request<{
          removed: string[];
          failed: { reference: string; error: ErrorJson }[];
        }>('POST', '/images/prune', { path: folder });
        assert.equal(status, 200, JSON.stringify(body));
        assert.deepEqual(body.removed, []);
        assert.deepEqual(
          body.failed.map(f => [f.reference, f.error.code]),
          [[stale, 'image-in-use']]
        );
        assert.match(body.failed[0].error.message, /used by a container/);
        assert.ok(body.failed[0].error.hint);
        // Still there, and still listed as outdated.
        assert.deepEqual(imagesOf(root), [stale]);
        assert.deepEqual(
          (await list(folder)).map(i => [i.reference, i.current]),
          [[stale, false]]
        );
      } finally {
        spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
      }
    });

    it('keeps an outdated image that running Ariel kernel and run containers use, and the containers', async () => {
      const folder = project('labelled', { 'main.py': 'print(1)\n' });
      const root = join(jupyterRoot, folder);
      const stale = staleImage(root, 'notebook');
      // Labelled as a kernel's and a run's containers are, so prune's own lookup of containers sees them.
      const kernel = docker(
        'run',
        '-d',
        ...['--label', `${LABELS.role}=kernel`, '--label', `${LABELS.project}=${root}`],
        ...['--label', `${LABELS.launcherPid}=${process.pid}`, '--label', `${LABELS.launcherHost}=here`],
        stale,
        'sleep',
        '600'
      );
      const run = docker(
        'run',
        '-d',
        ...['--label', `${LABELS.role}=run`, '--label', `${LABELS.project}=${root}`],
        ...['--label', `${LABELS.job}=1`, '--label', `${LABELS.group}=g`, '--label', `${LABELS.request}=r`],
        stale,
        'sleep',
        '600'
      );
      try {
        const { status, body } = await companion.request<{
          removed: string[];
          failed: { reference: string; error: ErrorJson }[];
        }>('POST', '/images/prune', { path: folder });
        assert.equal(status, 200, JSON.stringify(body));
        assert.deepEqual(body.removed, []);
        assert.deepEqual(
          body.failed.map(f => [f.reference, f.error.code]),
          [[stale, 'image-in-use']]
        );
        assert.deepEqual(imagesOf(root), [stale]);
        for (const id of [kernel, run]) {
          assert.equal(docker('inspect', '--format', '{{.State.Running}}', id), 'true');
        }
      } finally {
        spawnSync('docker', ['rm', '-f', kernel, run], { stdio: 'ignore' });
      }
    });

    it('removes an outdated image that only a warm-pool spare uses, and the spare with it', async () => {
      const folder = project('spare', { 'main.py': 'print(1)\n' });
      const root = join(jupyterRoot, folder);
      const stale = staleImage(root, 'notebook');
      // Named and labelled as the pool names and labels its spares.
      const spare = `${SPARE_PREFIX}${randomBytes(6).toString('hex')}`;
      docker(
        'run',
        '-d',
        '--name',
        spare,
        '--label',
        `${LABELS.role}=kernel`,
        '--label',
        `${LABELS.project}=${root}`,
        stale,
        'sleep',
        '600'
      );
      try {
        const { status, body } = await companion.request<{ removed: string[]; failed: unknown[] }>(
          'POST',
          '/images/prune',
          { path: folder }
        );
        assert.equal(status, 200, JSON.stringify(body));
        assert.deepEqual(body.removed, [stale]);
        assert.deepEqual(body.failed, []);
        assert.deepEqual(imagesOf(root), []);
        assert.equal(spawnSync('docker', ['inspect', spare], { stdio: 'ignore' }).status, 1, 'the spare is gone');
      } finally {
        spawnSync('docker', ['rm', '-f', spare], { stdio: 'ignore' });
      }
    });

    it('refuses to remove an image Ariel did not build', async () => {
      const base = process.env.ARIEL_BASE_IMAGE_CPU ?? 'python:3.11-slim';
      const response = await companion.request<ErrorJson>('DELETE', `/images/${encodeURIComponent(base)}`);
      assert.equal(response.status, 404);
      assert.equal(response.body.code, 'not-found');
    });
  });

  describe('containers', () => {
    const base = process.env.ARIEL_BASE_IMAGE_CPU ?? 'python:3.11-slim';
    const started: string[] = [];
    const run = (...labels: string[]) => {
      const id = docker('run', '-d', ...labels.flatMap(l => ['--label', l]), base, 'sleep', '600');
      started.push(id);
      return id;
    };
    after(() => spawnSync('docker', ['rm', '-f', ...started], { stdio: 'ignore' }));

    it("lists Ariel's containers by role and project, and stops one", async () => {
      const folder = project('containers', {});
      const id = run('org.ariel.role=shell', `org.ariel.project=${join(jupyterRoot, folder)}`);
      const { body } = await companion.request<{
        containers: { id: string; role: string; project: string; state: string }[];
      }>('GET', '/containers');
      const listed = body.containers.find(c => c.id === id);
      assert.deepEqual(listed && [listed.role, listed.project, listed.state], ['shell', folder, 'running']);

      const stopped = await companion.request('DELETE', `/containers/${id}`);
      assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
      assert.equal(docker('ps', '-aq', '--no-trunc', '--filter', `id=${id}`), '');
    });

    it("refuses to stop a container that is not Ariel's", async () => {
      const id = run();
      const response = await companion.request<ErrorJson>('DELETE', `/containers/${id}`);
      assert.equal(response.status, 404);
      assert.equal(response.body.code, 'not-found');
      assert.equal(docker('inspect', '--format', '{{.State.Running}}', id), 'true');
    });
  });
});

describe('companion server process', () => {
  it('listens only on its Unix socket, in a folder only its user can open; no TCP port', async () => {
    const companion = new Companion(tempProject({}));
    await companion.start();
    try {
      assert.equal(statSync(companion.folder).mode & 0o777, 0o700);
      assert.ok(lstatSync(companion.socketPath).isSocket());
      assert.deepEqual(listeningTcpPorts([companion.child!.pid!]), []);
      assert.equal((await companion.request('GET', '/version')).status, 200);
    } finally {
      assert.equal(await companion.stop(), 0, companion.stderr);
    }
  });

  it('exits when its standard input closes, and on SIGTERM', async () => {
    const root = tempProject({});
    const first = new Companion(root);
    await first.start();
    assert.equal(await first.stop(), 0, first.stderr);

    const second = new Companion(root);
    await second.start();
    const exited = once(second.child!, 'exit');
    second.child!.kill('SIGTERM');
    assert.deepEqual(await exited, [0, null]);
  });

  it('cancels a running build when it is stopped', async () => {
    const hanging = await hangingServer();
    const root = tempProject(
      {
        '.ariel.json': '{ "build": { "network": "host" } }\n',
        'requirements.txt': `slow @ http://127.0.0.1:${hanging.port}/slow-1.0.tar.gz\n`
      },
      `ariel-http-stop-${randomBytes(3).toString('hex')}`
    );
    const companion = new Companion(root);
    try {
      await companion.start();
      const { status, body } = await companion.request<{ build: Build }>('POST', '/builds', {
        path: '',
        mode: 'shell'
      });
      assert.equal(status, 202, JSON.stringify(body));
      const exited = once(companion.child!, 'exit');
      companion.child!.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null], companion.stderr);
      assert.deepEqual(imagesOf(root), []);
    } finally {
      hanging.close();
      removeImagesOf(root);
    }
  });

  it('refuses to start without a secret or a root, saying what is missing', async () => {
    const noRoot = spawnSync(process.execPath, [COMPANION_BUNDLE], {
      env: { ...process.env, ARIEL_COMPANION_SECRET: 's' },
      encoding: 'utf8',
      input: ''
    });
    assert.equal(noRoot.status, 2);
    assert.match(noRoot.stderr, /--root is required/);
    const noSecret = spawnSync(
      process.execPath,
      [COMPANION_BUNDLE, '--root', '.', '--runtime-dir', '.', '--socket', '/x.sock'],
      {
        env: { ...process.env, ARIEL_COMPANION_SECRET: '' },
        encoding: 'utf8',
        input: ''
      }
    );
    assert.equal(noSecret.status, 2);
    assert.match(noSecret.stderr, /ARIEL_COMPANION_SECRET is not set/);
    const relativeSocket = spawnSync(
      process.execPath,
      [COMPANION_BUNDLE, '--root', '.', '--runtime-dir', '.', '--socket', 'companion.sock'],
      { env: { ...process.env, ARIEL_COMPANION_SECRET: 's' }, encoding: 'utf8', input: '' }
    );
    assert.equal(relativeSocket.status, 2);
    assert.match(relativeSocket.stderr, /--socket must be the absolute path/);
  });
});
