/**
 * The submission check through the companion server, as the cloud form asks it before Submit:
 * on the real engine, the cloud image is built (or found by its content hash) and its record
 * compared with the project's notebook image and with what the project's running kernels installed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAppDeps, prepareImage } from '../app/index.js';
import { LABELS } from '../docker/labels.js';
import { findProject } from '../project/project.js';
import { removeImagesOf } from '../testing/docker.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { makeWheel } from '../testing/wheels.js';
import { createApp, SECRET_HEADER, type App } from './app.js';
import type { CloudCheck, ErrorBody, ImageSummary } from './contract.js';

const PACKAGE = `arielcheck${randomBytes(3).toString('hex')}`;

describe('the submission check (POST /cloud/check)', () => {
  const root = tempProject({ 'requirements.txt': 'six\n', 'train.py': 'print("training")\n' });
  const dataDir = mkdtempSync(join(tmpdir(), 'ariel-check-data-'));
  const wheels = mkdtempSync(join(tmpdir(), 'ariel-check-wheels-'));
  const deps = createAppDeps();
  const containers: string[] = [];
  const savedDataDir = process.env.ARIEL_DATA_DIR;
  let app: App;
  let base: string;

  const request = {
    path: '',
    target: 'train.py',
    args: [],
    experimentConfig: '',
    projectId: 'test-proj',
    region: 'us-central1',
    machineType: 'n1-standard-4',
    labels: []
  };

  const post = async <T>(body: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${base}/cloud/check`, {
      method: 'POST',
      headers: { [SECRET_HEADER]: 's', 'content-type': 'application/json' },
      body: JSON.stringify(body)
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  const images = async (): Promise<ImageSummary[]> => {
    const response = await fetch(`${base}/images?path=`, { headers: { [SECRET_HEADER]: 's' } });
    return ((await response.json()) as { images: ImageSummary[] }).images;
  };

  before(async () => {
    process.env.ARIEL_DATA_DIR = dataDir;
    app = createApp({ root, runtimeDir: root, secret: 's', app: deps, version: 'test' });
    app.server.listen(0, '127.0.0.1');
    await once(app.server, 'listening');
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await app.close();
    if (containers.length > 0) {
      spawnSync('docker', ['rm', '--force', ...containers], { stdio: 'ignore' });
    }
    removeImagesOf(root);
    removeTempProjects();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(wheels, { recursive: true, force: true });
    if (savedDataDir === undefined) {
      delete process.env.ARIEL_DATA_DIR;
    } else {
      process.env.ARIEL_DATA_DIR = savedDataDir;
    }
  });

  it('refuses a request the submission would refuse, before building anything', async () => {
    const { status, body } = await post<ErrorBody>({ ...request, acceleratorCount: 2 });
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(body.code, 'cloud-spec-invalid');
    assert.deepEqual(
      (await images()).filter(i => i.mode === 'cloud'),
      [],
      'no cloud image was built for a refused request'
    );
  });

  it('builds the cloud image and says when there is no notebook image to compare with', async () => {
    const { status, body } = await post<CloudCheck>(request);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.check.notebookImage, null);
    assert.ok(body.check.count > 0, JSON.stringify(body.check));
    assert.deepEqual(body.warnings, []);
    assert.equal(body.ok, `The cloud image holds ${body.check.count} packages; no notebook image to compare with.`);
    const cloud = (await images()).find(i => i.reference === body.check.cloudImage);
    assert.equal(cloud?.mode, 'cloud', 'the checked image is the project cloud image, kept for the submission');
    assert.equal(cloud.packageCount, body.check.count);
  });

  it('finds the same cloud image again (no second build) and says when it matches the notebook image', async () => {
    const first = (await images()).find(i => i.mode === 'cloud');
    const notebook = await prepareImage(deps, { project: findProject(root), mode: 'notebook', accelerator: 'cpu' });
    const { status, body } = await post<CloudCheck>(request);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.check.cloudImage, first?.reference);
    const again = (await images()).find(i => i.reference === body.check.cloudImage);
    assert.equal(again?.id, first?.id, 'the image was found by its content hash, not built again');
    assert.equal(body.check.notebookImage, notebook.image.name);
    assert.deepEqual(body.check.otherVersions, []);
    assert.equal(body.check.same, true);
    assert.deepEqual(body.warnings, []);
    assert.match(body.ok ?? '', /^Same \d+ packages as the notebook's image\.$/);
  });

  it('warns about a package a running kernel of the project installed, naming the kernel and the way out', async () => {
    const notebook = (await images()).find(i => i.mode === 'notebook')!;
    const kernel = execFileSync(
      'docker',
      [
        'run',
        '-d',
        '--label',
        `${LABELS.role}=kernel`,
        '--label',
        `${LABELS.project}=${root}`,
        '--entrypoint',
        'sleep',
        notebook.reference,
        'infinity'
      ],
      { encoding: 'utf8' }
    ).trim();
    containers.push(kernel);
    // What `%pip install` of a package the project does not list does in the notebook.
    const wheel = makeWheel(wheels, PACKAGE, '1.2');
    execFileSync('docker', ['cp', join(wheels, wheel), `${kernel}:/tmp/${wheel}`]);
    execFileSync('docker', ['exec', kernel, 'pip', 'install', '--no-index', '--no-deps', `/tmp/${wheel}`], {
      stdio: 'ignore'
    });

    const { status, body } = await post<CloudCheck>(request);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.check.same, false);
    assert.equal(body.ok, undefined);
    assert.equal(body.check.kernels.length, 1, JSON.stringify(body.check.kernels));
    assert.equal(body.check.kernels[0].project, '', "the kernel's project, relative to Jupyter's root");
    assert.deepEqual(body.check.kernels[0].drift.added, [{ name: PACKAGE, version: '1.2' }]);
    assert.equal(body.warnings.length, 1, body.warnings.join('\n'));
    assert.match(body.warnings[0], new RegExp(`installed packages the cloud image does not have: ${PACKAGE} 1\\.2`));
    assert.match(body.warnings[0], /Add them to the project/);
  });
});
