import type { Writable } from 'node:stream';
import type { ImageRef } from '../docker/imageRef.js';
import type { Accelerator } from '../project/config.js';
import type { Project } from '../project/project.js';
import { planJobs, runJobs, type Job, type JobResult } from '../run/jobs.js';
import { resolveTarget, type Target } from '../run/target.js';
import type { AppDeps, Progress } from './deps.js';
import { imageFor, prepareImage } from './images.js';

/** An experiment: a module or script of the project, run once per expanded experiment. */
export interface ExperimentRequest {
  project: Project;
  /** A module (trainer.train) or a script path, relative to `cwd` or the project. */
  target: string;
  /** The caller's folder, against which a script path is resolved. */
  cwd: string;
  /** Arguments every job gets first. */
  args: string[];
  /** Each experiment's flags; undefined runs one job with `args` alone. */
  experiments?: string[][];
  accelerator: Accelerator;
  extras?: string[];
}

export interface ExperimentPlan {
  target: Target;
  image: ImageRef;
  jobs: Job[];
}

/** The jobs an experiment would run, and in which image; no engine needed. */
export async function planExperiment(deps: AppDeps, request: ExperimentRequest): Promise<ExperimentPlan> {
  const { project, accelerator, extras } = request;
  const target = resolveTarget(project, request.target, request.cwd);
  const image = await imageFor(deps, { project, mode: 'run', accelerator, extras });
  return { target, image, jobs: planJobs(image, request.args, request.experiments) };
}

export interface ExperimentResult {
  image: ImageRef;
  results: JobResult[];
}

/**
 * Runs an experiment's jobs one after another in the run-mode image (built first if needed),
 * each job's output prefixed by its number. Jobs that exit non-zero are results, not errors;
 * aborting stops the running job, removes its container and rejects with a CancelledError.
 */
export async function runExperiment(
  deps: AppDeps,
  request: ExperimentRequest,
  options: Progress & { stdout: Writable; stderr: Writable }
): Promise<ExperimentResult> {
  const { project, accelerator, extras } = request;
  const target = resolveTarget(project, request.target, request.cwd);
  const { image } = await prepareImage(deps, { project, mode: 'run', accelerator, extras, willRun: true }, options);
  const jobs = planJobs(image, request.args, request.experiments);
  const { stdout, stderr, signal } = options;
  const results = await runJobs(deps.docker, jobs, { project, target, env: deps.env, io: { stdout, stderr, signal } });
  return { image, results };
}
