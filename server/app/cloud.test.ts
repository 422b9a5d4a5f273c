import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { BuildService } from '../docker/build.js';
import { ArielError } from '../errors.js';
import { expandExperimentText } from '../experiments/load.js';
import { History } from '../history/store.js';
import { findProject } from '../project/project.js';
import { TRAIN_NOTEBOOK } from '../run/testing/notebook.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { planCloudExperiment, type CloudExperimentRequest } from './cloud.js';
import type { AppDeps } from './deps.js';

after(removeTempProjects);

// Planning needs no engine: any call to it fails the test.
const docker = new Proxy({}, { get: () => assert.fail('the plan used the engine') }) as unknown as Docker;
const deps: AppDeps = { docker, builds: new BuildService(docker), env: {} };
const root = tempProject({
  'requirements.txt': 'six\n',
  'trainer/__init__.py': '',
  'trainer/train.py': 'print(1)\n',
  'notebooks/train.ipynb': TRAIN_NOTEBOOK
});

function request(more: Partial<CloudExperimentRequest> = {}): CloudExperimentRequest {
  return {
    project: findProject(root),
    target: 'trainer.train',
    cwd: root,
    args: [],
    projectId: 'p',
    region: 'us-central1',
    machineType: 'n1-standard-4',
    labels: [],
    name: 'g',
    ...more
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof ArielError && error.code === code);
}

describe('planCloudExperiment', () => {
  it("plans a notebook as ariel cloud does: a notebook runner image, typed values, each job's output folder", async () => {
    const plan = await planCloudExperiment(
      deps,
      request({
        target: 'notebooks/train.ipynb',
        args: ['--epochs', '3'],
        experiments: expandExperimentText('{"augment": [false, true]}', 'config'),
        outputDir: 'gs://b/runs'
      })
    );
    assert.equal(plan.image.notebookRunner, true);
    assert.deepEqual(
      plan.jobs.map(job => [job.args, job.notebook?.output]),
      [
        [['--epochs', '3', '--augment', 'False'], 'gs://b/runs/g/1/train.ipynb'],
        [['--epochs', '3', '--augment', 'True'], 'gs://b/runs/g/2/train.ipynb']
      ]
    );
    assert.equal(plan.jobs[0].image, plan.remote);
    assert.equal((await planCloudExperiment(deps, request())).image.notebookRunner, false);
  });

  it('refuses before any build what the submission could not honour', async () => {
    await rejectsWith(planCloudExperiment(deps, request({ target: 'notebooks/train.ipynb' })), 'cloud-output-missing');
    await rejectsWith(
      planCloudExperiment(deps, request({ target: 'notebooks/train.ipynb', args: ['3'], outputDir: 'gs://b' })),
      'usage'
    );
    await rejectsWith(planCloudExperiment(deps, request({ region: 'mars-1' })), 'cloud-spec-unknown');
    await rejectsWith(
      planCloudExperiment(deps, request({ experiments: { jobs: [], experiments: [], warnings: [] } })),
      'experiment-config-invalid'
    );
    const forced = await planCloudExperiment(deps, request({ region: 'mars-1', force: true }));
    assert.ok(
      forced.warnings.some(warning => warning.includes('region mars-1')),
      String(forced.warnings)
    );
  });

  it('plans every experiment as one distributed job, in a GPU image when the workers have GPUs', async () => {
    const plan = await planCloudExperiment(
      deps,
      request({
        experiments: expandExperimentText('{"lr": [0.1, 0.01]}', 'config'),
        distributed: { replicas: 2, workerMachineType: 'g2-standard-8' }
      })
    );
    assert.equal(plan.image.accelerator, 'gpu');
    assert.deepEqual(
      plan.jobs.map(job => [job.machineType, job.workers]),
      [1, 2].map(() => [
        'n1-standard-4',
        { replicaCount: 2, machineType: 'g2-standard-8', acceleratorType: 'NVIDIA_L4', acceleratorCount: 1 }
      ])
    );
    const plain = await planCloudExperiment(deps, request({ distributed: { replicas: 1 } }));
    assert.equal(plain.image.accelerator, 'cpu');
    await rejectsWith(
      planCloudExperiment(deps, request({ distributed: { replicas: 1, workerMachineType: 'n1-nothing-1' } })),
      'cloud-spec-unknown'
    );
  });

  it('refuses a group name the history has', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ariel-history-'));
    const history = await History.open(dir);
    try {
      const plan = await planCloudExperiment({ ...deps, history }, request());
      history.recordGroup(
        {
          name: 'g',
          platform: 'vertex',
          projectRoot: root,
          target: 'trainer.train',
          cloudProject: 'p',
          region: 'us-central1',
          image: plan.remote,
          imageDigest: 'sha256:0',
          dockerfile: '',
          packages: {},
          createdAt: new Date().toISOString()
        },
        []
      );
      await rejectsWith(planCloudExperiment({ ...deps, history }, request()), 'cloud-spec-invalid');
    } finally {
      history.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
