import { randomUUID } from 'node:crypto';
import { CancelledError } from '../errors.js';
import { checkAppendable, groupExists, NOT_SUBMITTED, type History, type JobRecord } from '../history/store.js';
import type { MlflowRun } from '../project/mlflow.js';
import type { Project } from '../project/project.js';
import type { Job, JobResult } from './jobs.js';
import { targetCommand, type Target } from './target.js';

/** Local jobs use Vertex AI's state names, so `ariel status` lists both kinds alike. */
export const LOCAL_STATES = {
  queued: 'JOB_STATE_QUEUED',
  running: 'JOB_STATE_RUNNING',
  succeeded: 'JOB_STATE_SUCCEEDED',
  failed: 'JOB_STATE_FAILED',
  cancelled: 'JOB_STATE_CANCELLED'
} as const;

/** A local job as the history keeps it: what ran, in which image, and where a notebook went. */
export interface LocalJobSpec {
  index: number;
  displayName: string;
  command: string[];
  args: string[];
  /** `repository:tag` of the run image. */
  image: string;
  /** The executed notebook of a notebook job (a host path). */
  output?: string;
  /** The MLflow run the job logged to. */
  mlflow?: MlflowRun;
}

export interface LocalRun {
  group: string;
  project: Project;
  /** The target as the user gave it. */
  targetText: string;
  target: Target;
  /** The image's id (`sha256:…`), which names its content on this engine. */
  imageId: string;
  dockerfile: string;
  packages: Record<string, string>;
  jobs: Job[];
}

/**
 * The name a local run is recorded under: a name the user gave must be new; a default one (made
 * of the time, to the second) gets a number when another run of that second has it.
 */
export function groupNameFor(history: History, name: string, given: boolean, append = false): string {
  const existing = given ? history.group(name) : undefined;
  if (existing && append) {
    checkAppendable(existing, { platform: 'local', cloudProject: null, region: null });
    return name;
  }
  if (existing) {
    throw groupExists(name);
  }
  let free = name;
  for (let n = 2; history.group(free); n++) {
    free = `${name}-${n}`;
  }
  return free;
}

/**
 * Records a local run (platform local) and its jobs, queued, before the first one starts; with
 * `append`, as further experiments of the existing group.
 */
export function recordLocalRun(history: History, run: LocalRun, append = false): JobRecord[] {
  const image = run.jobs[0]?.image.name ?? '';
  const records = history.recordGroup(
    {
      name: run.group,
      platform: 'local',
      projectRoot: run.project.root,
      target: run.targetText,
      cloudProject: null,
      region: null,
      image,
      imageDigest: run.imageId,
      dockerfile: run.dockerfile,
      packages: run.packages,
      createdAt: new Date().toISOString()
    },
    run.jobs.map(job => {
      const spec: LocalJobSpec = {
        index: job.index,
        displayName: `${run.group}-${job.index}`,
        command: targetCommand(run.target, job.output),
        args: job.args,
        image,
        ...(job.output ? { output: job.output } : {}),
        ...(job.mlflow ? { mlflow: job.mlflow } : {})
      };
      return { experiment: job.index, args: job.args, spec: { ...spec }, requestId: randomUUID() };
    }),
    { append }
  );
  history.updateMany(records.map(record => ({ id: record.id, state: LOCAL_STATES.queued })));
  return records;
}

/**
 * Keeps a local run's history current as its jobs start and end. A job stopped from elsewhere
 * (`stopLocalJobs`, which records it cancelled first) keeps that state. `settle` records how the
 * run ended: on an error the running job failed (cancelled on Ctrl-C) and the jobs never started
 * are recorded as not run.
 */
export function trackLocalRun(history: History, records: JobRecord[]) {
  const byIndex = new Map(records.map(record => [record.experiment, record]));
  let running: number | undefined;
  const stopped = (job: Job) => history.job(byIndex.get(job.index)!.id)?.state === LOCAL_STATES.cancelled;
  return {
    stopped,
    onJobStart(job: Job): void {
      running = job.index;
      history.transition(byIndex.get(job.index)!.id, [LOCAL_STATES.queued], { state: LOCAL_STATES.running });
    },
    onJobEnd({ job, exitCode }: JobResult): void {
      running = undefined;
      history.transition(byIndex.get(job.index)!.id, [LOCAL_STATES.running], {
        state: exitCode === 0 ? LOCAL_STATES.succeeded : LOCAL_STATES.failed,
        error: exitCode === 0 ? null : `Exited with code ${exitCode}.`
      });
    },
    settle(error: unknown): void {
      const cancelled = error instanceof CancelledError;
      const changes = records
        .filter(record => [LOCAL_STATES.queued, LOCAL_STATES.running].includes(history.job(record.id)?.state as never))
        .map(record =>
          record.experiment === running
            ? {
                id: record.id,
                state: cancelled ? LOCAL_STATES.cancelled : LOCAL_STATES.failed,
                error: cancelled ? 'Stopped (Ctrl-C).' : String((error as Error)?.message ?? error)
              }
            : {
                id: record.id,
                state: NOT_SUBMITTED,
                error: cancelled ? 'The run was interrupted first.' : 'Not run: an earlier job stopped the run.'
              }
        );
      history.updateMany(changes);
    }
  };
}
