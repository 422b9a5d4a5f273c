/**
 * Distributed training on Vertex AI, end to end as a user runs it: `ariel cloud --replicas 1`
 * builds a PyTorch project, pushes it to a registry on loopback and creates one CustomJob with two
 * worker pools in the JobService emulator, which runs one container per replica on a private
 * network with the environment Vertex AI sets. The training step all-reduces a tensor with
 * torch.distributed's gloo backend across the two containers. The tests run in order.
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { runCli, type CliResult } from '../testing/cli.js';
import { removeImagesOf } from '../testing/docker.js';
import { eventually } from '../testing/eventually.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { serveWheels, torchRequirements, torchWheelFolder } from '../testing/torchWheels.js';
import { removeRegistryImages } from '../testing/registryImages.js';
import pools from './pools.json' with { type: 'json' };
import { EMULATOR_LABEL, VertexEmulator, type EmulatedJob } from './testing/emulator.js';
import { cloudSubmitArgs } from './testing/fixtures.js';
import { TestRegistry } from './testing/registry.js';

/** Each rank all-reduces RANK + 1: with two ranks the sum is 3. It prints what it saw. */
const TRAIN = `import json, os, sys, time
if "--fail-worker" in sys.argv and os.environ["RANK"] != "0":
    sys.exit(5)
import torch
import torch.distributed as dist
dist.init_process_group("gloo", init_method="env://")
rank, world = dist.get_rank(), dist.get_world_size()
value = torch.tensor([float(rank + 1)])
dist.all_reduce(value, op=dist.ReduceOp.SUM)
tf_config, cluster_spec = json.loads(os.environ["TF_CONFIG"]), json.loads(os.environ["CLUSTER_SPEC"])
print("RESULT " + json.dumps({
    "rank": rank, "world": world, "sum": value.item(), "args": sys.argv[1:],
    "env": {k: os.environ[k] for k in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")},
    "tf_task": tf_config["task"], "tf_cluster": tf_config["cluster"],
    "cluster_task": cluster_spec["task"], "cluster": cluster_spec["cluster"],
}), flush=True)
if "--sleep" in sys.argv:
    time.sleep(600)
dist.destroy_process_group()
`;

interface Result {
  rank: number;
  world: number;
  sum: number;
  args: string[];
  env: Record<string, string>;
  tf_task: { type: string; index: number };
  tf_cluster: Record<string, string[]>;
  cluster_task: { type: string; index: number };
  cluster: Record<string, string[]>;
}

interface JobView {
  experiment: number;
  attempt: number;
  state: string;
  platform: string;
  workers?: { replicaCount: number; machineType: string };
}

type Pool = { replicaCount: string; machineSpec: { machineType: string }; containerSpec: Record<string, unknown> };
const poolsOf = (job: EmulatedJob) => (job.request.jobSpec as { workerPoolSpecs: Pool[] }).workerPoolSpecs;

