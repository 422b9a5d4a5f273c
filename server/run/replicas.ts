import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { ArielError, CancelledError } from '../errors.js';
import {
  clusterReplicas,
  replicaEnvironment,
  replicaLabel,
  VERTEX_CLUSTER_PORT,
  type Replica
} from '../distributed/cluster.js';
import { prefixLines, runToCompletion } from '../docker/containers.js';
import { isNotFound } from '../docker/engine.js';
import { LABELS } from '../docker/labels.js';

/**
 * The local rehearsal of a distributed job (`ariel run --replicas N`): the primary and N workers,
 * each a container of the run image on a private network of the job's own, each with the
 * environment Vertex AI would give it (server/distributed/cluster.ts), reachable by the host
 * names CLUSTER_SPEC lists.
 */

/** The host name a replica has on its job's network (`workerpool0-0` is the primary: MASTER_ADDR). */
export function replicaHost(pool: number, index: number): string {
  return `workerpool${pool}-${index}`;
}

/** How long the other replicas may take to end on their own once the primary succeeded. */
const GRACE_MS = 10_000;

export interface PlannedReplica {
  /** `primary`, `worker-0`, …: the prefix of its log lines. */
  label: string;
  replica: Replica;
  /** What Vertex AI would set in its environment. */
  env: Record<string, string>;
}

/** What a local job shows its replicas in the `job` field of CLUSTER_SPEC and TF_CONFIG: its pools, as a CustomJobSpec would. */
function jobDescription(workers: number, image: string, args: string[]): Record<string, unknown> {
  const pool = (replicaCount: number) => ({ replicaCount, containerSpec: { imageUri: image, args } });
  return { workerPoolSpecs: [pool(1), pool(workers)] };
}

/** The replicas of a job with `workers` workers beside its primary, each with its environment. */
export function planReplicas(workers: number, image: string, args: string[]): PlannedReplica[] {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new ArielError(
      'usage',
      `--replicas ${workers} is not a whole number of workers of at least 1.`,
      'Write --replicas 1 for the primary and one worker (two containers).'
    );
  }
  const replicas = clusterReplicas({ workers, reductionServers: 0, evaluators: 0 }, replicaHost);
  const job = jobDescription(workers, image, args);
  return replicas.map(replica => ({
    label: replicaLabel(replica),
    replica,
    env: replicaEnvironment(replicas, replica, { job, port: VERTEX_CLUSTER_PORT })
  }));
}

/** A reduction server runs Google's own image on Vertex AI; there is none to run here. */
export function refuseLocalReductionServer(count: number | undefined): void {
  if (count !== undefined && count > 0) {
    throw new ArielError(
      'unsupported',
      `--reduction-server ${count}: a reduction server runs Vertex AI's own reduction-server image, which cannot run on this machine.`,
      'Rehearse without it (drop --reduction-server: the workers all-reduce among themselves, e.g. with gloo or NCCL), and keep it for: ariel cloud … --replicas N --reduction-server M.'
    );
  }
}

export interface ReplicaRunOptions {
  /** The container of one replica: the job's container with the replica's environment and GPUs. */
  containerOf: (planned: PlannedReplica) => Docker.ContainerCreateOptions;
  /** Put on the job's network too, so stops and orphan sweeps find it with its containers. */
  labels: Record<string, string>;
  stdout: Writable;
  stderr: Writable;
  signal?: AbortSignal;
  /** Called as each replica's container runs. */
  onStart?: (container: Docker.Container) => void;
  /** Whether the job was stopped from elsewhere (`ariel stop`): its replicas' ends are no failures then. */
  stopped?: () => boolean;
}

/** The engine's answer for a network that still has containers (403 on engine 20.10, 409 on others). */
export function isNetworkInUse(error: unknown): boolean {
  const { statusCode } = error as { statusCode?: number };
  return statusCode === 403 || statusCode === 409;
}

/**
 * Removes the job's network once its containers are gone. A container another process is still
 * removing (`ariel stop`) keeps it in use a moment: tried again for a few seconds.
 */
