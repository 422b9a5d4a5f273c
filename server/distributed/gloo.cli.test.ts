/**
 * Real distributed code: the example's PyTorch training step (examples/distributed) run with
 * `ariel run --replicas 1` as two processes in two containers, joined by torch.distributed's
 * gloo backend through the rendezvous variables Vertex AI sets.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { runCli } from '../testing/cli.js';
import { removeImagesOf } from '../testing/docker.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { serveWheels, torchRequirements, torchWheelFolder } from '../testing/torchWheels.js';

/** The example's training code, from the compiled test's folder (dist/server/distributed). */
const EXAMPLE_TRAIN = fileURLToPath(new URL('../../../examples/distributed/trainer/train.py', import.meta.url));

describe('torch.distributed (gloo) across the replicas of ariel run --replicas', () => {
  const wheels = torchWheelFolder();
  const dataDir = mkdtempSync(join(tmpdir(), 'ariel-data-'));
  let project = '';
  let wheelServer: { close: () => void } | undefined;

  before(async () => {
    if (!wheels) {
      return;
    }
    const served = await serveWheels(wheels);
    wheelServer = served.server;
    project = tempProject(
      {
        '.ariel.json': '{}\n',
        'requirements.txt': torchRequirements(served.url),
        'trainer/__init__.py': '',
        'trainer/train.py': readFileSync(EXAMPLE_TRAIN, 'utf8')
      },
      'gloo'
    );
  });

  after(() => {
    wheelServer?.close();
    if (project) {
      removeImagesOf(project);
    }
    removeTempProjects();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'all-reduces across two containers, each rank with RANK and WORLD_SIZE as Vertex AI sets them',
    { skip: !wheels && "needs PyTorch's CPU wheel in pip's find-links folder" },
    async () => {
      const result = await runCli(['run', 'trainer.train', '--replicas', '1', '--name', 'gloo', '--', '--steps', '3'], {
        cwd: project,
        env: { ARIEL_DATA_DIR: dataDir },
        timeoutMs: 900_000
      });
      assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr.slice(-3000));
      const out = result.stdout;
      assert.match(
        out,
        /^\[job 1\/1\] \[primary\] rank 0 of 2: RANK=0 WORLD_SIZE=2 MASTER_ADDR=workerpool0-0 task=workerpool0\/0$/m
      );
      assert.match(
        out,
        /^\[job 1\/1\] \[worker-0\] rank 1 of 2: RANK=1 WORLD_SIZE=2 MASTER_ADDR=workerpool0-0 task=workerpool1\/0$/m
      );
      assert.match(out, /^\[job 1\/1\] \[primary\] rank 0: all_reduce sum 3 \(expected 3\)$/m);
      assert.match(out, /^\[job 1\/1\] \[worker-0\] rank 1: all_reduce sum 3 \(expected 3\)$/m);
      assert.match(out, /^\[job 1\/1\] \[primary\] rank 0: weights in sync True$/m);
      assert.match(out, /^\[job 1\/1\] \[worker-0\] rank 1: weights in sync True$/m);
      const left = execFileSync('docker', ['network', 'ls', '-q', '--filter', `label=org.ariel.project=${project}`], {
        encoding: 'utf8'
      });
      assert.equal(left.trim(), '', 'the job network is removed');
    }
  );
});
