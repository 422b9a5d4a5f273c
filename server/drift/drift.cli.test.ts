import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAppDeps, type ImageInfo, type KernelDrift } from '../app/index.js';
import { LABELS } from '../docker/labels.js';
import { createApp, SECRET_HEADER } from '../http/app.js';
import { runCli, type CliResult } from '../testing/cli.js';
import { removeImagesOf } from '../testing/docker.js';
import { removeTempProjects, tempProject, writeFiles } from '../testing/tempProject.js';
import { makeWheel } from '../testing/wheels.js';

// Images record their packages and Dockerfile, `ariel lock` keeps versions across rebuilds, and
// running kernels that installed packages are told apart from their images: on the real engine,
// with a package index the test serves on loopback, holding wheels the test makes.

/** Asynchronous, so that the index this process serves can answer the pip that it runs. */
const dockerExec = (...args: string[]) => promisify(execFile)('docker', ['exec', ...args]);

const PACKAGE = `arieldrift${randomBytes(3).toString('hex')}`;
const EXTRA = `${PACKAGE}extra`;

function show(result: CliResult): string {
  return `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** A "simple" package index over HTTP on loopback, listing the wheels in `dir` as they are now. */
async function serveIndex(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const project = /^\/simple\/([^/]+)\/?$/.exec(path)?.[1];
    const file = /^\/files\/([^/]+\.whl)$/.exec(path)?.[1];
    const wheels = readdirSync(dir).filter(name => name.endsWith('.whl'));
    if (project) {
      const links = wheels.filter(w => w.startsWith(`${project}-`)).map(w => `<a href="/files/${w}">${w}</a><br>`);
      response.writeHead(links.length ? 200 : 404, { 'content-type': 'text/html' });
      response.end(`<!DOCTYPE html><html><body>${links.join('\n')}</body></html>`);
    } else if (file && wheels.includes(file)) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(readFileSync(join(dir, file)));
    } else {
      response.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple` };
}

