import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterReplicas, replicaEnvironment, replicaLabel, type PoolCounts, type Replica } from './cluster.js';

const host = (pool: number, index: number) => `job-workerpool${pool}-${index}`;
const job = { workerPoolSpecs: [{ replicaCount: 1 }] };

interface Spec {
  cluster: Record<string, string[]>;
  environment: string;
  task: { type: string; index: number };
  job: unknown;
}

function environments(counts: PoolCounts, port = 2222) {
  const replicas = clusterReplicas(counts, host);
  return replicas.map(me => {
    const env = replicaEnvironment(replicas, me, { job, port });
    return {
      me,
      env,
      clusterSpec: JSON.parse(env.CLUSTER_SPEC) as Spec,
      tfConfig: JSON.parse(env.TF_CONFIG) as Spec
    };
  });
}

describe('clusterReplicas', () => {
  it('lists the primary first, then the workers, reduction servers and evaluators in pool order', () => {
    const replicas = clusterReplicas({ workers: 2, reductionServers: 1, evaluators: 1 }, host);
    assert.deepEqual(
      replicas.map(r => [r.pool, r.index, r.host]),
      [
        [0, 0, 'job-workerpool0-0'],
        [1, 0, 'job-workerpool1-0'],
        [1, 1, 'job-workerpool1-1'],
        [2, 0, 'job-workerpool2-0'],
        [3, 0, 'job-workerpool3-0']
      ]
    );
    assert.deepEqual(replicas.map(replicaLabel), [
      'primary',
      'worker-0',
      'worker-1',
      'reduction-server-0',
      'evaluator-0'
    ]);
  });

  it('refuses a negative or fractional replica count', () => {
    assert.throws(() => clusterReplicas({ workers: -1, reductionServers: 0, evaluators: 0 }, host), /workers/);
    assert.throws(() => clusterReplicas({ workers: 1.5, reductionServers: 0, evaluators: 0 }, host), /workers/);
  });
});

describe('replicaEnvironment', () => {
  it('gives the primary and one worker ranks 0 and 1 of a world of 2, the primary as master', () => {
    const [primary, worker] = environments({ workers: 1, reductionServers: 0, evaluators: 0 });
    for (const { env } of [primary, worker]) {
      assert.equal(env.MASTER_ADDR, 'job-workerpool0-0');
      assert.equal(env.MASTER_PORT, '2222');
      assert.equal(env.WORLD_SIZE, '2');
    }
    assert.equal(primary.env.RANK, '0');
    assert.equal(worker.env.RANK, '1');
  });

  it('names the pools workerpool0/1 in CLUSTER_SPEC and chief/worker in TF_CONFIG, the same on every replica', () => {
    const all = environments({ workers: 1, reductionServers: 0, evaluators: 0 });
    for (const { clusterSpec, tfConfig } of all) {
      assert.deepEqual(clusterSpec.cluster, {
        workerpool0: ['job-workerpool0-0:2222'],
        workerpool1: ['job-workerpool1-0:2222']
      });
      assert.deepEqual(tfConfig.cluster, { chief: ['job-workerpool0-0:2222'], worker: ['job-workerpool1-0:2222'] });
      assert.equal(clusterSpec.environment, 'cloud');
      assert.equal(tfConfig.environment, 'cloud');
      assert.deepEqual(clusterSpec.job, job);
      assert.deepEqual(tfConfig.job, job);
    }
    assert.deepEqual(
      all.map(e => [e.clusterSpec.task, e.tfConfig.task]),
      [
        [
          { type: 'workerpool0', index: 0 },
          { type: 'chief', index: 0 }
        ],
        [
          { type: 'workerpool1', index: 0 },
          { type: 'worker', index: 0 }
        ]
      ]
    );
  });

  it('ranks two workers 1 and 2 of a world of 3', () => {
    const all = environments({ workers: 2, reductionServers: 0, evaluators: 0 }, 29500);
    assert.deepEqual(
      all.map(e => [replicaLabel(e.me), e.env.RANK, e.env.WORLD_SIZE, e.env.MASTER_PORT]),
      [
        ['primary', '0', '3', '29500'],
        ['worker-0', '1', '3', '29500'],
        ['worker-1', '2', '3', '29500']
      ]
    );
    assert.deepEqual(all[2].tfConfig.task, { type: 'worker', index: 1 });
    assert.deepEqual(all[2].clusterSpec.cluster.workerpool1, ['job-workerpool1-0:29500', 'job-workerpool1-1:29500']);
  });

  it('puts a reduction server in workerpool2 and ps, outside the ranks and without rendezvous variables', () => {
    const all = environments({ workers: 2, reductionServers: 1, evaluators: 0 });
    const training = all.filter(e => e.me.pool !== 2);
    assert.deepEqual(
      training.map(e => e.env.WORLD_SIZE),
      ['3', '3', '3'],
      'reduction servers do not count in WORLD_SIZE'
    );
    const server = all.find(e => e.me.pool === 2);
    assert.ok(server);
    assert.deepEqual(server.clusterSpec.task, { type: 'workerpool2', index: 0 });
    assert.deepEqual(server.tfConfig.task, { type: 'ps', index: 0 });
    for (const name of ['MASTER_ADDR', 'MASTER_PORT', 'WORLD_SIZE', 'RANK']) {
      assert.equal(server.env[name], undefined);
    }
    assert.deepEqual(server.clusterSpec.cluster.workerpool2, ['job-workerpool2-0:2222']);
    assert.deepEqual(server.tfConfig.cluster.ps, ['job-workerpool2-0:2222']);
  });

  it("keeps an evaluator in CLUSTER_SPEC but out of TF_CONFIG's cluster, as Vertex AI does", () => {
    const all = environments({ workers: 1, reductionServers: 1, evaluators: 1 });
    const evaluator = all.find(e => e.me.pool === 3);
    assert.ok(evaluator);
    assert.deepEqual(Object.keys(evaluator.clusterSpec.cluster), [
      'workerpool0',
      'workerpool1',
      'workerpool2',
      'workerpool3'
    ]);
    assert.deepEqual(Object.keys(evaluator.tfConfig.cluster), ['chief', 'worker', 'ps']);
    assert.deepEqual(evaluator.tfConfig.task, { type: 'evaluator', index: 0 });
    assert.equal(evaluator.env.RANK, undefined);
  });

  it('gives a job of the primary alone rank 0 of a world of 1', () => {
    const [only] = environments({ workers: 0, reductionServers: 0, evaluators: 0 });
    assert.equal(only.env.RANK, '0');
    assert.equal(only.env.WORLD_SIZE, '1');
    assert.deepEqual(only.tfConfig.cluster, { chief: ['job-workerpool0-0:2222'] });
  });

  it('refuses a replica that is not in the cluster and a port out of range', () => {
    const replicas = clusterReplicas({ workers: 1, reductionServers: 0, evaluators: 0 }, host);
    const stranger: Replica = { pool: 1, index: 5, host: 'elsewhere' };
    assert.throws(() => replicaEnvironment(replicas, stranger, { job, port: 2222 }), /worker-5/);
    assert.throws(() => replicaEnvironment(replicas, replicas[0], { job, port: 0 }), /port/);
  });
});
