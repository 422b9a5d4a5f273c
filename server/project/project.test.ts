import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { findProject, imageNameOf } from './project.js';

after(removeTempProjects);

describe('findProject', () => {
  it('finds the nearest folder with .ariel.json, from a subfolder', () => {
    const root = tempProject({ '.ariel.json': '{ "extras": ["dev"] }', 'src/pkg/deep/mod.py': '' });
    const project = findProject(join(root, 'src', 'pkg', 'deep'));
    assert.equal(project.root, root);
    assert.equal(project.configFile, join(root, '.ariel.json'));
    assert.deepEqual(project.config.extras, ['dev']);
  });

  it('finds .calibanconfig.json the same way', () => {
    const root = tempProject({ '.calibanconfig.json': '{ "apt_packages": ["git"] }', 'src/a.py': '' });
    const project = findProject(join(root, 'src'));
    assert.equal(project.root, root);
    assert.equal(project.configFile, join(root, '.calibanconfig.json'));
    assert.deepEqual(project.config.aptPackages, { cpu: ['git'], gpu: ['git'] });
  });

  it('prefers .ariel.json when both files are in one folder', () => {
    const root = tempProject({
      '.ariel.json': '{ "extras": ["ariel"] }',
      '.calibanconfig.json': '{ "extras": ["caliban"] }'
    });
    const project = findProject(root);
    assert.equal(project.configFile, join(root, '.ariel.json'));
    assert.deepEqual(project.config.extras, ['ariel']);
  });

  it('takes the nearest config, even a Caliban one below an .ariel.json', () => {
    const root = tempProject({
      '.ariel.json': '{}',
      'sub/.calibanconfig.json': '{ "extras": ["inner"] }',
      'sub/x/': ''
    });
    const project = findProject(join(root, 'sub', 'x'));
    assert.equal(project.root, join(root, 'sub'));
    assert.deepEqual(project.config.extras, ['inner']);
  });

  it('falls back to the git root, with an empty config', () => {
    const root = tempProject({ '.git/HEAD': 'ref: refs/heads/main\n', 'a/b/c.py': '' });
    const project = findProject(join(root, 'a', 'b'));
    assert.equal(project.root, root);
    assert.equal(project.configFile, undefined);
    assert.deepEqual(project.config.aptPackages, { cpu: [], gpu: [] });
    assert.deepEqual(project.config.baseImage, {});
  });

  it('prefers a config file above over a git root below it', () => {
    const root = tempProject({ '.ariel.json': '{}', 'repo/.git/HEAD': '', 'repo/src/': '' });
    assert.equal(findProject(join(root, 'repo', 'src')).root, root);
  });

  it('falls back to the start folder without config or git', () => {
    const root = tempProject({ 'a/b/': '' });
    // The temporary folders must not sit in a project themselves for this test to mean anything.
    for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) {
      for (const marker of ['.git', '.ariel.json', '.calibanconfig.json']) {
        assert.ok(!existsSync(join(dir, marker)), `${join(dir, marker)} exists; run the tests with another TMPDIR`);
      }
    }
    const project = findProject(join(root, 'a', 'b'));
    assert.equal(project.root, join(root, 'a', 'b'));
    assert.equal(project.configFile, undefined);
  });

  it('rejects a start folder that does not exist or is a file', () => {
    const root = tempProject({ 'file.txt': 'x' });
    assert.throws(() => findProject(join(root, 'missing')), ArielError);
    assert.throws(
      () => findProject(join(root, 'file.txt')),
      (error: Error) => error instanceof ArielError && error.message.includes('file.txt')
    );
  });

  it('reports config errors when discovering', () => {
    const root = tempProject({ '.ariel.json': '{ "colour": "blue" }', 'src/': '' });
    assert.throws(
      () => findProject(join(root, 'src')),
      (error: Error) => error instanceof ArielError && error.message.includes('"colour"')
    );
  });
});

describe('imageNameOf', () => {
  it('derives a valid Docker repository name from the folder name', () => {
    const name = (folder: string) => imageNameOf({ root: `/somewhere/${folder}` });
    assert.equal(name('MyProject'), 'ariel/myproject');
    assert.equal(name('deep learning (v2)'), 'ariel/deep-learning-v2');
    assert.equal(name('-_.x.y_-'), 'ariel/x.y');
    assert.equal(name('日本'), 'ariel/project');
  });
});
