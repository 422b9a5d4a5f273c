/**
 * Cloud experiments through the companion server, as the sidebar uses them: the real server
 * (its bundle), the real Docker engine and a real registry on loopback, and the Vertex AI client
 * talking gRPC to the JobService emulator, which runs the jobs from the registry.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { VertexEmulator } from '../cloud/testing/emulator.js';
import { TestRegistry } from '../cloud/testing/registry.js';
import { executedCells, TRAIN_NOTEBOOK } from '../run/testing/notebook.js';
import { Companion } from '../testing/companion.js';
import { removeImagesOf } from '../testing/docker.js';
import { removeRegistryImages } from '../testing/registryImages.js';
import { removeTempProjects, tempProject, writeFiles } from '../testing/tempProject.js';
import type { Submission, SubmissionMessage } from './cloud.js';

const TRAIN = `import sys, time
args = sys.argv[1:]
print("ARGS", " ".join(args))
if "--sleep" in args:
    time.sleep(float(args[args.index("--sleep") + 1]))
sys.exit(3 if "--fail" in args else 0)
`;

interface JobJson {
  id: number;
  experiment: number;
  attempt: number;
  state: string;
  final: boolean;
  args: string[];
  remoteName: string | null;
  console: string | null;
}

interface GroupJson {
  name: string;
  image: string;
  jobs: JobJson[];
}

interface ErrorJson {
  code: string;
  message: string;
  hint?: string;
}

/** Asks `check` again until it gives a value; the deadline only keeps a broken run from hanging. */
async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
}