async function removeNetwork(network: Docker.Network): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await network.remove();
      return;
    } catch (error) {
      if (isNotFound(error)) {
        return;
      }
      if (!isNetworkInUse(error) || attempt >= 25) {
        throw error;
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  }
}

/**
 * Runs a job's replicas together and resolves to the job's exit code: the primary's, or that of
 * a replica that failed first (which stops the others, the primary too). Once the primary has
 * ended, the workers still running get a short grace to end on their own, then are removed.
 * Every container and the network are removed before it settles, on success, failure and abort.
 */
export async function runReplicas(
  docker: Docker,
  planned: PlannedReplica[],
  options: ReplicaRunOptions
): Promise<number> {
  const { signal, labels } = options;
  if (signal?.aborted) {
    throw new CancelledError('Interrupted before the replicas started.');
  }
  const networkName = `ariel-run-${randomBytes(6).toString('hex')}`;
  const network = await docker.createNetwork({
    Name: networkName,
    Driver: 'bridge',
    CheckDuplicate: true,
    Labels: { ...labels, [LABELS.role]: 'run' }
  });
  const stopAll = new AbortController();
  const replicaSignal = signal ? AbortSignal.any([signal, stopAll.signal]) : stopAll.signal;
  let primaryCode: number | undefined;
  let failed: { label: string; code: number } | undefined;
  let error: { error: unknown } | undefined;
  let grace: NodeJS.Timeout | undefined;

  const runOne = async (replica: PlannedReplica): Promise<void> => {
    const stdout = prefixLines(`[${replica.label}] `, options.stdout);
    const stderr = prefixLines(`[${replica.label}] `, options.stderr);
    const base = options.containerOf(replica);
    const host = replica.replica.host;
    const create: Docker.ContainerCreateOptions = {
      ...base,
      Hostname: host,
      Env: [...(base.Env ?? []), ...Object.entries(replica.env).map(([name, value]) => `${name}=${value}`)],
      Labels: { ...base.Labels, ...labels, [LABELS.replica]: host },
      HostConfig: { ...base.HostConfig, NetworkMode: networkName },
      NetworkingConfig: { EndpointsConfig: { [networkName]: { Aliases: [host] } } }
    };
    const isPrimary = replica.replica.pool === 0;
    try {
      const code = await runToCompletion(docker, create, {
        stdout,
        stderr,
        signal: replicaSignal,
        onStart: options.onStart
      });
      if (stopAll.signal.aborted && !isPrimary) {
        return; // Removed because the job ended: its code says nothing.
      }
      if (isPrimary) {
        primaryCode = code;
        if (code === 0) {
          grace = setTimeout(() => stopAll.abort(), GRACE_MS);
        } else {
          stopAll.abort();
        }
      } else if (code !== 0 && primaryCode === undefined && !stopAll.signal.aborted) {
        failed = { label: replica.label, code };
        if (!options.stopped?.()) {
          options.stderr.write(`ariel: ${replica.label} exited with code ${code}: stopping the other replicas.\n`);
        }
        stopAll.abort();
      }
    } catch (caught) {
      if (!replicaSignal.aborted) {
        error ??= { error: caught };
        stopAll.abort();
      }
    } finally {
      stdout.end();
      stderr.end();
    }
  };

  try {
    // The primary first: its host name is the others' MASTER_ADDR.
    const [primary, ...others] = planned;
    const running = [runOne(primary)];
    for (const replica of others) {
      running.push(runOne(replica));
    }
    await Promise.all(running);
  } finally {
    clearTimeout(grace);
    await removeNetwork(network);
  }
  if (error) {
    throw error.error;
  }
  if (signal?.aborted) {
    throw new CancelledError('Interrupted: the replicas were stopped and their containers removed.');
  }
  if (failed) {
    return failed.code;
  }
  // The primary never ended on its own: it was stopped with the others (a failure above).
  return primaryCode ?? 1;
}
