import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { projectSummary } from './project.js';

describe('the project summary', () => {
  after(() => removeTempProjects());

  it('shows the run-time settings its containers get, for the sidebar', () => {
    const root = tempProject({ '.ariel.json': '{ "run": { "shm_size": "2g", "cpus": 2 } }\n', 'data/': '' });
    const summary = projectSummary(root, root);
    assert.equal(summary.error, undefined);
    assert.deepEqual(summary.runSettings, {
      shm_size: 2 * 1024 ** 3,
      mounts: [],
      cpus: 2,
      pids_limit: 4096,
      gpus: 'all',
      env: [],
      cloud_credentials: summary.runSettings?.cloud_credentials
    });
  });

  it('reports a bad mount as the error a kernel start would meet', () => {
    const root = tempProject({
      '.ariel.json': '{ "run": { "mounts": [{ "source": "nowhere", "target": "/data" }] } }\n'
    });
    const summary = projectSummary(root, root);
    assert.equal(summary.error?.code, 'config-invalid');
    assert.match(
      summary.error?.message ?? '',
      /mounts\[0\]: mount nowhere → \/data: the source .*nowhere does not exist/
    );
  });
});
