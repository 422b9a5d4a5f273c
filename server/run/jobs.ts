import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Docker from 'dockerode';
import { CancelledError } from '../errors.js';
import { CODE_DIR } from '../dockerfile/generate.js';
import { mlflowEnv, type MlflowRun } from '../project/mlflow.js';
import type { Project } from '../project/project.js';
import { passthroughEnv, prefixLines, runToCompletion, type RunIO } from '../docker/containers.js';
import { translateGpuError } from '../docker/gpu.js';
import type { RunnableImage } from '../docker/imageRef.js';
import { LABELS } from '../docker/labels.js';
import { hostConfigOf, publishedPorts, resolveSettings, type ContainerSettings } from '../docker/settings.js';
import { targetCommand, type Target } from './target.js';

export interface Job {
  /** 1-based position among the expanded experiments. */
  index: number;
  /** Every argument after the target. */
  args: string[];
  /** A run-mode image; its accelerator decides whether the job gets GPUs. */
  image: RunnableImage;
  /** A notebook job's executed notebook: an absolute host path, its folder mounted into the job. */
  output?: string;
  /** Labels that tie its container to the job history (see LABELS.group and LABELS.request). */
  labels?: Record<string, string>;
  /** The MLflow run it logs to, given to it as MLFLOW_* variables (see project/mlflow.ts). */
  mlflow?: MlflowRun;
}

/** One job per expanded experiment; arguments after `--` come first, then the experiment's flags. */
export function planJobs(image: RunnableImage, passthroughArgs: string[], experiments: string[][] | undefined): Job[] {
  return (experiments ?? [[]]).map((flags, i) => ({ index: i + 1, args: [...passthroughArgs, ...flags], image }));
}

export interface JobResult {
  job: Job;
  exitCode: number;
  /** Stopped on request from elsewhere (`ariel stop`, the sidebar) while it ran. */
  stopped?: boolean;
}

export interface RunJobsOptions {
  project: Project;
  target: Target;
  io: RunIO;
  env?: NodeJS.ProcessEnv;
  /** Run-time settings; by default the project's and the user config's (see settings.ts). */
  settings?: ContainerSettings;
  /** Called as each job's container is about to start, and once it has exited. */
  onJobStart?: (job: Job) => void;
  onJobEnd?: (result: JobResult) => void;
  /** Whether a job was stopped from elsewhere: before its start (it is skipped) or while it ran. */
  stopped?: (job: Job) => boolean;
  /** GPU device ids per slot: jobs run side by side, one per slot, each on its slot's GPUs only. */
  gpuSlots?: string[][];
}

/** Create options for a job's container: the target run from the code folder, with the run-time settings (settings.ts). */
export function jobContainer(
  job: Job,
  options: Pick<RunJobsOptions, 'project' | 'target' | 'env' | 'settings'>
): Docker.ContainerCreateOptions {
  const { project, target, env } = options;
  const settings = options.settings ?? resolveSettings(project, { env });
  // The executed notebook's folder, at the same path inside, so the job writes it where the user looks.
  const binds = job.output ? { Binds: [`${dirname(job.output)}:${dirname(job.output)}`] } : {};
  const published = publishedPorts(settings);
  return {
    Image: job.image.name,
    Cmd: [...targetCommand(target, job.output), ...job.args],
    WorkingDir: CODE_DIR,
    Env: [
      ...passthroughEnv(project.config, env),
      ...settings.env,
      ...Object.entries(job.mlflow ? mlflowEnv(job.mlflow) : {}).map(([name, value]) => `${name}=${value}`)
    ],
    ...(published ? { ExposedPorts: published.exposed } : {}),
    Labels: {
      ...job.labels,
      [LABELS.role]: 'run',
      [LABELS.project]: project.root,
      [LABELS.job]: String(job.index)
    },
    HostConfig: {
      Init: true,
      ...hostConfigOf(settings, job.image),
      ...(published ? { PortBindings: published.bindings } : {}),
      ...binds
    }
  };
}

/**
 * Runs jobs each in its own container, with output prefixed by job: one after another, or, with
 * `gpuSlots`, side by side, one job per slot, each job given only its slot's GPUs (the rest wait
 * for a slot to free). Results come in job order.
 */
export async function runJobs(docker: Docker, jobs: Job[], options: RunJobsOptions): Promise<JobResult[]> {
  const { project, target, io, env, onJobStart, onJobEnd, stopped } = options;
  const settings = options.settings ?? resolveSettings(project, { env });
  const results: JobResult[] = [];
  // Appended jobs are numbered after the group's last: the prefix names a job of the whole group.
  const total = Math.max(jobs.length, ...jobs.map(job => job.index));
  let failure: { error: unknown } | undefined;

  /** Runs one job; undefined when the run was interrupted. */
  const runOne = async (job: Job, jobSettings: ContainerSettings): Promise<JobResult | undefined> => {
    const prefix = `[job ${job.index}/${total}] `;
    const stdout = prefixLines(prefix, io.stdout);
    const stderr = prefixLines(prefix, io.stderr);
    let exitCode: number;
    if (job.output) {
      mkdirSync(dirname(job.output), { recursive: true });
    }
    onJobStart?.(job);
    try {
      exitCode = await runToCompletion(docker, jobContainer(job, { project, target, env, settings: jobSettings }), {
        stdout,
        stderr,
        signal: io.signal,
        // A stop that came between the check above and the start found no container to remove.
        onStart: container => void (stopped?.(job) && container.remove({ force: true }).catch(() => undefined))
      });
    } catch (error) {
      if (io.signal?.aborted) {
        return undefined;
      }
      if (!stopped?.(job)) {
        throw translateGpuError(error);
      }
      exitCode = -1; // Removed by the stop before it could start.
    } finally {
      stdout.end();
      stderr.end();
    }
    const result = stopped?.(job) ? { job, exitCode, stopped: true } : { job, exitCode };
    results.push(result);
    onJobEnd?.(result);
    return result;
  };

  const queue = [...jobs];
  /** Takes jobs from the queue until it is empty, the run is interrupted or a job fails to start. */
  const worker = async (jobSettings: ContainerSettings): Promise<void> => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      if (io.signal?.aborted || failure) {
        return;
      }
      if (stopped?.(job)) {
        continue;
      }
      try {
        if (!(await runOne(job, jobSettings))) {
          return;
        }
      } catch (error) {
        failure ??= { error };
        return;
      }
    }
  };
  const slots = options.gpuSlots?.length ? options.gpuSlots : undefined;
  await Promise.all(slots ? slots.map(gpus => worker({ ...settings, gpus })) : [worker(settings)]);
  if (failure) {
    throw failure.error;
  }
  if (io.signal?.aborted) {
    throw new CancelledError('Interrupted: the running job was stopped and its container removed.');
  }
  return results.sort((a, b) => a.job.index - b.job.index);
}
