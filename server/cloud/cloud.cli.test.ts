/**
 * `ariel cloud` end to end, as a user runs it: the real CLI builds the cloud image on the
 * local engine, pushes it to a real registry on loopback, and creates jobs through the real
 * Vertex AI client in the JobService emulator, which runs them from the registry.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { LABELS } from '../docker/labels.js';
import { runCli, startCli } from '../testing/cli.js';
import { removeImagesOf } from '../testing/docker.js';
import { eventually } from '../testing/eventually.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { VertexEmulator } from './testing/emulator.js';
import { cloudSubmitArgs } from './testing/fixtures.js';
import { TestRegistry } from './testing/registry.js';
import { executedCells, TRAIN_NOTEBOOK } from '../run/testing/notebook.js';
import { removeRegistryImages } from '../testing/registryImages.js';

interface JobView {
  group: string;
  experiment: number;
  attempt: number;
  state: string;
  name: string | null;
  args: string[];
  image: string;
}

const TRAIN = `import sys, time
args = sys.argv[1:]
print("ARGS", " ".join(args))
if "--sleep" in args:
    time.sleep(float(args[args.index("--sleep") + 1]))
sys.exit(3 if "--fail" in args else 0)
`;

describe('ariel cloud', () => {
  const docker = new Docker();
  const registry = new TestRegistry();
  const dataDir = mkdtempSync(join(tmpdir(), 'ariel-data-'));
  // Cloud Storage as the jobs' containers see it (/gcs), on the host.
  const gcsRoot = join(dataDir, 'gcs');
  const emulator = new VertexEmulator({ docker, gcsRoot });
  let project: string;
  let env: Record<string, string>;
  let repository: string;

  const cli = (args: string[], stdin?: string) => runCli(args, { cwd: project, env, stdin });
  const submitArgs = (name: string, ...more: string[]) => cloudSubmitArgs(repository, name, ...more);
  const groupJobs = (name: string) => emulator.jobsOfGroup(name);
  const status = async (group: string): Promise<JobView[]> => {
    const result = await cli(['status', '--group', group, '--json']);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as JobView[];
  };

  before(async () => {
    await registry.start();
    await emulator.start();
    repository = `${registry.host}/ariel-test`;
    project = tempProject(
      {
        'requirements.txt': 'six\n',
        '.ariel.json': '{}\n',
        'trainer/__init__.py': '',
        'trainer/train.py': TRAIN,
        'notebooks/train.ipynb': TRAIN_NOTEBOOK
      },
      'cloudproj'
    );
    env = { ARIEL_VERTEX_ENDPOINT: emulator.endpoint, ARIEL_DATA_DIR: dataDir };
  });

  after(async () => {
    await emulator.stop();
    await registry.stop();
    // The pushed tag and the images the emulator pulled by digest.
    await removeRegistryImages(docker, repository);
    removeImagesOf(project);
    removeTempProjects();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('pushes the image and creates one job per experiment, by digest, that run to the end', async () => {
    const result = await cli(
      submitArgs('sweep', '--experiment-config', 'stdin', '--label', 'Team=Vision', '--json', '--', '--data', 'd1'),
      '{"lr": [0.1, 0.01], "fail": [false, true]}'
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /ariel: warning: label Team=Vision became team=vision/);
    const printed = JSON.parse(result.stdout) as JobView[];
    assert.equal(printed.length, 4);

    const jobs = groupJobs('sweep');
    assert.equal(jobs.length, 4);
    const digests = new Set<string>();
    for (const job of jobs) {
      const pool = (job.request.jobSpec as { workerPoolSpecs: Record<string, Record<string, unknown>>[] })
        .workerPoolSpecs[0];
      const image = pool.containerSpec.imageUri as string;
      assert.match(image, new RegExp(`^${repository}/cloudproj@sha256:[0-9a-f]{64}$`));
      digests.add(image);
      assert.equal(pool.machineSpec.machineType, 'n1-standard-4');
      assert.equal((job.request.labels as Record<string, string>).team, 'vision');
    }
    assert.equal(digests.size, 1);
    assert.deepEqual((await registry.tags('ariel-test/cloudproj')).length, 1);

    const byName = new Map(jobs.map(j => [j.request.displayName as string, j]));
    const third = byName.get('sweep-3')!;
    assert.deepEqual(
      (third.request.jobSpec as { workerPoolSpecs: { containerSpec: { args: string[] } }[] }).workerPoolSpecs[0]
        .containerSpec.args,
      ['--data', 'd1', '--lr', '0.01']
    );
    for (const job of jobs) {
      await emulator.finished(job.name);
    }
    assert.match(byName.get('sweep-2')!.output!, /ARGS --data d1 --lr 0\.1 --fail/);
    const states = (await status('sweep')).map(j => `${j.experiment}:${j.state}`);
    assert.deepEqual(states, [
      '1:JOB_STATE_SUCCEEDED',
      '2:JOB_STATE_FAILED',
      '3:JOB_STATE_SUCCEEDED',
      '4:JOB_STATE_FAILED'
    ]);

    // No pip index URL anywhere in the pushed image: config or history.
    const image = [...digests][0];
    const inspect = JSON.stringify([await docker.getImage(image).inspect(), await docker.getImage(image).history()]);
    for (const secret of [process.env.ARIEL_PIP_INDEX_URL, process.env.ARIEL_PIP_EXTRA_INDEX_URL].filter(Boolean)) {
      assert.ok(!inspect.includes(secret!), `the image reveals ${secret}`);
    }
  });

  it('resubmits failed jobs with the same digest, and exports a job', async () => {
    const before = groupJobs('sweep').map(j => j.name);
    const result = await cli(['resubmit', '--group', 'sweep', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const fresh = groupJobs('sweep').filter(j => !before.includes(j.name));
    assert.deepEqual(fresh.map(j => j.request.displayName).sort(), ['sweep-2', 'sweep-4']);
    const images = new Set(
      groupJobs('sweep').map(
        j =>
          (j.request.jobSpec as { workerPoolSpecs: { containerSpec: { imageUri: string } }[] }).workerPoolSpecs[0]
            .containerSpec.imageUri
      )
    );
    assert.equal(images.size, 1, 'every attempt ran the same digest');
    const latest = JSON.parse(result.stdout) as JobView[];
    assert.deepEqual(
      latest.map(j => j.attempt),
      [1, 2, 1, 2]
    );

    const out = join(dataDir, 'export');
    const exported = await cli(['export', 'sweep-3', out]);
    assert.equal(exported.code, 0, exported.stderr);
    const job = JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')) as { args: string[]; image: string };
    assert.deepEqual(job.args, ['--data', 'd1', '--lr', '0.01']);
    assert.equal(job.image, [...images][0]);
    assert.match(readFileSync(join(out, 'Dockerfile'), 'utf8'), /COPY --chown=.* \. \/app/);
    assert.match(readFileSync(join(out, 'requirements.lock.txt'), 'utf8'), /^six==/m);
    assert.ok(existsSync(join(out, 'run.sh')));
  });

  it('executes a notebook job and keeps the executed notebook, values injected, in its output folder', async () => {
    mkdirSync(gcsRoot, { recursive: true });
    const args = submitArgs(
      'nbjobs',
      '--experiment-config',
      'stdin',
      '--output-dir',
      'gs://bucket/runs',
      '--',
      '--epochs',
      '3'
    );
    args[1] = 'notebooks/train.ipynb';
    const result = await cli(args, '{"lr": [0.5], "model": ["cnn"]}');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /layer [0-9a-f]{12}: (Pushed|Layer already exists|Mounted from)/);
    const [job] = groupJobs('nbjobs');
    const done = await emulator.finished(job.name);
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED', done.output);
    const cells = executedCells(readFileSync(join(gcsRoot, 'bucket', 'runs', 'nbjobs', '1', 'train.ipynb'), 'utf8'));
    assert.deepEqual(cells[1].tags, ['injected-parameters']);
    assert.match(cells[1].source, /^epochs = 3\nlr = 0\.5\nmodel = 'cnn'$/m);
    assert.equal(cells[2].text, "RESULT 0.5 'cnn' True 3 /app/notebooks\n");
    const [recorded] = await status('nbjobs');
    assert.equal(recorded.state, 'JOB_STATE_SUCCEEDED');
  });

  it('cancels running jobs with ariel stop', async () => {
    const result = await cli(submitArgs('slow', '--', '--sleep', '300'));
    assert.equal(result.code, 0, result.stderr);
    const [job] = groupJobs('slow');
    await eventually(() => job.state === 'JOB_STATE_RUNNING', 'the job to run', 120_000);
    const stopped = await cli(['stop', '--group', 'slow']);
    assert.equal(stopped.code, 0, stopped.stderr);
    await emulator.finished(job.name);
    assert.deepEqual(
      (await status('slow')).map(j => j.state),
      ['JOB_STATE_CANCELLED']
    );
  });

  it('rejects an invalid machine before building or pushing anything', async () => {
    const result = await cli(
      submitArgs('invalid', '--machine-type', 'e2-standard-4', '--accelerator', 'NVIDIA_TESLA_T4')
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /e2-standard-4 cannot carry NVIDIA_TESLA_T4/);
    assert.match(result.stderr, /NVIDIA_TESLA_T4 runs on: n1 machines/);
    assert.equal(groupJobs('invalid').length, 0);
    const missing = await cli(['status', '--group', 'invalid']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No job group named invalid/);
  });

  /**
   * Submits 40 jobs to an emulator that answers slowly, stops the CLI with `signal` once a job
   * exists, runs `afterwards` (e.g. ariel stop), and checks that the history names exactly the
   * jobs that exist in the cloud.
   */
  async function interruptSubmission(
    group: string,
    signal: NodeJS.Signals,
    afterwards: (env: Record<string, string>) => Promise<void> = async () => undefined
  ): Promise<number | null> {
    const slow = new VertexEmulator({ createDelayMs: 300 });
    await slow.start();
    try {
      const slowEnv = { ...env, ARIEL_VERTEX_ENDPOINT: slow.endpoint };
      const running = startCli(submitArgs(group, '--experiment-config', 'stdin', '--concurrency', '2'), {
        cwd: project,
        env: slowEnv,
        stdin: JSON.stringify({ seed: Array.from({ length: 40 }, (_, i) => i) })
      });
      await eventually(() => /Created job \d+/.test(running.output().stderr), 'a first job to be created', 300_000);
      running.child.kill(signal);
      const { code } = await running.result;
      await afterwards(slowEnv);
      const result = await runCli(['status', '--group', group, '--json'], { cwd: project, env: slowEnv });
      assert.equal(result.code, 0, result.stderr);
      const jobs = JSON.parse(result.stdout) as JobView[];
      assert.equal(jobs.length, 40, 'every experiment is recorded');
      const inCloud = [...slow.jobs.values()].map(j => j.name).sort();
      assert.ok(inCloud.length > 0 && inCloud.length < 40, `${inCloud.length} jobs were created`);
      assert.deepEqual(
        jobs
          .filter(j => j.name)
          .map(j => j.name)
          .sort(),
        inCloud,
        'the history names exactly the jobs that exist'
      );
      assert.ok(jobs.every(j => (j.name ? j.state !== 'NOT_SUBMITTED' : j.state === 'NOT_SUBMITTED')));
      return code;
    } finally {
      await slow.stop();
    }
  }

  it('leaves a consistent history when killed with SIGKILL mid-submission, which ariel stop settles', async () => {
    await interruptSubmission('killed', 'SIGKILL', async slowEnv => {
      // Jobs still SUBMITTING: found by their request label and cancelled, else never submitted.
      const stopped = await runCli(['stop', '--group', 'killed'], { cwd: project, env: slowEnv });
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stderr, /Stopped \d+ job\(s\)/);
      assert.match(stopped.stderr, /Job killed-\d+ was never submitted\./);
      assert.doesNotMatch(stopped.stderr, /still being submitted|No unfinished job/);
    });
  });

  it('stops submitting on Ctrl-C, exits 130 and records what was not created', async () => {
    assert.equal(await interruptSubmission('interrupted', 'SIGINT'), 130);
  });
  it("compares the cloud image with the notebook's, and warns about a kernel that installed packages", async () => {
    const built = await cli(['build', '--mode', 'notebook']);
    assert.equal(built.code, 0, built.stderr);
    const same = await cli(submitArgs('same-env'));
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stderr, /Same \d+ packages as the notebook's image\./);
    assert.doesNotMatch(same.stderr, /warning: (the cloud image|kernel)/);
    // The history keeps the cloud image's packages, and ariel status --json shows them with each job.
    const shown = await cli(['status', '--group', 'same-env', '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const [job] = JSON.parse(shown.stdout) as { packages: Record<string, string> | null }[];
    assert.ok(job.packages?.six, shown.stdout);

    // A kernel of the notebook image in which `%pip install toolz` ran.
    const kernel = execFileSync(
      'docker',
      [
        'run',
        '-d',
        '--network',
        'host',
        '--label',
        `${LABELS.role}=kernel`,
        '--label',
        `${LABELS.project}=${project}`,
        '--entrypoint',
        'sleep',
        built.stdout.trim(),
        'infinity'
      ],
      { encoding: 'utf8' }
    ).trim();
    try {
      const index = process.env.ARIEL_PIP_INDEX_URL;
      execFileSync('docker', [
        'exec',
        kernel,
        'pip',
        'install',
        '--retries',
        '0',
        ...(index ? ['--index-url', index] : []),
        'toolz'
      ]);
      const drifted = await cli(submitArgs('drifted-env'));
      assert.equal(drifted.code, 0, drifted.stderr);
      assert.match(
        drifted.stderr,
        /ariel: warning: kernel \S+ installed packages the cloud image does not have: toolz \S+\. Add them to the project/
      );
    } finally {
      execFileSync('docker', ['rm', '--force', kernel], { stdio: 'ignore' });
    }
  });

  it("gives each job MLflow's variables in its container spec, and a resubmission keeps them", async () => {
    const mlflowEnv = (name: string) =>
      groupJobs(name)
        .map(
          j =>
            (j.request.jobSpec as { workerPoolSpecs: { containerSpec: { env?: { name: string; value: string }[] } }[] })
              .workerPoolSpecs[0].containerSpec.env
        )
        .map(vars => Object.fromEntries((vars ?? []).map(v => [v.name, v.value])))
        .sort((a, b) => String(a.MLFLOW_RUN_NAME).localeCompare(String(b.MLFLOW_RUN_NAME)));
    const expected = (...runs: string[]) =>
      runs.map(run => ({
        MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000',
        MLFLOW_EXPERIMENT_NAME: 'digits',
        MLFLOW_RUN_NAME: run
      }));
    const result = await runCli(submitArgs('tracked', '--experiment-config', 'stdin'), {
      cwd: project,
      env: { ...env, MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000', MLFLOW_EXPERIMENT_NAME: 'digits' },
      stdin: '{"lr": [0.1, 0.01]}'
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(mlflowEnv('tracked'), expected('tracked-1', 'tracked-2'));
    // Resubmitted from the history, without the variables in this process's environment.
    const again = await cli(['resubmit', '--group', 'tracked', '--all-jobs']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(mlflowEnv('tracked'), expected('tracked-1', 'tracked-1', 'tracked-2', 'tracked-2'));
  });
});
