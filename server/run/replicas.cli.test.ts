/**
 * `ariel run --replicas N`, the local rehearsal of a Vertex AI distributed job: the real CLI
 * starts the primary and N workers as containers on a private network, each with the
 * environment Vertex AI would give it, and leaves no container or network behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startCli } from '../testing/cli.js';
import { LABELS } from '../docker/labels.js';
import { removeImagesOf } from '../testing/docker.js';
import { GpuEngine } from '../testing/gpuEngine.js';
import { eventually } from '../testing/eventually.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';

/**
 * What TensorFlow and a CLUSTER_SPEC reader would check, without TensorFlow: both variables name
 * the same replicas in the same order, this replica is where its task says, and every host
 * answers on the job's network. Prints the cluster (the same line on every replica) and the task.
 */
const CHECK_CLUSTER = `import json, os, socket, time
tf = json.loads(os.environ["TF_CONFIG"])
spec = json.loads(os.environ["CLUSTER_SPEC"])
names = {"workerpool0": "chief", "workerpool1": "worker", "workerpool2": "ps"}
assert tf["environment"] == spec["environment"] == "cloud", "environment"
assert {names[k]: v for k, v in spec["cluster"].items() if k in names} == tf["cluster"], "same replicas"
assert "evaluator" not in tf["cluster"], "no evaluator in TF's cluster"
me = spec["cluster"][spec["task"]["type"]][spec["task"]["index"]]
assert tf["cluster"][tf["task"]["type"]][tf["task"]["index"]] == me, "same task"
assert me.split(":")[0] == socket.gethostname(), (me, socket.gethostname())
def resolve(host):
    # The others may still be starting: their names resolve once they are on the network.
    for _ in range(300):
        try:
            return socket.gethostbyname(host)
        except OSError:
            time.sleep(0.2)
    return socket.gethostbyname(host)
for hosts in spec["cluster"].values():
    for address in hosts:
        resolve(address.split(":")[0])
shm = os.statvfs("/dev/shm")
print("SHM", shm.f_blocks * shm.f_frsize // 2**20, flush=True)
print("CLUSTER", json.dumps(spec["cluster"], sort_keys=True), flush=True)
print("TASK", tf["task"]["type"], tf["task"]["index"], os.environ.get("RANK"), os.environ.get("WORLD_SIZE"), os.environ.get("MASTER_ADDR"), os.environ.get("MASTER_PORT"), flush=True)
# A rendezvous at the primary, so nobody ends (and leaves the network) before all have looked.
port, world = int(os.environ["MASTER_PORT"]), int(os.environ["WORLD_SIZE"])
if os.environ["RANK"] == "0":
    server = socket.create_server(("", port))
    peers = [server.accept()[0] for _ in range(world - 1)]
    for peer in peers:
        peer.recv(16)
        peer.close()
else:
    for _ in range(300):
        try:
            peer = socket.create_connection((os.environ["MASTER_ADDR"], port))
            break
        except OSError:
            time.sleep(0.2)
    peer.sendall(b"done")
    peer.recv(16)
`;

/** The primary waits until told to end; a worker fails with code 3 once it has started. */
const FAILING_WORKER = `import os, sys, time
print("started", os.environ["RANK"], flush=True)
if os.environ["RANK"] != "0":
    time.sleep(1)
    sys.exit(3)
time.sleep(600)
`;

/** Each replica waits until told to end (docker exec … touch /tmp/go), then ends with 0. */
const WAITER = `import os, time
print("waiting", os.environ["RANK"], flush=True)
while not os.path.exists("/tmp/go"):
    time.sleep(0.2)
`;

const NAP = `import os, time
print("napping", os.environ["RANK"], flush=True)
time.sleep(600)
`;