describe('cloud experiments through the companion server', () => {
  const docker = new Docker();
  const registry = new TestRegistry();
  const dataDir = mkdtempSync(join(tmpdir(), 'ariel-data-'));
  // The emulator keeps what jobs write to gs://BUCKET/… under gcsRoot/BUCKET/….
  const gcsRoot = join(dataDir, 'gcs');
  const emulator = new VertexEmulator({ docker, gcsRoot });
  const jupyterRoot = tempProject({});
  const companion = new Companion(jupyterRoot);
  const folder = 'cloudui-proj';
  const projectRoot = join(jupyterRoot, folder);
  let repository: string;

  const request = (name: string, more: Record<string, unknown> = {}) => ({
    path: folder,
    target: 'trainer.train',
    projectId: 'test-proj',
    region: 'us-central1',
    machineType: 'n1-standard-4',
    imageRepository: repository,
    name,
    ...more
  });

  /** Submits and collects the submission's events until its final state. */
  const submit = async (body: Record<string, unknown>) => {
    const started = await companion.request<{ submission: Submission }>('POST', '/cloud/submissions', body);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const ws = companion.socket(`/cloud/submissions/${started.body.submission.id}/events`);
    const messages: SubmissionMessage[] = [];
    ws.on('message', data => messages.push(JSON.parse(String(data)) as SubmissionMessage));
    await once(ws, 'close');
    return messages;
  };

  const group = async (name: string): Promise<GroupJson> => {
    const { status, body } = await companion.request<{ groups: GroupJson[] }>(
      'GET',
      `/cloud/jobs?group=${encodeURIComponent(name)}`
    );
    assert.equal(status, 200);
    return body.groups[0];
  };

  before(async () => {
    await registry.start();
    await emulator.start();
    repository = `${registry.host}/ariel-ui-test`;
    writeFiles(projectRoot, {
      'requirements.txt': 'six\n',
      '.ariel.json': '{}\n',
      'trainer/__init__.py': '',
      'trainer/train.py': TRAIN,
      'notebooks/train.ipynb': TRAIN_NOTEBOOK
    });
    process.env.ARIEL_VERTEX_ENDPOINT = emulator.endpoint;
    process.env.ARIEL_DATA_DIR = dataDir;
    await companion.start();
  });

  after(async () => {
    assert.equal(await companion.stop(), 0, companion.stderr);
    await emulator.stop();
    await registry.stop();
    await removeRegistryImages(docker, repository);
    removeImagesOf(projectRoot);
    removeTempProjects();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('offers the machine table', async () => {
    const { status, body } = await companion.request<{
      machineFamilies: { machineTypes: string[]; accelerators: Record<string, number[]> }[];
      regions: Record<string, string[]>;
    }>('GET', '/cloud/catalog');
    assert.equal(status, 200);
    const n1 = body.machineFamilies.find(row => row.machineTypes.includes('n1-standard-4'))!;
    assert.deepEqual(n1.accelerators.NVIDIA_TESLA_T4, [1, 2, 4]);
    assert.ok(body.regions['us-central1'].includes('NVIDIA_TESLA_T4'));
  });

  it('previews the expansion as one types, with config and target errors as data', async () => {
    const ok = await companion.request<{ count: number; jobs: { index: number; args: string[] }[]; command: string[] }>(
      'POST',
      '/cloud/preview',
      {
        path: folder,
        target: 'trainer.train',
        args: ['--data', 'd1'],
        experimentConfig: '# a sweep\n{"lr": [0.1, 0.01], "deep": [true, false]}'
      }
    );
    assert.equal(ok.status, 200);
    assert.equal(ok.body.count, 4);
    assert.deepEqual(ok.body.jobs[0], { index: 1, args: ['--data', 'd1', '--lr', '0.1', '--deep'] });
    assert.deepEqual(ok.body.command, ['python', '-m', 'trainer.train']);

    const broken = await companion.request<{ count: number; error: ErrorJson; targetError: ErrorJson }>(
      'POST',
      '/cloud/preview',
      { path: folder, target: 'trainer.nothere', experimentConfig: '{"lr": [0.1,' }
    );
    assert.equal(broken.status, 200);
    assert.equal(broken.body.count, 0);
    assert.equal(broken.body.error.code, 'experiment-config-invalid');
    assert.equal(broken.body.targetError.code, 'target-invalid');

    const empty = await companion.request<{ count: number }>('POST', '/cloud/preview', { path: folder });
    assert.equal(empty.body.count, 1);

    // A notebook is a valid target before its output folder is given (the form asks for it).
    const notebook = await companion.request<{
      count: number;
      jobs: { args: string[] }[];
      command?: string[];
      targetError?: ErrorJson;
    }>('POST', '/cloud/preview', {
      path: folder,
      target: 'notebooks/train.ipynb',
      experimentConfig: '{"lr": [0.5, 0.25], "model": ["cnn"]}'
    });
    assert.equal(notebook.status, 200);
    assert.equal(notebook.body.targetError, undefined, JSON.stringify(notebook.body.targetError));
    assert.equal(notebook.body.command, undefined);
    assert.deepEqual(
      notebook.body.jobs.map(job => job.args),
      [
        ['--lr', '0.5', '--model', '"cnn"'],
        ['--lr', '0.25', '--model', '"cnn"']
      ]
    );
  });

  it('refuses an invalid machine combination or request before building anything', async () => {
    const before = emulator.calls.CreateCustomJob;
    const combo = await companion.request<ErrorJson>(
      'POST',
      '/cloud/submissions',
      request('bad-combo', { machineType: 'g2-standard-4', acceleratorType: 'NVIDIA_TESLA_T4', acceleratorCount: 1 })
    );
    assert.equal(combo.status, 400);
    assert.equal(combo.body.code, 'cloud-spec-invalid');
    assert.match(combo.body.hint ?? '', /NVIDIA_L4/);
    const missing = await companion.request<ErrorJson>('POST', '/cloud/submissions', request('x', { projectId: '' }));
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, 'usage');
    const config = await companion.request<ErrorJson>(
      'POST',
      '/cloud/submissions',
      request('x', { experimentConfig: '{"lr": []}' })
    );
    assert.equal(config.status, 400);
    assert.equal(config.body.code, 'experiment-config-invalid');
    assert.equal(emulator.calls.CreateCustomJob, before);
  });

  it("refuses a distributed request whose workers' machine the table rules out, naming the workers", async () => {
    const before = emulator.calls.CreateCustomJob;
    const workers = await companion.request<ErrorJson>(
      'POST',
      '/cloud/submissions',
      request('bad-workers', {
        distributed: { replicas: 1, workerMachineType: 'g2-standard-4', workerAcceleratorType: 'NVIDIA_TESLA_T4' }
      })
    );
    assert.equal(workers.status, 400);
    assert.equal(workers.body.code, 'cloud-spec-invalid');
    assert.match(
      workers.body.message,
      /^The workers' machine: Machine type g2-standard-4 cannot carry NVIDIA_TESLA_T4/
    );
    const shape = await companion.request<ErrorJson>(
      'POST',
      '/cloud/submissions',
      request('x', { distributed: { replicas: '2' } })
    );
    assert.equal(shape.status, 400);
    assert.equal(shape.body.code, 'usage');
    assert.equal(emulator.calls.CreateCustomJob, before);
  });

  it('submits with per-job progress, lists live states to the end, resubmits the failed with the same digest', async () => {
    const messages = await submit(
      request('sweep', {
        args: ['--data', 'd1'],
        experimentConfig: '{"lr": [0.1], "fail": [false, true]}',
        labels: ['team=vision'],
        outputDir: 'gs://bucket/out',
        serviceAccount: 'trainer@test-proj.iam.gserviceaccount.com'
      })
    );
    const phases = messages.flatMap(m => (m.type === 'phase' ? [m.phase] : []));
    assert.deepEqual(phases, ['build', 'push', 'submit']);
    // Each layer's push status as it changes, not the engine's every progress line.
    const pushes = messages.flatMap(m => (m.type === 'push' ? [m] : []));
    assert.ok(pushes.some(p => /^(Pushed|Layer already exists)$/.test(p.status)));
    const lastStatus = new Map<string, string>();
    for (const { layer, status } of pushes) {
      assert.notEqual(lastStatus.get(layer), status, `${layer} ${status} twice in a row`);
      lastStatus.set(layer, status);
    }
    const planned = messages.find(m => m.type === 'planned');
    assert.deepEqual(planned?.type === 'planned' && planned.jobs.map(j => [j.displayName, j.args]), [
      ['sweep-1', ['--data', 'd1', '--lr', '0.1']],
      ['sweep-2', ['--data', 'd1', '--lr', '0.1', '--fail']]
    ]);
    const created = messages.flatMap(m => (m.type === 'created' ? [m.index] : []));
    assert.deepEqual(created.sort(), [1, 2]);
    const last = messages.at(-1)!;
    assert.equal(last.type === 'state' && last.submission.state, 'succeeded');

    // The jobs list asks the emulator until both have ended.
    const ended = await until(async () => {
      const found = await group('sweep');
      return found.jobs.every(job => job.final) ? found : undefined;
    }, 'the jobs to end');
    assert.deepEqual(
      ended.jobs.map(job => job.state),
      ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED']
    );
    assert.match(ended.image, new RegExp(`^${repository}/${folder}@sha256:[0-9a-f]{64}$`));
    assert.match(
      ended.jobs[0].console ?? '',
      /^https:\/\/console\.cloud\.google\.com\/vertex-ai\/locations\/us-central1\//
    );
    const remote = emulator.jobs.get(ended.jobs[0].remoteName!)!;
    assert.equal((remote.request.labels as Record<string, string>).team, 'vision');
    const spec = remote.request.jobSpec as { serviceAccount: string; baseOutputDirectory: { outputUriPrefix: string } };
    assert.equal(spec.serviceAccount, 'trainer@test-proj.iam.gserviceaccount.com');
    assert.equal(spec.baseOutputDirectory.outputUriPrefix, 'gs://bucket/out/sweep/1');

    const resubmitted = await companion.request<{ created: JobJson[] }>('POST', '/cloud/groups/sweep/resubmit');
    assert.equal(resubmitted.status, 200, JSON.stringify(resubmitted.body));
    assert.deepEqual(
      resubmitted.body.created.map(job => [job.experiment, job.attempt]),
      [[2, 2]]
    );
    const again = emulator.jobs.get(resubmitted.body.created[0].remoteName!)!;
    const pool = (again.request.jobSpec as { workerPoolSpecs: { containerSpec: { imageUri: string } }[] })
      .workerPoolSpecs[0];
    assert.equal(pool.containerSpec.imageUri, ended.image);
    await emulator.finished(again.name);

    // A name in use is refused before anything is built.
    const taken = await companion.request<ErrorJson>('POST', '/cloud/submissions', request('sweep'));
    assert.equal(taken.status, 400);
    assert.equal(taken.body.code, 'cloud-spec-invalid');
  });

  it('runs a notebook as the CLI does: typed values injected, the executed notebook in the output folder', async () => {
    const notebook = request('nbui', {
      target: 'notebooks/train.ipynb',
      args: ['--epochs', '3'],
      experimentConfig: '{"lr": [0.5], "model": ["cnn"], "augment": [false]}'
    });
    // Without an output folder there is nowhere to keep the executed notebook: refused before any build.
    const refused = await companion.request<ErrorJson>('POST', '/cloud/submissions', notebook);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 'cloud-output-missing');
    assert.doesNotMatch(refused.body.hint ?? '', /--output-dir/);

    mkdirSync(gcsRoot, { recursive: true });
    const messages = await submit({ ...notebook, outputDir: 'gs://bucket/runs' });
    const last = messages.at(-1)!;
    assert.equal(last.type === 'state' && last.submission.state, 'succeeded', JSON.stringify(last));
    const planned = messages.find(m => m.type === 'planned');
    // A notebook's values keep their Python types: false stays a value, not a missing flag.
    assert.deepEqual(planned?.type === 'planned' && planned.jobs[0].args, [
      '--epochs',
      '3',
      '--lr',
      '0.5',
      '--model',
      '"cnn"',
      '--augment',
      'False'
    ]);
    const [job] = (await group('nbui')).jobs;
    const done = await emulator.finished(job.remoteName!);
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED', done.output);
    const cells = executedCells(readFileSync(join(gcsRoot, 'bucket', 'runs', 'nbui', '1', 'train.ipynb'), 'utf8'));
    assert.deepEqual(cells[1].tags, ['injected-parameters']);
    assert.equal(cells[2].text, "RESULT 0.5 'cnn' False 3 /app/notebooks\n");
  });

  it('refuses with a conflict a group that is being submitted, and its resubmission', async () => {
    const started = await companion.request<{ submission: Submission }>('POST', '/cloud/submissions', request('busy'));
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const ws = companion.socket(`/cloud/submissions/${started.body.submission.id}/events`);
    const closed = once(ws, 'close');
    try {
      // The first submission is still building its image: nothing of it is in the history yet.
      const again = await companion.request<ErrorJson>('POST', '/cloud/submissions', request('busy'));
      assert.equal(again.status, 409, JSON.stringify(again.body));
      assert.equal(again.body.code, 'conflict');
      const resubmit = await companion.request<ErrorJson>('POST', '/cloud/groups/busy/resubmit');
      assert.equal(resubmit.status, 409, JSON.stringify(resubmit.body));
      assert.equal(resubmit.body.code, 'conflict');
    } finally {
      await companion.request('DELETE', `/cloud/submissions/${started.body.submission.id}`);
      await closed;
    }
  });

  it('cancels a running job', async () => {
    await submit(request('long', { args: ['--sleep', '120'] }));
    const running = await until(async () => {
      const found = await group('long');
      return found.jobs[0].state === 'JOB_STATE_RUNNING' ? found.jobs[0] : undefined;
    }, 'the job to run');
    const stopped = await companion.request<{ stopped: JobJson[] }>('POST', `/cloud/jobs/${running.id}/stop`);
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
    assert.equal(stopped.body.stopped.length, 1);
    await emulator.finished(running.remoteName!);
    assert.equal((await group('long')).jobs[0].state, 'JOB_STATE_CANCELLED');
    const unknown = await companion.request<ErrorJson>('POST', '/cloud/jobs/99999/stop');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'history-not-found');
  });
});
