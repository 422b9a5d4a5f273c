import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../testing/cli.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { loadConfig } from './config.js';

after(removeTempProjects);

const CALIBAN_CONFIG = `{
  "apt_packages": ["git"],
  "mlflow_config": { "project": "p", "region": "r", "db": "mlflow", "user": "u", "password": "x", "artifact_root": "gs://b" },
  "julia_version": "1.5.3",
  "default_mode": "gpu",
  "build_time_credentials": true,
  "some_future_caliban_key": 1
}`;

describe('.calibanconfig.json keys Ariel does not act on', () => {
  it('names each ignored key in a warning that says what to do instead, and unknown keys too', () => {
    const file = join(tempProject({ '.calibanconfig.json': CALIBAN_CONFIG }), '.calibanconfig.json');
    const warnings: string[] = [];
    const config = loadConfig(file, '.calibanconfig.json', warnings);
    assert.deepEqual(config.aptPackages, { cpu: ['git'], gpu: ['git'] });
    const about = (key: string) => warnings.filter(w => w.startsWith(`${file}: "${key}" `));
    assert.match(about('mlflow_config')[0], /is ignored\. .*in the "mlflow" key instead .*MLFLOW_TRACKING_URI/);
    assert.match(about('julia_version')[0], /is ignored\. Ariel installs no Julia/);
    assert.match(about('default_mode')[0], /is ignored\. .*--gpu/);
    assert.match(about('build_time_credentials')[0], /is ignored\. .*never puts credentials into an image/);
    assert.match(about('some_future_caliban_key')[0], /is not a key Ariel knows; it is ignored/);
    assert.equal(warnings.length, 5, warnings.join('\n'));
  });

  it('names them in .ariel.json too, whose schema accepts them', () => {
    const file = join(
      tempProject({ '.ariel.json': '{ "default_mode": "gpu", "julia_version": "1.5" }' }),
      '.ariel.json'
    );
    const warnings: string[] = [];
    loadConfig(file, '.ariel.json', warnings);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0], /"default_mode" is ignored\. .*--gpu/);
    assert.match(warnings[1], /"julia_version" is ignored\./);
  });

  it('warns about no key that Ariel reads', () => {
    const file = join(
      tempProject({ '.calibanconfig.json': '{ "apt_packages": ["git"], "base_image": "debian:{}" }' }),
      '.calibanconfig.json'
    );
    const warnings: string[] = [];
    loadConfig(file, '.calibanconfig.json', warnings);
    assert.deepEqual(warnings, []);
  });

  it('prints the warnings of a command on stderr, and its output unchanged', async () => {
    const root = tempProject({ '.calibanconfig.json': CALIBAN_CONFIG, 'requirements.txt': 'six\n' });
    const result = await runCli(['dockerfile', '--mode', 'run'], { cwd: root });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^FROM /m);
    for (const key of ['mlflow_config', 'julia_version', 'default_mode', 'build_time_credentials']) {
      assert.match(result.stderr, new RegExp(`^ariel: warning: .*"${key}" is ignored\\.`, 'm'));
    }
  });
});