describe('ariel run --replicas: the local rehearsal of a distributed job', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ariel-data-'));
  let project: string;
  const cli = (args: string[]) => runCli(args, { cwd: project, env: { ARIEL_DATA_DIR: dataDir } });
  const status = async (group: string): Promise<{ state: string; error: string | null }[]> => {
    const result = await cli(['status', '--group', group, '--json']);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as { state: string; error: string | null }[];
  };
  /** What the engine still holds of this project: containers (any state) and networks. */
  const leftovers = () => ({
    containers: execFileSync('docker', ['ps', '-aq', '--filter', `label=org.ariel.project=${project}`], {
      encoding: 'utf8'
    }).trim(),
    networks: execFileSync('docker', ['network', 'ls', '-q', '--filter', `label=org.ariel.project=${project}`], {
      encoding: 'utf8'
    }).trim()
  });

  before(() => {
    project = tempProject(
      {
        '.ariel.json': '{}\n',
        'check_cluster.py': CHECK_CLUSTER,
        'failing.py': FAILING_WORKER,
        'nap.py': NAP,
        'waiter.py': WAITER,
        'notebook.ipynb': '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
      },
      'replicas'
    );
  });

  after(() => {
    removeImagesOf(project);
    removeTempProjects();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows each replica and its Vertex AI environment with --dry-run --json', async () => {
    const dry = await cli(['run', 'check_cluster.py', '--replicas', '2', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    const [job] = JSON.parse(dry.stdout) as {
      workers: number;
      replicas: { replica: string; env: Record<string, string> }[];
    }[];
    assert.equal(job.workers, 2);
    assert.deepEqual(
      job.replicas.map(r => [r.replica, r.env.RANK, r.env.WORLD_SIZE, r.env.MASTER_ADDR]),
      [
        ['primary', '0', '3', 'workerpool0-0'],
        ['worker-0', '1', '3', 'workerpool0-0'],
        ['worker-1', '2', '3', 'workerpool0-0']
      ]
    );
    assert.deepEqual(JSON.parse(job.replicas[2].env.TF_CONFIG).task, { type: 'worker', index: 1 });
  });

  it('gives every replica TF_CONFIG and CLUSTER_SPEC that name all replicas consistently', async () => {
    const result = await cli(['run', 'check_cluster.py', '--replicas', '2', '--shm-size', '96m', '--name', 'cluster']);
    assert.equal(result.code, 0, result.stderr);
    const clusters = [...result.stdout.matchAll(/^\[job 1\/1\] \[([\w-]+)\] CLUSTER (.*)$/gm)];
    assert.deepEqual(
      clusters.map(m => m[1]).sort(),
      ['primary', 'worker-0', 'worker-1'],
      result.stdout + result.stderr
    );
    assert.equal(new Set(clusters.map(m => m[2])).size, 1, 'every replica sees the same cluster');
    assert.deepEqual(JSON.parse(clusters[0][2]), {
      workerpool0: ['workerpool0-0:2222'],
      workerpool1: ['workerpool1-0:2222', 'workerpool1-1:2222']
    });
    const tasks = [...result.stdout.matchAll(/^\[job 1\/1\] \[([\w-]+)\] TASK (.*)$/gm)].map(m => `${m[1]} ${m[2]}`);
    assert.deepEqual(tasks.sort(), [
      'primary chief 0 0 3 workerpool0-0 2222',
      'worker-0 worker 0 1 3 workerpool0-0 2222',
      'worker-1 worker 1 2 3 workerpool0-0 2222'
    ]);
    // Run-time settings apply to every replica.
    assert.deepEqual(
      [...result.stdout.matchAll(/^\[job 1\/1\] \[([\w-]+)\] SHM (\d+)$/gm)].map(m => `${m[1]} ${m[2]}`).sort(),
      ['primary 96', 'worker-0 96', 'worker-1 96']
    );
    // The job's kept log holds every replica's lines, by replica.
    const logs = await cli(['logs', 'cluster']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /\[worker-1\] TASK worker 1 2 3/);
    assert.deepEqual(
      (await status('cluster')).map(j => j.state),
      ['JOB_STATE_SUCCEEDED']
    );
    assert.deepEqual(leftovers(), { containers: '', networks: '' });
  });

  it("stops the primary when a worker fails, and fails the job with the worker's exit code", async () => {
    const result = await cli(['run', 'failing.py', '--replicas', '1', '--name', 'failing']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /worker-0 exited with code 3: stopping the other replicas/);
    assert.match(result.stderr, /1 of 1 jobs failed: job 1 \(exit code 3/);
    const [job] = await status('failing');
    assert.equal(job.state, 'JOB_STATE_FAILED');
    assert.deepEqual(leftovers(), { containers: '', networks: '' });
  });

  it('refuses a reduction server locally, saying where it runs', async () => {
    const result = await cli(['run', 'nap.py', '--replicas', '1', '--reduction-server', '1']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /reduction server runs Vertex AI's own reduction-server image/);
    assert.match(result.stderr, /ariel cloud … --replicas N --reduction-server M/);
  });

  it('refuses a notebook, which would be executed into one file by every replica', async () => {
    const result = await cli(['run', 'notebook.ipynb', '--replicas', '1']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /notebook\.ipynb is a notebook: each replica would write the same executed notebook/);
  });

  it('leaves no container or network behind after a killed ariel run (kill -9) and ariel stop', async () => {
    const running = startCli(['run', 'nap.py', '--replicas', '1', '--name', 'killed'], {
      cwd: project,
      env: { ARIEL_DATA_DIR: dataDir }
    });
    await eventually(
      () => /napping 0/.test(running.output().stdout) && /napping 1/.test(running.output().stdout),
      'both replicas to start',
      300_000
    );
    running.child.kill('SIGKILL');
    assert.equal((await running.result).signal, 'SIGKILL');
    assert.notDeepEqual(leftovers(), { containers: '', networks: '' });
    assert.deepEqual(
      (await status('killed')).map(j => j.state),
      ['JOB_STATE_RUNNING']
    );
    const stop = await cli(['stop', '--job', 'killed-1']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.deepEqual(
      (await status('killed')).map(j => j.state),
      ['JOB_STATE_CANCELLED']
    );
    assert.deepEqual(leftovers(), { containers: '', networks: '' });
  });

  it('settles a distributed job whose ariel run was killed from its replicas once they end', async () => {
    const running = startCli(['run', 'waiter.py', '--replicas', '1', '--name', 'orphan'], {
      cwd: project,
      env: { ARIEL_DATA_DIR: dataDir }
    });
    await eventually(
      () => /waiting 0/.test(running.output().stdout) && /waiting 1/.test(running.output().stdout),
      'both replicas to start',
      300_000
    );
    running.child.kill('SIGKILL');
    await running.result;
    const ids = leftovers().containers.split('\n');
    assert.equal(ids.length, 2);
    for (const id of ids) {
      execFileSync('docker', ['exec', id, 'touch', '/tmp/go']);
      execFileSync('docker', ['wait', id]);
    }
    assert.deepEqual(
      (await status('orphan')).map(j => j.state),
      ['JOB_STATE_SUCCEEDED']
    );
    assert.deepEqual(leftovers(), { containers: '', networks: '' });
  });

  it('stops a running distributed job from another shell: every replica and the network removed', async () => {
    const running = startCli(['run', 'nap.py', '--replicas', '1', '--name', 'stopped'], {
      cwd: project,
      env: { ARIEL_DATA_DIR: dataDir }
    });
    await eventually(
      () => /napping 0/.test(running.output().stdout) && /napping 1/.test(running.output().stdout),
      'both replicas to start',
      300_000
    );
    const stop = await cli(['stop', '--job', 'stopped-1']);
    assert.equal(stop.code, 0, stop.stderr);
    const { code, stderr } = await running.result;
    assert.equal(code, 130, stderr);
    assert.match(stderr, /Stopped on request \(ariel stop\): job 1/);
    assert.doesNotMatch(stderr, /stopping the other replicas/, 'a stop is no failure of a replica');
    assert.deepEqual(
      (await status('stopped')).map(j => j.state),
      ['JOB_STATE_CANCELLED']
    );
    assert.deepEqual(leftovers(), { containers: '', networks: '' });
  });

  it('leaves no container or network behind after Ctrl-C', async () => {
    const running = startCli(['run', 'nap.py', '--replicas', '1', '--name', 'interrupted'], {
      cwd: project,
      env: { ARIEL_DATA_DIR: dataDir }
    });
    await eventually(
      () => /napping 0/.test(running.output().stdout) && /napping 1/.test(running.output().stdout),
      'both replicas to start',
      300_000
    );
    running.child.kill('SIGINT');
    assert.equal((await running.result).code, 130);
    assert.deepEqual(leftovers(), { containers: '', networks: '' });
  });

  it('gives each replica GPUs of its own', async () => {
    // An engine that claims GPUs: it records each container's device requests and runs it on the CPU.
    const engine = new GpuEngine();
    await engine.listen();
    try {
      const base = /^FROM (\S+) AS ariel-base$/m.exec((await cli(['dockerfile', '--mode', 'run'])).stdout)?.[1];
      const result = await runCli(['run', '--gpu', '--gpus', '0,1', 'check_cluster.py', '--replicas', '1'], {
        cwd: project,
        env: { ARIEL_DATA_DIR: dataDir, DOCKER_HOST: engine.host, ARIEL_BASE_IMAGE_GPU: base }
      });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const devices = engine.created
        .filter(c => c.labels[LABELS.role] === 'run')
        .map(c => [c.labels[LABELS.replica], (c.deviceRequests as { DeviceIDs?: string[] }[])[0]?.DeviceIDs]);
      assert.deepEqual(devices.sort(), [
        ['workerpool0-0', ['0']],
        ['workerpool1-0', ['1']]
      ]);
    } finally {
      engine.close();
    }
  });
});
