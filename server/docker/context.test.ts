import assert from 'node:assert/strict';
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  symlinkSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-fs';
import { after, describe, it } from 'node:test';
import type { Mode } from '../dockerfile/generate.js';
import { planImage } from '../dockerfile/plan.js';
import { findProject } from '../project/project.js';
import { removeTempProjects, tempProject, writeFiles } from '../testing/tempProject.js';
import { DOCKERFILE_NAME } from '../dockerfile/generate.js';
import { collectContext, packContext } from './context.js';

after(removeTempProjects);

/** Plans afresh each time, as the CLI does, so edits to dependency files reach the plan. */
function contextOf(root: string, mode: Mode) {
  return collectContext(planImage(findProject(root), { mode, accelerator: 'cpu', env: {} }));
}

const PROJECT = {
  'requirements.txt': 'numpy\n',
  'setup.py': 'from setuptools import setup\nsetup(name="demo")\n',
  'train.py': 'print("train")\n',
  'src/model.py': 'MODEL = 1\n',
  'src/__pycache__/model.cpython-311.pyc': 'bytecode',
  '.git/HEAD': 'ref: refs/heads/main\n',
  '.git/objects/ab/cdef': 'blob',
  '.venv/pyvenv.cfg': 'home = /usr/bin\n',
  '.venv/lib/python3.11/site-packages/x.py': '',
  'envs/py311/pyvenv.cfg': 'home = /usr/bin\n',
  'envs/py311/bin/python': '',
  'envs/README.md': 'venvs live here\n',
  'node_modules/left-pad/index.js': '',
  '.ipynb_checkpoints/nb-checkpoint.ipynb': '{}',
  'notebooks/explore.ipynb': '{}',
  'data/raw.bin': 'big',
  'data/keep.txt': 'small',
  'data/sub/more.bin': 'big',
  'outputs/run1/model.ckpt': 'weights',
  'top.log': 'log',
  'notebooks/debug.log': 'log',
  '.ariel.Dockerfile': 'FROM stale\n',
  '.dockerignore': ['# what the build never needs', 'data', '!data/keep.txt', 'outputs/', '**/*.log', ''].join('\n')
};

