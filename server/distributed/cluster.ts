/**
 * The cluster of a distributed job as Vertex AI describes it to each replica: pure, shared by the
 * local rehearsal (`ariel run --replicas`) and the JobService emulator, so both give a replica
 * exactly the environment Vertex AI would.
 *
 * What Vertex AI sets in a custom container's replica (its "distributed training" pages):
 * - `CLUSTER_SPEC`: JSON `{cluster, environment, task, job}`; `cluster` maps `workerpool0`..`workerpool3`
 *   (the positions in `workerPoolSpecs[]`, empty pools left out) to `host:port` lists; `task` is
 *   `{type: "workerpoolN", index}`; `environment` is `"cloud"`; `job` is the job's spec.
 * - `TF_CONFIG`: the same shape with TensorFlow's task names: `chief` (pool 0), `worker` (pool 1),
 *   `ps` (pool 2), and `evaluator` (pool 3) as a task type only: an evaluator is not part of the
 *   training cluster, so `cluster` has no `evaluator` key.
 * - For PyTorch, on the training replicas (the primary and the workers): `MASTER_ADDR` (the primary's
 *   host), `MASTER_PORT`, `WORLD_SIZE` (primary + workers) and `RANK` (0 on the primary, 1 + index on
 *   a worker), so `init_process_group(init_method='env://')` finds the others.
 */

/** Replica counts per Vertex worker pool: workerPoolSpecs[0] primary (always 1), [1] workers, [2] reduction servers, [3] evaluators. */
export interface PoolCounts {
  workers: number;
  reductionServers: number;
  evaluators: number;
}

/** A worker pool's position in `workerPoolSpecs[]`. */
export type PoolIndex = 0 | 1 | 2 | 3;

export interface Replica {
  pool: PoolIndex;
  index: number;
  /** host name the others reach it by */
  host: string;
}

/** What Vertex AI puts in the `job` field of CLUSTER_SPEC and TF_CONFIG: the job's spec as a dictionary. */
export type JobDescription = Readonly<Record<string, unknown>>;

export interface EnvironmentOptions {
  /** The job's spec as Vertex AI shows it to the replicas (CustomJobSpec); locally, what stands for it. */
  job: JobDescription;
  /** The port every replica's address names; PyTorch's rendezvous listens on it on the primary. */
  port: number;
}

/** The port Vertex AI's cluster addresses use (`cmle-training-workerpool0-…-0:2222`). */
export const VERTEX_CLUSTER_PORT = 2222;

/** TensorFlow's task name for each pool. */
const TF_TASK: Record<PoolIndex, string> = { 0: 'chief', 1: 'worker', 2: 'ps', 3: 'evaluator' };

function poolSizes(counts: PoolCounts): Record<PoolIndex, number> {
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a whole number of replicas, 0 or more; got ${String(value)}`);
    }
  }
  return { 0: 1, 1: counts.workers, 2: counts.reductionServers, 3: counts.evaluators };
}

/** Every replica of a job, primary first, with the host name `hostOf(pool, index)` gives it. */
export function clusterReplicas(counts: PoolCounts, hostOf: (pool: number, index: number) => string): Replica[] {
  const sizes = poolSizes(counts);
  const replicas: Replica[] = [];
  for (const pool of [0, 1, 2, 3] as const) {
    for (let index = 0; index < sizes[pool]; index++) {
      replicas.push({ pool, index, host: hostOf(pool, index) });
    }
  }
  return replicas;
}

/** True for the pools that train (primary and workers): the ones PyTorch ranks. */
export function isTrainingReplica(replica: Pick<Replica, 'pool'>): boolean {
  return replica.pool === 0 || replica.pool === 1;
}

/** A short name for a replica in logs and listings: `primary`, `worker-0`, `reduction-server-0`, `evaluator-0`. */
export function replicaLabel(replica: Pick<Replica, 'pool' | 'index'>): string {
  switch (replica.pool) {
    case 0:
      return 'primary';
    case 1:
      return `worker-${replica.index}`;
    case 2:
      return `reduction-server-${replica.index}`;
    case 3:
      return `evaluator-${replica.index}`;
  }
}

function clusterMap(replicas: Replica[], port: number, name: (pool: PoolIndex) => string | undefined) {
  const cluster: Record<string, string[]> = {};
  for (const replica of replicas) {
    const key = name(replica.pool);
    if (key === undefined) {
      continue;
    }
    (cluster[key] ??= []).push(`${replica.host}:${port}`);
  }
  return cluster;
}

/**
 * The environment Vertex AI gives one replica of a custom-container job: CLUSTER_SPEC, TF_CONFIG,
 * and for the training pools MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK.
 */
export function replicaEnvironment(
  replicas: Replica[],
  me: Replica,
  options: EnvironmentOptions
): Record<string, string> {
  const { port, job } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`port must be a TCP port (1-65535); got ${String(port)}`);
  }
  const primary = replicas.find(r => r.pool === 0);
  if (!primary) {
    throw new RangeError('a cluster needs its primary replica (worker pool 0)');
  }
  const mine = replicas.find(r => r.pool === me.pool && r.index === me.index);
  if (!mine) {
    throw new RangeError(`replica ${replicaLabel(me)} is not one of the job's replicas`);
  }

  const clusterSpec = {
    cluster: clusterMap(replicas, port, pool => `workerpool${pool}`),
    environment: 'cloud',
    task: { type: `workerpool${me.pool}`, index: me.index },
    job
  };
  const tfConfig = {
    cluster: clusterMap(replicas, port, pool => (pool === 3 ? undefined : TF_TASK[pool])),
    environment: 'cloud',
    task: { type: TF_TASK[me.pool], index: me.index },
    job
  };
  const env: Record<string, string> = {
    CLUSTER_SPEC: JSON.stringify(clusterSpec),
    TF_CONFIG: JSON.stringify(tfConfig)
  };
  if (isTrainingReplica(me)) {
    const training = replicas.filter(isTrainingReplica);
    env.MASTER_ADDR = primary.host;
    env.MASTER_PORT = String(port);
    env.WORLD_SIZE = String(training.length);
    env.RANK = String(me.pool === 0 ? 0 : 1 + me.index);
  }
  return env;
}