function show(result: CliResult): string {
  return `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

function resultOf(output: string | undefined): Result {
  const line = (output ?? '').split('\n').find(l => l.startsWith('RESULT '));
  assert.ok(line, `no RESULT line in:\n${output}`);
  return JSON.parse(line.slice('RESULT '.length)) as Result;
}

describe('ariel cloud --replicas', { timeout: 1_800_000 }, () => {
  const wheels = torchWheelFolder();
  const skip = !wheels && "needs PyTorch's CPU wheel in pip's find-links folder";
  const docker = new Docker();
  const registry = new TestRegistry();
  const dataDir = mkdtempSync(join(tmpdir(), 'ariel-data-'));
  const emulator = new VertexEmulator({ docker });
  let files: Server | undefined;
  let project: string;
  let env: Record<string, string>;
  let repository: string;

  const cli = (args: string[]) => runCli(args, { cwd: project, env });
  const submitArgs = (name: string, ...more: string[]) => cloudSubmitArgs(repository, name, ...more);
  const groupJobs = (name: string) => emulator.jobsOfGroup(name);
  /** The emulator's containers and networks of a job, once it has ended: none are left. */
  const leftovers = async (job: EmulatedJob) => [
    ...(await docker.listContainers({ all: true, filters: { label: [`${EMULATOR_LABEL}=${job.name}`] } })).map(
      c => c.Id
    ),
    ...(await docker.listNetworks({ filters: { label: [`${EMULATOR_LABEL}=${job.name}`] } })).map(n => n.Name)
  ];

  before(async () => {
    if (!wheels) {
      return;
    }
    await registry.start();
    await emulator.start();
    const served = await serveWheels(wheels);
    files = served.server;
    repository = `${registry.host}/ariel-test`;
    project = tempProject(
      {
        'requirements.txt': torchRequirements(served.url),
        '.ariel.json': '{}\n',
        'trainer/__init__.py': '',
        'trainer/train.py': TRAIN
      },
      'distproj'
    );
    env = { ARIEL_VERTEX_ENDPOINT: emulator.endpoint, ARIEL_DATA_DIR: dataDir };
  });

  after(async () => {
    await emulator.stop();
    await registry.stop();
    files?.close();
    // The pushed tag and the images the emulator pulled by digest.
    if (repository) {
      await removeRegistryImages(docker, repository);
    }
    if (project) {
      removeImagesOf(project);
    }
    removeTempProjects();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the worker pools of every experiment in a dry run', { skip }, async () => {
    const result = await runCli(
      [
        ...submitArgs('plan', '--replicas', '2', '--reduction-server', '1', '--dry-run', '--json'),
        '--experiment-config',
        'stdin'
      ],
      { cwd: project, env, stdin: '{"lr": [0.1, 0.01]}' }
    );
    assert.equal(result.code, 0, show(result));
    const jobs = JSON.parse(result.stdout) as {
      workers: { replicaCount: number; machineType: string };
      reductionServers: { replicaCount: number; image: string };
    }[];
    assert.equal(jobs.length, 2);
    for (const job of jobs) {
      assert.deepEqual([job.workers.replicaCount, job.workers.machineType], [2, 'n1-standard-4']);
      assert.deepEqual(
        [job.reductionServers.replicaCount, job.reductionServers.image],
        [1, pools.reductionServer.imageUri]
      );
    }
    assert.match(result.stderr, /Reduction Server speeds up only NCCL's all-reduce between GPU machines/);
    assert.equal(emulator.calls.CreateCustomJob, 0);
  });

  it('runs the primary and a worker in two containers whose gloo all-reduce sums across both', { skip }, async () => {
    const result = await cli(submitArgs('gloo', '--replicas', '1', '--', '--epochs', '1'));
    assert.equal(result.code, 0, show(result));
    const [job] = groupJobs('gloo');
    assert.ok(job, 'one job was created');
    const specs = poolsOf(job);
    assert.deepEqual(
      specs.map(pool => Number(pool.replicaCount)),
      [1, 1]
    );
    assert.deepEqual(
      specs[1].containerSpec,
      specs[0].containerSpec,
      'the workers run the same image, command and args'
    );
    assert.match(specs[0].containerSpec.imageUri as string, /@sha256:[0-9a-f]{64}$/);

    const done = await emulator.finished(job.name);
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED', `${done.error}\n${done.output}`);
    assert.deepEqual(
      done.replicas!.map(r => [r.label, r.started, r.exitCode]),
      [
        ['primary', true, 0],
        ['worker-0', true, 0]
      ]
    );
    const [primary, worker] = done.replicas!.map(r => resultOf(r.output));
    const cluster = { workerpool0: ['workerpool0-0:2222'], workerpool1: ['workerpool1-0:2222'] };
    const tfCluster = { chief: ['workerpool0-0:2222'], worker: ['workerpool1-0:2222'] };
    for (const [rank, seen] of [primary, worker].entries()) {
      assert.equal(seen.sum, 3, 'the all-reduced sum of RANK + 1 over both ranks');
      assert.deepEqual([seen.rank, seen.world], [rank, 2]);
      assert.deepEqual(seen.env, {
        RANK: String(rank),
        WORLD_SIZE: '2',
        MASTER_ADDR: 'workerpool0-0',
        MASTER_PORT: '2222'
      });
      assert.deepEqual(seen.tf_cluster, tfCluster);
      assert.deepEqual(seen.cluster, cluster);
      assert.deepEqual(seen.args, ['--epochs', '1']);
    }
    assert.deepEqual(primary.tf_task, { type: 'chief', index: 0 });
    assert.deepEqual(worker.tf_task, { type: 'worker', index: 0 });
    assert.deepEqual(primary.cluster_task, { type: 'workerpool0', index: 0 });
    assert.deepEqual(worker.cluster_task, { type: 'workerpool1', index: 0 });
    assert.deepEqual(await leftovers(done), [], 'the containers and the network are removed');

    const status = await cli(['status', '--group', 'gloo', '--json']);
    assert.equal(status.code, 0, show(status));
    const [view] = JSON.parse(status.stdout) as JobView[];
    assert.deepEqual([view.platform, view.state, view.workers?.replicaCount], ['vertex', 'JOB_STATE_SUCCEEDED', 1]);
  });

  it('resubmits a distributed job with its pools, and exports them', { skip }, async () => {
    const [first] = groupJobs('gloo');
    const result = await cli(['resubmit', '--group', 'gloo', '--all-jobs', '--json']);
    assert.equal(result.code, 0, show(result));
    const again = groupJobs('gloo').filter(j => j.name !== first.name);
    assert.equal(again.length, 1);
    assert.deepEqual(poolsOf(again[0]), poolsOf(first));
    const done = await emulator.finished(again[0].name);
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED', `${done.error}\n${done.output}`);
    assert.equal(resultOf(done.replicas![1].output).sum, 3);

    const out = join(dataDir, 'export');
    const exported = await cli(['export', 'gloo-1', out]);
    assert.equal(exported.code, 0, show(exported));
    const job = JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')) as {
      attempt: number;
      spec: { workers: { replicaCount: number } };
    };
    assert.deepEqual([job.attempt, job.spec.workers.replicaCount], [2, 1]);
    assert.match(readFileSync(join(out, 'run.sh'), 'utf8'), /runs the primary alone/);
  });

  it('records a Reduction Server pool and starts no container for it, saying so', { skip }, async () => {
    const result = await cli(submitArgs('reduce', '--replicas', '1', '--reduction-server', '1'));
    assert.equal(result.code, 0, show(result));
    const [job] = groupJobs('reduce');
    const specs = poolsOf(job);
    assert.deepEqual(specs[2].containerSpec, { imageUri: pools.reductionServer.imageUri });
    const done = await emulator.finished(job.name);
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED', `${done.error}\n${done.output}`);
    assert.deepEqual(
      done.replicas!.map(r => [r.label, r.started]),
      [
        ['primary', true],
        ['worker-0', true],
        ['reduction-server-0', false]
      ]
    );
    assert.match(done.output!, /\[reduction-server-0\] not started: the Reduction Server runs Vertex AI's own image/);
    // Named in the cluster as Vertex AI names it; not a PyTorch rank.
    const primary = resultOf(done.replicas![0].output);
    assert.deepEqual(primary.cluster.workerpool2, ['workerpool2-0:2222']);
    assert.deepEqual(primary.tf_cluster.ps, ['workerpool2-0:2222']);
    assert.deepEqual([primary.world, primary.sum], [2, 3]);
    assert.deepEqual(await leftovers(done), []);
  });

  it('fails the job when a worker fails, and stops the primary waiting for it', { skip }, async () => {
    const result = await cli(submitArgs('broken', '--replicas', '1', '--', '--fail-worker'));
    assert.equal(result.code, 0, show(result));
    const [job] = groupJobs('broken');
    const done = await emulator.finished(job.name);
    assert.equal(done.state, 'JOB_STATE_FAILED');
    assert.equal(done.error, 'The replica workerpool1-0 exited with a non-zero status of 5.');
    assert.deepEqual(await leftovers(done), [], 'the primary was stopped and removed with the network');
    const status = await cli(['status', '--group', 'broken', '--json']);
    assert.equal((JSON.parse(status.stdout) as JobView[])[0].state, 'JOB_STATE_FAILED');
  });

  it('cancels every replica of a running job with ariel stop', { skip }, async () => {
    const result = await cli(submitArgs('long', '--replicas', '1', '--', '--sleep'));
    assert.equal(result.code, 0, show(result));
    const [job] = groupJobs('long');
    await eventually(
      () => (job.replicas ?? []).length === 2 && job.state === 'JOB_STATE_RUNNING',
      'both replicas to run'
    );
    const stopped = await cli(['stop', '--group', 'long']);
    assert.equal(stopped.code, 0, show(stopped));
    const done = await emulator.finished(job.name);
    assert.equal(done.state, 'JOB_STATE_CANCELLED');
    assert.deepEqual(await leftovers(done), []);
  });
});