describe('collectContext', () => {
  it('sends the project minus version control, environments, caches and .dockerignore matches in run mode', async () => {
    const root = tempProject(PROJECT);
    const { files } = await contextOf(root, 'run');
    assert.deepEqual(files, [
      'data/keep.txt',
      'envs/README.md',
      'notebooks/explore.ipynb',
      'requirements.txt',
      'setup.py',
      'src/model.py',
      'train.py'
    ]);
  });

  it('honours .dockerignore folder rules without exceptions', async () => {
    const root = tempProject({
      'train.py': '',
      'build/lib/x.py': '',
      'checkpoints/a.ckpt': '',
      'deep/nested/b.ckpt': '',
      'deep/nested/c.py': '',
      '.dockerignore': 'build\n**/*.ckpt\ncheckpoints/\n'
    });
    assert.deepEqual((await contextOf(root, 'cloud')).files, ['deep/nested/c.py', 'train.py']);
  });

  it('sends only the dependency files in notebook mode', async () => {
    const root = tempProject(PROJECT);
    assert.deepEqual((await contextOf(root, 'notebook')).files, ['requirements.txt', 'setup.py']);
    assert.deepEqual((await contextOf(root, 'shell')).files, ['requirements.txt', 'setup.py']);
    const pyproject = tempProject({
      'pyproject.toml': '[project]\nname = "p"\ndependencies = ["numpy"]\n',
      'train.py': ''
    });
    // Static pyproject requirements are written into the Dockerfile: no file is needed.
    assert.deepEqual((await contextOf(pyproject, 'notebook')).files, []);
  });

  it('gives the same hash for the same project', async () => {
    const root = tempProject(PROJECT);
    for (const mode of ['run', 'notebook'] as const) {
      const first = await contextOf(root, mode);
      const second = await contextOf(root, mode);
      assert.match(first.hash, /^[0-9a-f]{64}$/);
      assert.equal(first.hash, second.hash, mode);
    }
    // Another copy of the project in a folder of the same name hashes the same.
    const a = await contextOf(tempProject(PROJECT, 'same'), 'run');
    const b = await contextOf(tempProject(PROJECT, 'same'), 'run');
    assert.equal(a.hash, b.hash);
  });

  it('changes the hash when code changes in run mode, but not in notebook mode', async () => {
    const root = tempProject(PROJECT);
    const run = await contextOf(root, 'run');
    const notebook = await contextOf(root, 'notebook');
    assert.notEqual(run.hash, notebook.hash);

    writeFiles(root, { 'train.py': 'print("train harder")\n' });
    const run2 = await contextOf(root, 'run');
    assert.notEqual(run2.hash, run.hash);
    assert.equal((await contextOf(root, 'notebook')).hash, notebook.hash);

    // Ignored files do not count either.
    writeFiles(root, { 'data/raw.bin': 'bigger', 'src/__pycache__/new.pyc': 'x', 'top.log': 'more log' });
    assert.equal((await contextOf(root, 'run')).hash, run2.hash);

    writeFiles(root, { 'requirements.txt': 'numpy\nscipy\n' });
    const notebook2 = await contextOf(root, 'notebook');
    assert.notEqual(notebook2.hash, notebook.hash);
  });

  it('sends requirements.lock and hashes it: writing or changing the lock makes another image', async () => {
    const root = tempProject(PROJECT);
    const unlocked = await contextOf(root, 'notebook');
    assert.ok(!unlocked.files.includes('requirements.lock'));
    writeFiles(root, { 'requirements.lock': 'numpy==1.26.4\n' });
    const locked = await contextOf(root, 'notebook');
    assert.ok(locked.files.includes('requirements.lock'), locked.files.join(' '));
    assert.notEqual(locked.hash, unlocked.hash);
    writeFiles(root, { 'requirements.lock': 'numpy==2.0.0\n' });
    const relocked = await contextOf(root, 'notebook');
    assert.notEqual(relocked.hash, locked.hash);
  });

  it('changes the hash when a file is added, renamed or made executable in run mode', async () => {
    const root = tempProject(PROJECT);
    const base = (await contextOf(root, 'run')).hash;
    const hashes = new Set([base]);

    chmodSync(join(root, 'train.py'), 0o755);
    hashes.add((await contextOf(root, 'run')).hash);
    chmodSync(join(root, 'train.py'), 0o644);
    assert.equal((await contextOf(root, 'run')).hash, base);

    writeFiles(root, { 'src/extra.py': '' });
    hashes.add((await contextOf(root, 'run')).hash);

    renameSync(join(root, 'train.py'), join(root, 'train2.py'));
    hashes.add((await contextOf(root, 'run')).hash);
    assert.equal(hashes.size, 4);
  });

  it("never sends Ariel's own config files, which may carry index credentials", async () => {
    const root = tempProject({
      'train.py': '',
      '.ariel.json': '{ "build": { "pip_index_url": "https://u:secret@mirror.example/simple" } }',
      '.calibanconfig.json': '{}',
      'sub/.ariel.json': '{}'
    });
    assert.deepEqual((await contextOf(root, 'run')).files, ['train.py']);
    assert.deepEqual((await contextOf(root, 'cloud')).files, ['train.py']);
  });

  it('always sends (and hashes) the files the Dockerfile copies, whatever .dockerignore says', async () => {
    const root = tempProject({
      'train.py': '',
      'requirements.txt': '-r reqs/base.txt\n',
      'reqs/base.txt': 'numpy\n',
      '.dockerignore': '*\n'
    });
    const before = await contextOf(root, 'run');
    assert.deepEqual(before.files, ['reqs/base.txt', 'requirements.txt']);
    writeFiles(root, { 'reqs/base.txt': 'numpy==2\n' });
    assert.notEqual((await contextOf(root, 'run')).hash, before.hash);
    assert.deepEqual((await contextOf(root, 'shell')).files, ['reqs/base.txt', 'requirements.txt']);
  });

  it('sends symbolic links as links', async () => {
    const root = tempProject({ 'train.py': 'x', 'requirements.txt': '' });
    symlinkSync('train.py', join(root, 'main.py'));
    const context = await contextOf(root, 'run');
    assert.deepEqual(context.files, ['main.py', 'requirements.txt', 'train.py']);
  });

  it('changes the hash when only the Dockerfile changes: a machine default in every mode, the config in notebook and shell mode', async () => {
    const root = tempProject({ 'requirements.txt': 'six\n', 'train.py': '', '.ariel.json': '{}' });
    const withBase = (mode: Mode) =>
      collectContext(
        planImage(findProject(root), { mode, accelerator: 'cpu', env: { ARIEL_BASE_IMAGE_CPU: 'other/python:3' } })
      );
    for (const mode of ['run', 'shell', 'notebook'] as const) {
      const plain = await contextOf(root, mode);
      const otherBase = await withBase(mode);
      assert.deepEqual(otherBase.files, plain.files);
      assert.notEqual(otherBase.hash, plain.hash, mode);
    }
    for (const mode of ['shell', 'notebook'] as const) {
      const plain = await contextOf(root, mode);
      writeFiles(root, { '.ariel.json': '{"apt_packages": ["curl"]}' });
      const withApt = await contextOf(root, mode);
      writeFiles(root, { '.ariel.json': '{}' });
      assert.deepEqual(withApt.files, plain.files, 'the config is not sent');
      assert.notEqual(withApt.hash, plain.hash, mode);
    }
  });
});

describe('packContext', () => {
  it('writes the listed files, symbolic links as links, and the Dockerfile that leaves itself out', async () => {
    const root = tempProject({
      'train.py': 'print(1)\n',
      'requirements.txt': 'six\n',
      'data/big.bin': 'x',
      '.dockerignore': 'data\n'
    });
    symlinkSync('train.py', join(root, 'main.py'));
    symlinkSync('missing.py', join(root, 'dangling.py'));
    const plan = planImage(findProject(root), { mode: 'run', accelerator: 'cpu', env: {} });
    const context = await collectContext(plan);
    const out = mkdtempSync(join(tmpdir(), 'ariel-context-'));
    await pipeline(packContext(plan, context), extract(out));

    assert.deepEqual(readdirSync(out).sort(), [
      '.ariel.Dockerfile',
      '.dockerignore',
      'dangling.py',
      'main.py',
      'requirements.txt',
      'train.py'
    ]);
    assert.ok(lstatSync(join(out, 'main.py')).isSymbolicLink());
    assert.equal(readlinkSync(join(out, 'main.py')), 'train.py');
    assert.equal(readlinkSync(join(out, 'dangling.py')), 'missing.py');
    assert.equal(readFileSync(join(out, 'train.py'), 'utf8'), 'print(1)\n');
    assert.equal(readFileSync(join(out, DOCKERFILE_NAME), 'utf8'), plan.dockerfile);
    assert.deepEqual(readFileSync(join(out, '.dockerignore'), 'utf8').split('\n').filter(Boolean), [
      DOCKERFILE_NAME,
      '.dockerignore'
    ]);
    // Owners and times are normalised, so the same files always give the same tar.
    assert.equal(lstatSync(join(out, 'train.py')).mtimeMs, 0);
  });
});
