import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { loadUserConfig, userConfigPath } from './user-config.js';

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
        error.hint === 'Allowed keys here: build, projects.'
    );
    const folder = tempProject({});
    mkdirSync(join(folder, 'config.json'));
    assert.throws(
      () => loadUserConfig({ ARIEL_CONFIG_DIR: folder }),
      (error: unknown) => error instanceof ArielError && error.message.includes('is a folder')
    );
  });
});
