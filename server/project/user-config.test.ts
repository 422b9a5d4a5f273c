import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { loadUserConfig, loadUserRunConfig, userConfigPath } from './user-config.js';

after(removeTempProjects);

describe('the user config', () => {
  it('lives in ARIEL_CONFIG_DIR when set, else in the platform config folder', () => {
    assert.equal(userConfigPath({ ARIEL_CONFIG_DIR: '/somewhere' }), join('/somewhere', 'config.json'));
    assert.match(userConfigPath({}), /ariel[/\\]config\.json$/);
  });

  it('is optional, and gives its build settings when present', () => {
    assert.equal(loadUserConfig({ ARIEL_CONFIG_DIR: tempProject({}) }), undefined);
    const dir = tempProject({
      'config.json': `{
        // kept out of every project
        "build": { "pip_index_url": "https://u:pw@mirror.example/simple", "pip_extra_index_url": "https://a.example/ https://b.example/", "network": "host" }
      }`
    });
    assert.deepEqual(loadUserConfig({ ARIEL_CONFIG_DIR: dir }), {
      build: {
        pipIndexUrl: 'https://u:pw@mirror.example/simple',
        pipExtraIndexUrls: ['https://a.example/', 'https://b.example/'],
        network: 'host'
      }
    });
  });

  it('takes only build keys, and names the file when it is wrong', () => {
    const dir = tempProject({ 'config.json': '{ "base_image": "python:3.11" }' });
    assert.throws(
      () => loadUserConfig({ ARIEL_CONFIG_DIR: dir }),
      (error: unknown) =>
        error instanceof ArielError &&
        error.message.includes(join(dir, 'config.json')) &&
        error.message.includes('unknown key "base_image"') &&
        error.hint === 'Allowed keys here: build, mlflow, projects.'
    );
    const folder = tempProject({});
    mkdirSync(join(folder, 'config.json'));
    assert.throws(
      () => loadUserConfig({ ARIEL_CONFIG_DIR: folder }),
      (error: unknown) => error instanceof ArielError && error.message.includes('is a folder')
    );
  });

  it('gives the run-time settings of one project root, and refuses a root that is not absolute', () => {
    const dir = tempProject({
      'config.json': JSON.stringify({
        projects: { '/home/me/digits': { run: { shm_size: '8g', mounts: [{ source: '~/d', target: '/data' }] } } }
      })
    });
    assert.deepEqual(loadUserRunConfig('/home/me/digits', { ARIEL_CONFIG_DIR: dir }), {
      shm_size: '8g',
      mounts: [{ source: '~/d', target: '/data' }]
    });
    assert.equal(loadUserRunConfig('/home/me/other', { ARIEL_CONFIG_DIR: dir }), undefined);
    assert.equal(loadUserRunConfig('/home/me/digits', { ARIEL_CONFIG_DIR: tempProject({}) }), undefined);
    const relative = tempProject({ 'config.json': JSON.stringify({ projects: { digits: { run: {} } } }) });
    assert.throws(
      () => loadUserRunConfig('/home/me/digits', { ARIEL_CONFIG_DIR: relative }),
      (error: unknown) =>
        error instanceof ArielError &&
        error.code === 'config-invalid' &&
        error.message.includes('"digits", which is not an absolute path')
    );
  });
});
