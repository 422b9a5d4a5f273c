import type Docker from 'dockerode';
import { isNotFound } from '../docker/engine.js';
import { LABELS, labelFilter } from '../docker/labels.js';
import { FINAL_STATES, NOT_SUBMITTED, ownerGone, type History, type JobRecord } from '../history/store.js';
import { LOCAL_STATES } from './record.js';
import { isNetworkInUse, replicaHost } from './replicas.js';

/**
 * Ariel's run containers that belong to a recorded job, by the job's request id; stopped ones
 * too. A distributed job has one per replica, its primary first.
 */
async function jobContainers(docker: Docker): Promise<Map<string, Docker.ContainerInfo[]>> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [labelFilter(LABELS.role, 'run'), labelFilter(LABELS.request)] }
  });
  const byRequest = new Map<string, Docker.ContainerInfo[]>();
  for (const info of containers) {
    const list = byRequest.get(info.Labels[LABELS.request]) ?? [];
    list.push(info);
    byRequest.set(info.Labels[LABELS.request], list);
  }
  for (const list of byRequest.values()) {
    list.sort((a, b) => Number(!isPrimary(a)) - Number(!isPrimary(b)));
  }
  return byRequest;
}

/** The container of a plain job, or a distributed job's primary (its replica label says which). */
function isPrimary(info: Docker.ContainerInfo): boolean {
  const replica = info.Labels[LABELS.replica];
  return replica === undefined || replica === replicaHost(0, 0);
}

function isRunning(info: Docker.ContainerInfo): boolean {
  return info.State === 'running' || info.State === 'paused' || info.State === 'restarting';
}

/** Removes the private networks of distributed jobs (by request id); one still in use is left. */
async function removeJobNetworks(docker: Docker, requestIds: string[]): Promise<void> {
  if (requestIds.length === 0) {
    return;
  }
  const wanted = new Set(requestIds);
  const networks = await docker.listNetworks({
    filters: { label: [labelFilter(LABELS.role, 'run'), labelFilter(LABELS.request)] }
  });
  for (const info of networks) {
    if (wanted.has(info.Labels?.[LABELS.request] ?? '')) {
      await docker
        .getNetwork(info.Id)
        .remove()
        // In use: its run is still removing its containers, and removes it after them.
        .catch(error => (isNotFound(error) || isNetworkInUse(error) ? undefined : Promise.reject(error)));
    }
  }
}

/**
 * How an orphaned distributed job stands, from its replicas' containers: running while its
 * primary runs and no replica has failed; else it has ended, by the primary's exit code or the
 * failed replica's, and every replica is removed (nobody else coordinates them any more).
 */
async function orphanReplicasState(
  docker: Docker,
  containers: Docker.ContainerInfo[]
): Promise<{ state: string; error: string | null } | undefined | 'running'> {
  const codes = new Map<string, number>();
  for (const info of containers.filter(c => !isRunning(c) && c.State !== 'created')) {
    codes.set(info.Id, (await docker.getContainer(info.Id).inspect()).State.ExitCode);
  }
  const primary = containers.find(isPrimary);
  const failedReplica = containers.find(c => !isPrimary(c) && (codes.get(c.Id) ?? 0) !== 0);
  if (primary && isRunning(primary) && !failedReplica) {
    return 'running';
  }
  for (const info of containers) {
    await removeContainer(docker, info.Id);
  }
  if (failedReplica) {
    return {
      state: LOCAL_STATES.failed,
      error: `Replica ${failedReplica.Labels[LABELS.replica]} exited with code ${codes.get(failedReplica.Id)} (seen after the process that ran it ended); its other replicas were stopped.`
    };
  }
  if (!primary || primary.State === 'created') {
    return { state: LOCAL_STATES.failed, error: `${ENDED_UNSEEN}, and its primary replica is gone.` };
  }
  const code = codes.get(primary.Id) ?? 1;
  return code === 0
    ? { state: LOCAL_STATES.succeeded, error: null }
    : {
        state: LOCAL_STATES.failed,
        error: `The primary replica exited with code ${code} (seen after the process that ran it ended).`
      };
}

