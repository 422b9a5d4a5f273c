/**
 * A local sweep on GPUs through the real CLI, on an engine that claims GPUs (a proxy that records
 * each container's device requests and runs it on the CPU): jobs run side by side, each on its
 * own devices, never two at once on one device, and the rest wait for a device to free.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LABELS } from '../docker/labels.js';
import { runCli } from '../testing/cli.js';
import { removeImagesOf } from '../testing/docker.js';
import { GpuEngine } from '../testing/gpuEngine.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';

/**
 * Marks itself running in /shared, notes which jobs run beside it, and ends. Jobs 1 and 2 wait for
 * each other first: run one after another, the first would give up and fail.
 */
const SWEEP_JOB = `import json, os, sys, time
job = sys.argv[sys.argv.index('--job') + 1]
mine = f'/shared/running-{job}'
open(mine, 'w').close()
running = lambda: sorted(f.split('-')[1] for f in os.listdir('/shared') if f.startswith('running-'))
if int(job) <= 2:
    deadline = time.time() + 600
    while len(running()) < 2:
        if time.time() > deadline:
            sys.exit('no other job ran beside this one')
        time.sleep(0.1)
open(f'/shared/seen-{job}', 'w').write(json.dumps(running()))
time.sleep(0.5)
os.remove(mine)
`;

describe('ariel run --gpu --gpus-per-job', () => {
  after(() => removeTempProjects());

  it('runs 5 jobs on 2 GPUs at most 2 at a time, each on a device of its own, and finishes all', async () => {
    const engine = new GpuEngine();
    await engine.listen();
    const root = tempProject({ 'requirements.txt': 'six\n', 'sweep.py': SWEEP_JOB }, 'gpusweep');
    const shared = join(root, '..', 'shared');
    mkdirSync(shared);
    try {
      const base = /^FROM (\S+) AS ariel-base$/m.exec(
        (await runCli(['dockerfile', '--mode', 'run'], { cwd: root })).stdout
      )?.[1];
      const run = await runCli(
        [
          'run',
          '--gpu',
          '--gpus',
          '0,1',
          '--gpus-per-job',
          '1',
          '--mount',
          `${shared}:/shared:rw`,
          'sweep.py',
          '--experiment-config',
          'stdin'
        ],
        { cwd: root, env: { DOCKER_HOST: engine.host, ARIEL_BASE_IMAGE_GPU: base }, stdin: '{"job": [1, 2, 3, 4, 5]}' }
      );
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);

      const device = new Map<string, string>();
      for (const created of engine.created.filter(c => c.labels[LABELS.role] === 'run')) {
        const requests = created.deviceRequests as { DeviceIDs?: string[]; Count?: number }[];
        assert.equal(requests.length, 1);
        assert.equal(requests[0].Count, undefined, 'a sweep job asked for all GPUs');
        assert.equal(requests[0].DeviceIDs?.length, 1);
        device.set(created.labels[LABELS.job], requests[0].DeviceIDs![0]);
      }
      assert.deepEqual([...device.keys()].sort(), ['1', '2', '3', '4', '5']);
      assert.deepEqual([...new Set(device.values())].sort(), ['0', '1']);
      for (const job of ['1', '2', '3', '4', '5']) {
        const beside = JSON.parse(readFileSync(join(shared, `seen-${job}`), 'utf8')) as string[];
        assert.ok(beside.includes(job));
        assert.ok(beside.length <= 2, `job ${job} ran beside ${beside.join(', ')}`);
        const devices = beside.map(other => device.get(other));
        assert.equal(new Set(devices).size, devices.length, `jobs ${beside.join(', ')} shared a device`);
      }
      assert.deepEqual(JSON.parse(readFileSync(join(shared, 'seen-1'), 'utf8')), ['1', '2']);
    } finally {
      engine.close();
      removeImagesOf(root);
    }
  });
});
