import type Docker from 'dockerode';
import { isNotFound } from '../docker/engine.js';
import { LABELS, labelFilter } from '../docker/labels.js';
import { FINAL_STATES, NOT_SUBMITTED, ownerGone, type History, type JobRecord } from '../history/store.js';
import { LOCAL_STATES } from './record.js';

/** Ariel's run containers that belong to a recorded job, by the job's request id; stopped ones too. */
async function jobContainers(docker: Docker): Promise<Map<string, Docker.ContainerInfo>> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [labelFilter(LABELS.role, 'run'), labelFilter(LABELS.request)] }
  });
  return new Map(containers.map(info => [info.Labels[LABELS.request], info]));
}

async function removeContainer(docker: Docker, id: string): Promise<void> {
  await docker
    .getContainer(id)
    .remove({ force: true })
    .catch(error => (isNotFound(error) ? undefined : Promise.reject(error)));
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
  for (const job of orphans) {
    const change = await orphanState(docker, job, containers.get(job.requestId));
    if (change) {
      history.transition(job.id, [job.state], change);
    }
  }
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
      const container = containers.get(job.requestId);
      if (container) {
        await removeContainer(docker, container.Id);
      }
    }
  }
  return stopped.map(job => history.job(job.id)!);
}