/** The engine's answer when the container is being removed already (e.g. by its distributed job's run). */
function isRemovalInProgress(error: unknown): boolean {
  const { statusCode, message } = error as { statusCode?: number; message?: string };
  return statusCode === 409 && /already in progress/.test(message ?? '');
}

async function removeContainer(docker: Docker, id: string): Promise<void> {
  await docker
    .getContainer(id)
    .remove({ force: true })
    .catch(error => (isNotFound(error) || isRemovalInProgress(error) ? undefined : Promise.reject(error)));
}

const ENDED_UNSEEN = 'The process that ran it ended before recording how the job ended';
const NEVER_STARTED = 'The process that ran it ended before starting it.';

/** How an orphaned job stands, from its container: still running, ended (with its exit code), or gone. */
async function orphanState(
  docker: Docker,
  job: JobRecord,
  container: Docker.ContainerInfo | undefined
): Promise<{ state: string; error: string | null } | undefined> {
  if (!container) {
    return job.state === LOCAL_STATES.running
      ? { state: LOCAL_STATES.failed, error: `${ENDED_UNSEEN}, and its container is gone.` }
      : { state: NOT_SUBMITTED, error: NEVER_STARTED };
  }
  if (container.State === 'running' || container.State === 'paused' || container.State === 'restarting') {
    return job.state === LOCAL_STATES.running ? undefined : { state: LOCAL_STATES.running, error: null };
  }
  // Ended (or never started): its exit code says how; nobody else will remove it.
  const { State } = await docker.getContainer(container.Id).inspect();
  await removeContainer(docker, container.Id);
  if (container.State === 'created') {
    return { state: NOT_SUBMITTED, error: NEVER_STARTED };
  }
  return State.ExitCode === 0
    ? { state: LOCAL_STATES.succeeded, error: null }
    : {
        state: LOCAL_STATES.failed,
        error: `Exited with code ${State.ExitCode} (seen after the process that ran it ended).`
      };
}

/**
 * Settles local jobs whose `ariel run` died (kill -9, a crash) without recording their end, from
 * their containers (found by the job's request label): one still running stays running (a stop
 * can end it); one that ended gets its exit code's state and is removed; a job without a container
 * failed, or never started. Jobs whose run is alive are left to it.
 */
export async function reconcileLocalJobs(docker: Docker, history: History, jobs: JobRecord[]): Promise<void> {
  const orphans = jobs.filter(job => !FINAL_STATES.has(job.state) && ownerGone(job.owner));
  if (orphans.length === 0) {
    return;
  }
  const containers = await jobContainers(docker);
  const ended: string[] = [];
  for (const job of orphans) {
    const mine = containers.get(job.requestId) ?? [];
    const distributed = mine.some(info => info.Labels[LABELS.replica] !== undefined);
    const replicas = distributed ? await orphanReplicasState(docker, mine) : undefined;
    if (replicas === 'running') {
      if (job.state !== LOCAL_STATES.running) {
        history.transition(job.id, [job.state], { state: LOCAL_STATES.running, error: null });
      }
      continue;
    }
    const change = replicas ?? (await orphanState(docker, job, mine[0]));
    if (change) {
      history.transition(job.id, [job.state], change);
    }
    ended.push(job.requestId);
  }
  await removeJobNetworks(docker, ended);
}

/**
 * Stops local jobs: each unfinished one is recorded cancelled first (so its `ariel run`, which
 * checks, neither starts it nor records it as failed), then its container is removed. Resolves
 * to the jobs it stopped; jobs that had ended are left as they were.
 */
export async function stopLocalJobs(docker: Docker, history: History, jobs: JobRecord[]): Promise<JobRecord[]> {
  const stopped = jobs.filter(job =>
    history.transition(job.id, [LOCAL_STATES.queued, LOCAL_STATES.running], {
      state: LOCAL_STATES.cancelled,
      error: 'Stopped on request.'
    })
  );
  if (stopped.length > 0) {
    const containers = await jobContainers(docker);
    for (const job of stopped) {
      for (const container of containers.get(job.requestId) ?? []) {
        await removeContainer(docker, container.Id);
      }
    }
    await removeJobNetworks(
      docker,
      stopped.map(job => job.requestId)
    );
  }
  return stopped.map(job => history.job(job.id)!);
}
