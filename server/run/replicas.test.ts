import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ArielError } from '../errors.js';
import { replicaSlotBundles } from './jobs.js';
import { planReplicas, refuseLocalReductionServer } from './replicas.js';

describe('planReplicas', () => {
  it('names the primary and the workers by their host on the job network, each with its rank', () => {
    const planned = planReplicas(2, 'ariel/p:run-cpu-1', ['--lr', '0.1']);
    assert.deepEqual(
      planned.map(p => [p.label, p.replica.host, p.env.RANK, p.env.WORLD_SIZE, p.env.MASTER_ADDR]),
      [
        ['primary', 'workerpool0-0', '0', '3', 'workerpool0-0'],
        ['worker-0', 'workerpool1-0', '1', '3', 'workerpool0-0'],
        ['worker-1', 'workerpool1-1', '2', '3', 'workerpool0-0']
      ]
    );
    const spec = JSON.parse(planned[1].env.CLUSTER_SPEC) as { job: { workerPoolSpecs: unknown[] } };
    assert.deepEqual(spec.job.workerPoolSpecs, [
      { replicaCount: 1, containerSpec: { imageUri: 'ariel/p:run-cpu-1', args: ['--lr', '0.1'] } },
      { replicaCount: 2, containerSpec: { imageUri: 'ariel/p:run-cpu-1', args: ['--lr', '0.1'] } }
    ]);
  });

  it('refuses fewer than one worker', () => {
    assert.throws(
      () => planReplicas(0, 'i', []),
      (error: ArielError) => error.code === 'usage' && /--replicas 1/.test(error.hint ?? '')
    );
  });
});

describe('a reduction server, locally', () => {
  it('is refused, naming ariel cloud as where it runs', () => {
    assert.doesNotThrow(() => refuseLocalReductionServer(undefined));
    assert.throws(
      () => refuseLocalReductionServer(1),
      (error: ArielError) => error.code === 'unsupported' && /ariel cloud/.test(error.hint ?? '')
    );
  });
});

describe('replicaSlotBundles', () => {
  it('gives each job one GPU slot per replica, jobs side by side as far as the slots go', () => {
    assert.deepEqual(replicaSlotBundles([['0'], ['1'], ['2'], ['3'], ['4']], 2), [
      [['0'], ['1']],
      [['2'], ['3']]
    ]);
  });

  it('says how to fix too few slots for one job', () => {
    assert.throws(
      () => replicaSlotBundles([['0']], 2),
      (error: ArielError) => error.code === 'usage' && /2 replicas/.test(error.message)
    );
  });
});
