/**
 * `ariel run` as a researcher uses it with notebooks and the job history: the real CLI builds
 * the run image on the local engine, executes notebooks in it with the experiment's values,
 * and records every local job (image, Dockerfile, packages, states) where `ariel status` and
 * `ariel export` find them.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startCli } from '../testing/cli.js';
import { removeImagesOf } from '../testing/docker.js';
import { eventually } from '../testing/eventually.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { executedCells, notebookJson, TRAIN_NOTEBOOK } from './testing/notebook.js';

interface JobView {
  group: string;
  platform: string;
  experiment: number;
  state: string;
  args: string[];
  image: string;
  output?: string;
  error: string | null;
}

describe('ariel run: notebooks and the history', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ariel-data-'));
  let project: string;
  const cli = (args: string[], stdin?: string) =>
    runCli(args, { cwd: project, env: { ARIEL_DATA_DIR: dataDir }, stdin });
  const status = async (group: string): Promise<JobView[]> => {
    const result = await cli(['status', '--group', group, '--json']);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as JobView[];
  };

  before(() => {
    project = tempProject(
      {
        'requirements.txt': 'six\n',
        '.ariel.json': '{}\n',
        'notebooks/train.ipynb': TRAIN_NOTEBOOK,
        'notebooks/plain.ipynb': notebookJson(['print("PLAIN", x)']),
        'nap.py': 'import sys, time\nprint("napping", flush=True)\ntime.sleep(120)\nprint("woke")\n',
        // Exits with code 3 once told to (docker exec … touch /tmp/go), whatever the machine's load.
        'waiter.py':
          'import os, sys, time\nprint("napping", flush=True)\nwhile not os.path.exists("/tmp/go"):\n    time.sleep(0.2)\nsys.exit(3)\n'
      },
      'nbrun'
    );
  });

  after(() => {
    removeImagesOf(project);
    removeTempProjects();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('executes a notebook per experiment with the values injected after its parameters cell', async () => {
    const dry = await cli(
      ['run', 'notebooks/train.ipynb', '--experiment-config', 'stdin', '--name', 'nb', '--dry-run', '--json'],
      '{"lr": [0.1, 0.01], "model": "resnet", "augment": false}'
    );
    assert.equal(dry.code, 0, dry.stderr);
    const planned = JSON.parse(dry.stdout) as { args: string[]; output: string }[];
    assert.deepEqual(planned[1].args, ['--lr', '0.01', '--model', '"resnet"', '--augment', 'False']);
    assert.equal(planned[1].output, join(project, 'notebooks', 'outputs', 'train-nb-2.ipynb'));

    const result = await cli(
      ['run', 'notebooks/train.ipynb', '--experiment-config', 'stdin', '--name', 'nb', '--', '--epochs', '2'],
      '{"lr": [0.1, 0.01], "model": "resnet", "augment": false}'
    );
    assert.equal(result.code, 0, result.stderr);
    for (const [index, lr] of [
      [1, '0.1'],
      [2, '0.01']
    ]) {
      const output = join(project, 'notebooks', 'outputs', `train-nb-${index}.ipynb`);
      const cells = executedCells(readFileSync(output, 'utf8'));
      assert.deepEqual(
        cells.map(c => c.tags),
        [['parameters'], ['injected-parameters'], [], []]
      );
      assert.match(cells[1].source, new RegExp(`^epochs = 2\nlr = ${lr}\nmodel = 'resnet'\naugment = False$`, 'm'));
      assert.equal(cells[2].text, `RESULT ${lr} 'resnet' False 2 /app/notebooks\n`);
      assert.match(result.stderr, new RegExp(`Job ${index}: executed notebook ${output}`));
    }
    const jobs = await status('nb');
    assert.deepEqual(
      jobs.map(j => [j.platform, j.state, j.output]),
      [1, 2].map(i => ['local', 'JOB_STATE_SUCCEEDED', join(project, 'notebooks', 'outputs', `train-nb-${i}.ipynb`)])
    );
  });

  it('keeps the executed notebook of a failing job, up to the failing cell, and records the failure', async () => {
    const result = await cli(['run', 'notebooks/train.ipynb', '--name', 'nbfail', '--', '--epochs', '-1']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /1 of 1 jobs failed/);
    const cells = executedCells(readFileSync(join(project, 'notebooks', 'outputs', 'train-nbfail-1.ipynb'), 'utf8'));
    assert.match(cells[2].text, /RESULT 0\.001 'mlp' True -1/);
    const [job] = await status('nbfail');
    assert.equal(job.state, 'JOB_STATE_FAILED');
    assert.match(job.error!, /code 1/);
  });

  it('injects at the top of a notebook without a parameters cell, and says so', async () => {
    const result = await cli(['run', 'notebooks/plain.ipynb', '--name', 'plain', '--', '--x', '5']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /ariel: warning: notebooks\/plain\.ipynb has no cell tagged "parameters"/);
    const cells = executedCells(readFileSync(join(project, 'notebooks', 'outputs', 'plain-plain-1.ipynb'), 'utf8'));
    assert.match(cells[0].source, /^x = 5$/m);
    assert.equal(cells[1].text, 'PLAIN 5\n');
  });

  it('records local jobs with the image, its Dockerfile and packages, and exports one', async () => {
    const out = join(dataDir, 'export');
    const exported = await cli(['export', 'nb-2', out]);
    assert.equal(exported.code, 0, exported.stderr);
    const job = JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')) as {
      platform: string;
      imageDigest: string;
      args: string[];
    };
    assert.equal(job.platform, 'local');
    assert.match(job.imageDigest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(job.args, ['--epochs', '2', '--lr', '0.01', '--model', '"resnet"', '--augment', 'False']);
    assert.match(readFileSync(join(out, 'Dockerfile'), 'utf8'), /"pip", "install", "ipykernel", "nbclient"/);
    assert.match(readFileSync(join(out, 'requirements.lock.txt'), 'utf8'), /^nbclient==.*\n(.*\n)*six==/m);

    // The folder alone runs the job again: its image loaded from image.tar once the engine lost it.
    execFileSync('docker', ['rmi', '-f', job.imageDigest]);
    const again = spawnSync('sh', [join(out, 'run.sh')], { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    const cells = executedCells(readFileSync(join(out, 'output', 'train-nb-2.ipynb'), 'utf8'));
    assert.equal(cells[2].text, "RESULT 0.01 'resnet' False 2 /app/notebooks\n");
  });

  it('records a job stopped with Ctrl-C as cancelled', async () => {
    const running = startCli(['run', 'nap.py', '--name', 'napper'], { cwd: project, env: { ARIEL_DATA_DIR: dataDir } });
    await eventually(() => /napping/.test(running.output().stdout), 'the job to start', 300_000);
    assert.deepEqual(
      (await status('napper')).map(j => j.state),
      ['JOB_STATE_RUNNING']
    );
    running.child.kill('SIGINT');
    const { code } = await running.result;
    assert.equal(code, 130);
    const [job] = await status('napper');
    assert.equal(job.state, 'JOB_STATE_CANCELLED');
    assert.equal(job.platform, 'local');
    const all = await cli(['status', '--json']);
    assert.deepEqual(
      (JSON.parse(all.stdout) as JobView[]).map(j => j.group),
      ['nb', 'nb', 'nbfail', 'plain', 'napper']
    );
  });
  /** The containers of a run group in this project, as `docker ps -a` lists them: id and state. */
  const containersOf = (group: string): { id: string; state: string }[] =>
    execFileSync(
      'docker',
      [
        'ps',
        '-a',
        '--filter',
        `label=org.ariel.group=${group}`,
        '--filter',
        `label=org.ariel.project=${project}`,
        '--format',
        '{{.ID}} {{.State}}'
      ],
      { encoding: 'utf8' }
    )
      .split('\n')
      .filter(Boolean)
      .map(line => ({ id: line.split(' ')[0], state: line.split(' ')[1] }));

  /** Starts `ariel run SCRIPT` of two jobs in the background; resolves once job `index` naps. */
  const startRun = async (script: string, group: string, jobs = 1) => {
    const running = startCli(['run', script, '--name', group, ...(jobs > 1 ? ['--experiment-config', 'stdin'] : [])], {
      cwd: project,
      env: { ARIEL_DATA_DIR: dataDir },
      stdin: jobs > 1 ? `{"n": [${[...Array(jobs).keys()]}]}` : ''
    });
    await eventually(() => /napping/.test(running.output().stdout), 'the first job to start', 300_000);
    return running;
  };

  it('stops a local job, then a whole local run, from another process', async () => {
    const running = await startRun('nap.py', 'stopper', 2);
    assert.equal(containersOf('stopper').length, 1);

    const one = await cli(['stop', '--job', 'stopper-1']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stderr, /Stopped 1 job/);
    assert.match(one.stdout, /stopper {2}#1 {2}CANCELLED/);
    // The run goes on with the next job.
    await eventually(() => /\[job 2\/2\] napping/.test(running.output().stdout), 'job 2 to start', 300_000);
    const [first, second] = await status('stopper');
    assert.equal(first.state, 'JOB_STATE_CANCELLED');
    assert.equal(first.error, 'Stopped on request.');
    assert.equal(second.state, 'JOB_STATE_RUNNING');

    const group = await cli(['stop', '--group', 'stopper']);
    assert.equal(group.code, 0, group.stderr);
    assert.match(group.stderr, /Job stopper-1 had already ended: cancelled/);
    const { code, stderr } = await running.result;
    assert.equal(code, 130, stderr);
    assert.match(stderr, /Stopped on request \(ariel stop\): job 1, job 2/);
    assert.deepEqual(
      (await status('stopper')).map(j => j.state),
      ['JOB_STATE_CANCELLED', 'JOB_STATE_CANCELLED']
    );
    assert.deepEqual(containersOf('stopper'), []);

    // Stopping what has ended says so, and is no error.
    const again = await cli(['stop', '--job', 'stopper-2']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Job stopper-2 had already ended: cancelled/);
    const unknown = await cli(['stop', '--job', 'nobody-1']);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /No job nobody-1 in the job history\.\n {2}List the recorded jobs and groups with: ariel status/
    );
  });

  it('keeps the history consistent when ariel run is killed (kill -9), and settles it from the container', async () => {
    // Still running after the kill: status says running, and stop ends it.
    const killed = await startRun('nap.py', 'killed');
    killed.child.kill('SIGKILL');
    assert.equal((await killed.result).signal, 'SIGKILL');
    const [job] = await status('killed');
    assert.equal(job.state, 'JOB_STATE_RUNNING');
    assert.equal(containersOf('killed')[0]?.state, 'running');
    const stop = await cli(['stop', '--job', 'killed-1']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await status('killed'))[0].state, 'JOB_STATE_CANCELLED');
    assert.deepEqual(containersOf('killed'), []);

    // Ended after the kill: its exit code decides, and its container is removed.
    const ended = await startRun('waiter.py', 'killed-ended');
    ended.child.kill('SIGKILL');
    await ended.result;
    const [container] = containersOf('killed-ended');
    execFileSync('docker', ['exec', container.id, 'touch', '/tmp/go']);
    execFileSync('docker', ['wait', container.id]);
    const [failed] = await status('killed-ended');
    assert.equal(failed.state, 'JOB_STATE_FAILED');
    assert.match(failed.error!, /Exited with code 3/);
    assert.deepEqual(containersOf('killed-ended'), []);

    // Gone with it: failed, and why.
    const gone = await startRun('nap.py', 'killed-gone');
    gone.child.kill('SIGKILL');
    await gone.result;
    execFileSync('docker', ['rm', '-f', containersOf('killed-gone')[0].id]);
    const [lost] = await status('killed-gone');
    assert.equal(lost.state, 'JOB_STATE_FAILED');
    assert.match(lost.error!, /ended before recording how the job ended, and its container is gone/);
  });
});
