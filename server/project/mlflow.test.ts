import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { planCloudJobs, customJobMessage } from '../cloud/spec.js';
import { ArielError } from '../errors.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { loadConfig } from './config.js';
import { mlflowEnv, mlflowRun, mlflowSettings } from './mlflow.js';
import { findProject } from './project.js';

after(removeTempProjects);

/** A project with this `.ariel.json` (none when undefined). */
function project(config?: object) {
  return findProject(
    tempProject({ 'train.py': '', ...(config ? { '.ariel.json': JSON.stringify(config) } : {}) }, 'mlflow-digits')
  );
}

/** A user config folder holding this config. */
function userConfig(config: object): string {
  return tempProject({ 'config.json': JSON.stringify(config) });
}

describe('the "mlflow" key', () => {
  it('names the tracking server and experiment of every job, each run named GROUP-INDEX', () => {
    const settings = mlflowSettings(
      project({ mlflow: { tracking_uri: 'https://mlflow.example:5000', experiment: 'digits' } }),
      {}
    );
    assert.deepEqual(settings, { trackingUri: 'https://mlflow.example:5000', experiment: 'digits' });
    assert.deepEqual(mlflowEnv(mlflowRun(settings!, 'sweep', 3)), {
      MLFLOW_TRACKING_URI: 'https://mlflow.example:5000',
      MLFLOW_EXPERIMENT_NAME: 'digits',
      MLFLOW_RUN_NAME: 'sweep-3'
    });
  });

  it("takes what the project does not say from the user config, then the environment; the experiment defaults to the project's name", () => {
    const env = { MLFLOW_TRACKING_URI: 'http://env.example', MLFLOW_EXPERIMENT_NAME: 'from-env' };
    assert.equal(mlflowSettings(project(), {}), undefined, 'no tracking server named: no MLflow variables');
    assert.deepEqual(mlflowSettings(project(), env), { trackingUri: 'http://env.example', experiment: 'from-env' });
    const plain = project();
    assert.deepEqual(mlflowSettings(plain, { MLFLOW_TRACKING_URI: 'databricks' }), {
      trackingUri: 'databricks',
      experiment: basename(plain.root)
    });
    const user = userConfig({ mlflow: { tracking_uri: 'https://user.example', experiment: 'mine' } });
    assert.deepEqual(
      mlflowSettings(project({ mlflow: { experiment: 'digits' } }), { ...env, ARIEL_CONFIG_DIR: user }),
      {
        trackingUri: 'https://user.example',
        experiment: 'digits'
      }
    );
  });

  it('refuses a tracking URI with credentials or spaces, naming where it came from', () => {
    const file = join(
      tempProject({ '.ariel.json': '{ "mlflow": { "tracking_uri": "https://me:s3cret@mlflow.example" } }' }),
      '.ariel.json'
    );
    assert.throws(
      () => loadConfig(file, '.ariel.json'),
      (error: unknown) =>
        error instanceof ArielError &&
        error.code === 'config-invalid' &&
        error.message.includes('key "mlflow.tracking_uri" carries credentials') &&
        !error.message.includes('s3cret') &&
        (error.hint ?? '').includes('MLFLOW_TRACKING_PASSWORD')
    );
    assert.throws(
      () => mlflowSettings(project(), { MLFLOW_TRACKING_URI: 'http://me:s3cret@mlflow.example' }),
      (error: unknown) =>
        error instanceof ArielError &&
        error.message.startsWith('MLFLOW_TRACKING_URI in the environment carries credentials') &&
        !error.message.includes('s3cret')
    );
    const spaced = join(
      tempProject({ '.ariel.json': '{ "mlflow": { "tracking_uri": "http://a b" } }' }),
      '.ariel.json'
    );
    assert.throws(() => loadConfig(spaced, '.ariel.json'), /contains a space/);
  });

  it("puts the variables into each CustomJob's container", () => {
    const jobs = planCloudJobs(
      [
        { index: 1, args: [] },
        { index: 2, args: ['--lr', '0.1'] }
      ],
      {
        group: 'sweep',
        image: 'us-docker.pkg.dev/p/r/digits@sha256:' + '0'.repeat(64),
        projectName: 'digits',
        target: { kind: 'module', module: 'trainer.train' },
        machine: { machineType: 'n1-standard-4' },
        userLabels: {},
        mlflow: { trackingUri: 'https://mlflow.example', experiment: 'digits' }
      }
    );
    const message = customJobMessage(jobs[1], 'request') as {
      jobSpec: { workerPoolSpecs: { containerSpec: { env: { name: string; value: string }[] } }[] };
    };
    assert.deepEqual(message.jobSpec.workerPoolSpecs[0].containerSpec.env, [
      { name: 'MLFLOW_TRACKING_URI', value: 'https://mlflow.example' },
      { name: 'MLFLOW_EXPERIMENT_NAME', value: 'digits' },
      { name: 'MLFLOW_RUN_NAME', value: 'sweep-2' }
    ]);
  });
});
