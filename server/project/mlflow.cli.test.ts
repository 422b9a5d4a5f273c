/**
 * The "mlflow" key on the built CLI, without an engine: what `--dry-run --json` of `ariel run`
 * and `ariel cloud` says each job gets, and Caliban's `mlflow_config` warning naming the key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, type CliResult } from '../testing/cli.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';

function show(result: CliResult): string {
  return `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

describe('MLflow tracking of local and cloud jobs', () => {
  let root: string;
  let env: Record<string, string | undefined>;
  before(() => {
    root = tempProject(
      {
        'requirements.txt': 'six\n',
        'trainer/train.py': 'print(1)\n',
        '.ariel.json': '{ "mlflow": { "tracking_uri": "https://mlflow.example:5000", "experiment": "digits" } }'
      },
      'tracked'
    );
    // No user config and no MLflow variables of the machine running the tests.
    env = {
      ARIEL_CONFIG_DIR: tempProject({}),
      MLFLOW_TRACKING_URI: undefined,
      MLFLOW_EXPERIMENT_NAME: undefined
    };
  });
  after(removeTempProjects);

  it("puts MLFLOW_* into each CustomJob container's env, one run per job", async () => {
    const result = await runCli(
      [
        'cloud',
        'trainer.train',
        '--project-id',
        'p',
        '--region',
        'us-central1',
        '--name',
        'sweep',
        '--experiment-config',
        'stdin',
        '--dry-run',
        '--json'
      ],
      { cwd: root, env, stdin: '{"lr": [0.1, 0.01]}' }
    );
    assert.equal(result.code, 0, show(result));
    const jobs = JSON.parse(result.stdout) as { displayName: string; env?: Record<string, string> }[];
    assert.deepEqual(
      jobs.map(job => [job.displayName, job.env]),
      [
        [
          'sweep-1',
          {
            MLFLOW_TRACKING_URI: 'https://mlflow.example:5000',
            MLFLOW_EXPERIMENT_NAME: 'digits',
            MLFLOW_RUN_NAME: 'sweep-1'
          }
        ],
        [
          'sweep-2',
          {
            MLFLOW_TRACKING_URI: 'https://mlflow.example:5000',
            MLFLOW_EXPERIMENT_NAME: 'digits',
            MLFLOW_RUN_NAME: 'sweep-2'
          }
        ]
      ]
    );
  });

  it("takes the environment's MLFLOW_TRACKING_URI when no config names one, for ariel run too", async () => {
    const plain = tempProject({ 'requirements.txt': 'six\n', 'trainer/train.py': 'print(1)\n' }, 'plain');
    const result = await runCli(['run', 'trainer.train', '--name', 'local', '--dry-run', '--json'], {
      cwd: plain,
      env: { ...env, MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' }
    });
    assert.equal(result.code, 0, show(result));
    const jobs = JSON.parse(result.stdout) as { mlflow?: Record<string, string> }[];
    assert.deepEqual(jobs[0].mlflow, {
      trackingUri: 'http://127.0.0.1:5000',
      experiment: 'plain',
      runName: 'local-1'
    });
    const none = await runCli(['run', 'trainer.train', '--dry-run', '--json'], { cwd: plain, env });
    assert.equal(none.code, 0, show(none));
    assert.equal((JSON.parse(none.stdout) as { mlflow?: unknown }[])[0].mlflow, undefined);
  });

  it("warns that Caliban's mlflow_config is not used, naming the mlflow key", async () => {
    const caliban = tempProject({
      'requirements.txt': 'six\n',
      'trainer/train.py': 'print(1)\n',
      '.calibanconfig.json': '{ "mlflow_config": { "project": "p", "region": "r", "db": "mlflow" } }'
    });
    const result = await runCli(['run', 'trainer.train', '--dry-run'], { cwd: caliban, env });
    assert.equal(result.code, 0, show(result));
    assert.match(
      result.stderr,
      /^ariel: warning: .*"mlflow_config" is ignored\. Ariel starts no Cloud SQL proxy for MLflow; name your tracking server in the "mlflow" key instead/m
    );
  });
});
