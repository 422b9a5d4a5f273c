import type Docker from 'dockerode';
import { cancelCloudJobs, refreshStates, type Connect } from '../cloud/jobs.js';
import { ArielError } from '../errors.js';
import { FINAL_STATES, type History, type JobRecord } from '../history/store.js';
import { reconcileLocalJobs, stopLocalJobs } from '../run/settle.js';

/** What the job history's operations need: the history, the engine (local jobs), Vertex AI (cloud jobs). */
export interface JobsDeps {
  history: History;
  docker: Docker;
  /** Opens a region's JobService; called only when cloud jobs are to be asked about. */
  connect: Connect;
}

/** Which jobs: one (its number, display name or Vertex AI name), or a group's latest attempts. */
export type JobSelection = { job: string; group?: undefined } | { group: string; job?: undefined };

export interface StopOutcome {
  /** The jobs stopped (local) or asked to stop (cloud), with their states now. */
  stopped: JobRecord[];
  /** The selected jobs that had already ended, as they ended. */
  ended: JobRecord[];
}

function isLocal(history: History, job: JobRecord): boolean {
  return history.requireGroup(job.group).platform === 'local';
}

/** The selected jobs; an unknown job or group is a `history-not-found` error. */
export function selectJobs(history: History, which: JobSelection): JobRecord[] {
  if (which.job !== undefined) {
    const job = history.findJob(which.job);
    if (!job) {
      throw new ArielError('history-not-found', `No job ${which.job} in the job history.`);
    }
    return [job];
  }
  history.requireGroup(which.group);
  return history.jobs({ group: which.group, latestOnly: true });
}

/**
 * Brings the unfinished jobs' states up to date: local jobs whose run died are settled from their
 * containers, cloud jobs are asked about (one call per group). Resolves to warnings, e.g. for a
 * group Vertex AI or the engine could not be asked about.
 */
export async function refreshJobs(deps: JobsDeps, group?: string): Promise<string[]> {
  const { history } = deps;
  const unfinished = history.jobs({ group, unfinished: true });
  const local = unfinished.filter(job => isLocal(history, job));
  const warnings: string[] = [];
  try {
    await reconcileLocalJobs(deps.docker, history, local);
  } catch (error) {
    warnings.push(`Local jobs could not be checked against the Docker engine: ${(error as Error).message}`);
  }
  if (local.length < unfinished.length) {
    warnings.push(...(await refreshStates(history, deps.connect, group)));
  }
  return warnings;
}

/**
 * Stops jobs, local and cloud alike: a local job's container is removed and the job recorded
 * cancelled; a cloud job is cancelled on Vertex AI. Jobs that had already ended are returned as
 * such (a local one whose run died is settled first), not as errors.
 */
export async function stopJobs(deps: JobsDeps, which: JobSelection): Promise<StopOutcome> {
  const { history, docker, connect } = deps;
  const selected = selectJobs(history, which);
  const local = selected.filter(job => isLocal(history, job));
  await reconcileLocalJobs(docker, history, local);
  const current = selected.map(job => history.job(job.id)!);
  const unfinished = current.filter(job => !FINAL_STATES.has(job.state));
  const stopped = [
    ...(await stopLocalJobs(
      docker,
      history,
      unfinished.filter(job => isLocal(history, job))
    )),
    ...(await cancelCloudJobs(
      history,
      connect,
      unfinished.filter(job => !isLocal(history, job))
    ))
  ];
  const stoppedIds = new Set(stopped.map(job => job.id));
  return {
    stopped,
    ended: selected
      .map(job => history.job(job.id)!)
      .filter(job => FINAL_STATES.has(job.state) && !stoppedIds.has(job.id))
  };
}
