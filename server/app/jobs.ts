import type Docker from 'dockerode';
import { cancelCloudJobs, lostSubmission, refreshCloudJobs, refreshStates, type Connect } from '../cloud/jobs.js';
import { ArielError } from '../errors.js';
import { consoleUrl } from '../cloud/vertex.js';
import { dataDir, FINAL_STATES, History, SUBMITTING, type GroupRecord, type JobRecord } from '../history/store.js';
import type { CloudJob as JobSummary } from '../http/contract.js';
import { reconcileLocalJobs, stopLocalJobs } from '../run/settle.js';

/** What the job history's operations need: the history, the engine (local jobs), Vertex AI (cloud jobs). */
export interface JobsDeps {
  history: History;
  docker: Docker;
  /** Opens a region's JobService; called only when cloud jobs are to be asked about. */
  connect: Connect;
}

/**
 * Which jobs: one (its number, display name or Vertex AI name), a group's latest attempts, or
 * (`all`) every unfinished job of every group, as Caliban's `stop` without a group takes them.
 */
export type JobSelection =
  | { job: string; group?: undefined; all?: undefined }
  | { group: string; job?: undefined; all?: undefined }
  | { all: true; job?: undefined; group?: undefined };

export interface StopOutcome {
  /** The jobs stopped (local) or asked to stop (cloud), with their states now. */
  stopped: JobRecord[];
  /** The selected jobs that had already ended, as they ended (a lost submission: never submitted). */
  ended: JobRecord[];
  /**
   * Cloud jobs still being submitted by a running command (or whose lost submission Vertex AI
   * could not be asked about): not stopped; the submitting command is what to interrupt.
   */
  submitting: JobRecord[];
  /** Why a lost submission could not be settled, e.g. Vertex AI did not answer. */
  warnings: string[];
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
  if (which.all) {
    return history.jobs({ latestOnly: true, unfinished: true });
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
 * such, not as errors: a local one whose run died is settled first, and so is a cloud one whose
 * submission died before recording it (found by its request label and cancelled, else recorded
 * as never submitted), as `ariel status` settles them. With `dryRun`, the jobs are settled as
 * `ariel status` would settle them, and `stopped` lists what would be stopped; nothing is stopped.
 */
export async function stopJobs(
  deps: JobsDeps,
  which: JobSelection,
  { dryRun = false }: { dryRun?: boolean } = {}
): Promise<StopOutcome> {
  const { history, docker, connect } = deps;
  const selected = selectJobs(history, which);
  const local = selected.filter(job => isLocal(history, job));
  await reconcileLocalJobs(docker, history, local);
  // Every unfinished job is asked about first (one call per group): what ended meanwhile is not
  // listed as to stop. A group or a job is stopped as recorded, with lost submissions settled.
  const warnings = await refreshCloudJobs(
    history,
    connect,
    selected.filter(job => !isLocal(history, job) && (which.all || lostSubmission(job)))
  );
  const current = selected.map(job => history.job(job.id)!);
  const unfinished = current.filter(job => !FINAL_STATES.has(job.state));
  if (dryRun) {
    // What a stop would stop: every unfinished local job, every cloud job created.
    const stoppable = unfinished.filter(job => isLocal(history, job) || job.remoteName);
    const ids = new Set(stoppable.map(job => job.id));
    return {
      stopped: stoppable,
      ended: current.filter(job => FINAL_STATES.has(job.state)),
      submitting: current.filter(job => !ids.has(job.id) && job.state === SUBMITTING && !job.remoteName),
      warnings
    };
  }
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
  const now = selected.map(job => history.job(job.id)!).filter(job => !stoppedIds.has(job.id));
  return {
    stopped,
    ended: now.filter(job => FINAL_STATES.has(job.state)),
    submitting: now.filter(job => job.state === SUBMITTING && !job.remoteName),
    warnings
  };
}

/** A group of the job history with its jobs' latest attempts, as job lists show them. */
export interface JobGroupView {
  group: GroupRecord;
  jobs: JobRecord[];
}

/**
 * The newest job groups (at most `limit`, or only the one named `only`), each with its jobs'
 * latest attempts, after their unfinished jobs' states are brought up to date; groups for which
 * `busy` answers true (being submitted here) are listed as recorded. Resolves with warnings
 * about what could not be asked about.
 */
export async function listJobGroups(
  deps: JobsDeps,
  { limit, only, busy = () => false }: { limit: number; only?: string; busy?: (group: string) => boolean }
): Promise<{ groups: JobGroupView[]; warnings: string[] }> {
  const { history } = deps;
  const newest = history.groups().reverse().slice(0, limit);
  const shown = only ? newest.filter(g => g.name === only) : newest;
  const unfinished = new Set(
    history
      .jobs()
      .filter(job => !FINAL_STATES.has(job.state))
      .map(job => job.group)
  );
  const warnings: string[] = [];
  for (const group of shown.filter(g => unfinished.has(g.name) && !busy(g.name))) {
    warnings.push(...(await refreshJobs(deps, group.name)));
  }
  return {
    groups: shown.map(group => ({ group, jobs: history.jobs({ group: group.name, latestOnly: true }) })),
    warnings
  };
}

/** Opens the job history in Ariel's data folder (ARIEL_DATA_DIR's, or the user's). */
export async function openHistory(env: NodeJS.ProcessEnv = process.env): Promise<History> {
  return History.open(await dataDir(env));
}

/** A job's latest attempt as job lists show it: its display name, whether it ended, its console page. */
export function jobSummary(job: JobRecord): JobSummary {
  const spec = job.spec;
  return {
    id: job.id,
    group: job.group,
    experiment: job.experiment,
    attempt: job.attempt,
    displayName: spec.displayName,
    args: job.args,
    state: job.state,
    final: FINAL_STATES.has(job.state),
    remoteName: job.remoteName,
    console: job.remoteName ? (consoleUrl(job.remoteName) ?? null) : null,
    error: job.error,
    updatedAt: job.updatedAt
  };
}