describe('image records, ariel lock and kernel drift', () => {
  const wheels = join(tmpdir(), `ariel-drift-wheels-${randomBytes(3).toString('hex')}`);
  mkdirSync(wheels);
  const root = tempProject({ 'requirements.txt': `${PACKAGE}\n` }, `ariel-drift-${randomBytes(3).toString('hex')}`);
  const containers: string[] = [];
  let index: { server: Server; url: string };
  let env: Record<string, string>;
  let firstImage = '';

  const ariel = async (...args: string[]): Promise<CliResult> => runCli(args, { env });
  const ok = async (...args: string[]): Promise<string> => {
    const result = await ariel(...args);
    assert.equal(result.code, 0, show(result));
    return result.stdout;
  };
  const build = async (mode: string) => (await ok('build', '--mode', mode, '--project', root)).trim();
  const recorded = async (image: string) =>
    Object.fromEntries(
      (await ok('images', '--packages', image))
        .trim()
        .split('\n')
        .map(line => line.split('=='))
    ) as Record<string, string>;

  before(async () => {
    makeWheel(wheels, PACKAGE, '1.0');
    makeWheel(wheels, EXTRA, '0.3');
    index = await serveIndex(wheels);
    // The machine's own index (for ipykernel) stays; the test's is one more extra index.
    env = { ARIEL_PIP_EXTRA_INDEX_URL: `${process.env.ARIEL_PIP_EXTRA_INDEX_URL ?? ''} ${index.url}`.trim() };
  });

  after(() => {
    if (containers.length > 0) {
      spawnSync('docker', ['rm', '--force', ...containers], { stdio: 'ignore' });
    }
    index?.server.close();
    removeImagesOf(root);
    rmSync(wheels, { recursive: true, force: true });
    removeTempProjects();
  });

  it('every image records its packages and the Dockerfile it was built from', async () => {
    firstImage = await build('notebook');
    const images = JSON.parse(await ok('images', '--json', '--project', root)) as ImageInfo[];
    const image = images.find(i => i.name === firstImage);
    assert.ok(image?.packages, JSON.stringify(images, null, 2));
    const versions = Object.fromEntries(image.packages.map(p => [p.name, p.version]));
    assert.equal(versions[PACKAGE], '1.0');
    assert.ok(versions.ipykernel, 'the kernel the notebook image installs after the requirements is recorded too');

    const dockerfile = await ok('dockerfile', '--mode', 'notebook', '--project', root);
    const asBuilt = await ariel('images', '--dockerfile', firstImage);
    assert.equal(asBuilt.code, 0, show(asBuilt));
    assert.equal(asBuilt.stdout, dockerfile);
    assert.equal(asBuilt.stderr, '', 'a current image says nothing about being outdated');
  });

  it('ariel lock keeps the locked version through rebuilds; without the lock a rebuild takes the newer one', async () => {
    const lockFile = (await ok('lock', '--project', root)).trim();
    assert.equal(lockFile, join(root, 'requirements.lock'));
    const lock = readFileSync(lockFile, 'utf8');
    assert.match(lock, new RegExp(`^${PACKAGE}==1\\.0$`, 'm'));
    assert.match(lock, /^ipykernel==/m);

    makeWheel(wheels, PACKAGE, '2.0');
    // A change to the requirements makes pip resolve again.
    writeFiles(root, { 'requirements.txt': `${PACKAGE}  # any version\n` });
    const locked = await build('notebook');
    assert.notEqual(locked, firstImage);
    assert.equal((await recorded(locked))[PACKAGE], '1.0');
    const cloud = await build('cloud');
    assert.equal((await recorded(cloud))[PACKAGE], '1.0', 'the cloud image built after the lock carries the lock');
    const check = await ariel('lock', '--check', '--project', root);
    assert.equal(check.code, 0, show(check));

    rmSync(lockFile);
    const unlocked = await build('notebook');
    assert.equal((await recorded(unlocked))[PACKAGE], '2.0');
    writeFileSync(lockFile, lock);
  });

  it('ariel lock --check fails when the requirements no longer resolve within the lock, or outgrew it', async () => {
    writeFiles(root, { 'requirements.txt': `${PACKAGE}>=2\n` });
    const check = await ariel('lock', '--check', '--project', root);
    assert.notEqual(check.code, 0, show(check));
    assert.match(check.stderr, /no longer resolve within requirements\.lock/, show(check));

    // A requirement added since the lock resolves, but the lock does not hold it.
    writeFiles(root, { 'requirements.txt': `${PACKAGE}\n${EXTRA}\n` });
    const unlocked = await ariel('lock', '--check', '--project', root);
    assert.equal(unlocked.code, 1, show(unlocked));
    assert.match(unlocked.stderr, new RegExp(`requirements\\.lock does not name: ${EXTRA} 0\\.3`), show(unlocked));
    writeFiles(root, { 'requirements.txt': `${PACKAGE}  # any version\n` });
  });

  it('an outdated image shows how its Dockerfile differs from the current one', async () => {
    writeFiles(root, { '.ariel.json': '{ "apt_packages": ["jq"] }' });
    try {
      const asBuilt = await ariel('images', '--dockerfile', firstImage);
      assert.equal(asBuilt.code, 0, show(asBuilt));
      assert.match(asBuilt.stderr, /is outdated/, show(asBuilt));
      assert.match(asBuilt.stderr, /^\+.*apt-get install -y --no-install-recommends jq/m, show(asBuilt));
    } finally {
      rmSync(join(root, '.ariel.json'));
    }
  });

  /** A running container of `image` labelled as a kernel of `project`, as a kernel launcher starts one. */
  const kernelOf = (image: string, project: string): string => {
    const id = execFileSync(
      'docker',
      [
        'run',
        '-d',
        '--network',
        'host',
        '--label',
        `${LABELS.role}=kernel`,
        '--label',
        `${LABELS.project}=${project}`,
        '--entrypoint',
        'sleep',
        image,
        'infinity'
      ],
      { encoding: 'utf8' }
    ).trim();
    containers.push(id);
    return id;
  };

  it('a kernel that installed, upgraded or removed packages is told apart from its image, and the added ones go into requirements.txt', async () => {
    const kernel = kernelOf(firstImage, root);
    // What `%pip install` and `%pip uninstall` in the notebook do.
    await dockerExec(
      kernel,
      'pip',
      'install',
      '--retries',
      '0',
      '--index-url',
      index.url,
      `${PACKAGE}==2.0`,
      `${EXTRA}==0.3`
    );
    await dockerExec(kernel, 'pip', 'uninstall', '-y', 'asttokens');

    const [drift] = JSON.parse(await ok('kernels', 'drift', '--project', root, '--json')) as KernelDrift[];
    assert.equal(drift?.container, kernel);
    assert.deepEqual(drift.drift.added, [{ name: EXTRA, version: '0.3' }]);
    assert.deepEqual(drift.drift.changed, [{ name: PACKAGE, version: '2.0', recorded: '1.0', direction: 'upgraded' }]);
    assert.deepEqual(
      drift.drift.removed.map(d => d.name),
      ['asttokens']
    );
    const text = await ok('kernels', 'drift', '--project', root);
    assert.match(text, new RegExp(`1 package installed here not in the project: ${EXTRA} 0\\.3`), text);

    // The companion answers the same.
    const app = createApp({ root, runtimeDir: tmpdir(), secret: 'drift-test', app: createAppDeps(), version: 'test' });
    app.server.listen(0, '127.0.0.1');
    await once(app.server, 'listening');
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const headers = { [SECRET_HEADER]: 'drift-test' };
      const answer = await fetch(`${base}/kernels/drift?path=`, { headers });
      assert.equal(answer.status, 200);
      const { kernels } = (await answer.json()) as { kernels: KernelDrift[] };
      assert.deepEqual(kernels.find(k => k.container === kernel)?.drift, drift.drift);
      const images = (await (await fetch(`${base}/images?path=`, { headers })).json()) as {
        images: { reference: string; packageCount: number | null }[];
      };
      const listed = images.images.find(i => i.reference === firstImage);
      const record = (await (
        await fetch(`${base}/images/${encodeURIComponent(firstImage)}/record`, { headers })
      ).json()) as { packages: unknown[]; dockerfile: string };
      assert.equal(listed?.packageCount, record.packages.length);
      assert.match(record.dockerfile, /^# Generated by Ariel/);
    } finally {
      await app.close();
    }

    const before = readFileSync(join(root, 'requirements.txt'), 'utf8');
    const added = await ariel('kernels', 'drift', '--project', root, '--add', kernel);
    assert.equal(added.code, 0, show(added));
    assert.equal(
      readFileSync(join(root, 'requirements.txt'), 'utf8'),
      `${before}${EXTRA}==0.3\n${PACKAGE}==2.0\n`,
      'added and upgraded packages are appended, pinned'
    );
    assert.match(added.stderr, /Not written: asttokens .* was removed in the kernel/, show(added));
  });

  it('a project without requirements.txt gets one; a pyproject-only project is told what to add and where', async () => {
    const bare = tempProject({});
    const pyproject = tempProject({
      'pyproject.toml': '[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = ["numpy"]\n'
    });
    for (const project of [bare, pyproject]) {
      const kernel = kernelOf(firstImage, project);
      await dockerExec(kernel, 'pip', 'install', '--retries', '0', '--index-url', index.url, EXTRA);
    }
    const created = await ok('kernels', 'drift', '--project', bare, '--add', containers.at(-2)!, '--json');
    assert.equal(JSON.parse(created).file, 'requirements.txt');
    assert.equal(readFileSync(join(bare, 'requirements.txt'), 'utf8'), `${EXTRA}==0.3\n`);

    const told = JSON.parse(
      await ok('kernels', 'drift', '--project', pyproject, '--add', containers.at(-1)!, '--json')
    );
    assert.deepEqual(
      { file: told.file, written: told.written, lines: told.lines },
      { file: 'pyproject.toml', written: false, lines: [`${EXTRA}==0.3`] }
    );
    assert.match(told.where, /dependencies/);
    assert.deepEqual(readdirSync(pyproject), ['pyproject.toml'], 'nothing is written into a pyproject-only project');
  });
});
