import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { packageVersions } from '../cloud/packages.js';
import { defaultGroupName } from '../cloud/labels.js';
import { givenImage } from '../docker/existing.js';
import type { RunnableImage } from '../docker/imageRef.js';
import { LABELS } from '../docker/labels.js';
import { resolveSettings, type ContainerSettings } from '../docker/settings.js';
import { MAX_LOGS_BYTES, pruneLogs, teeJobLogs } from '../history/logs.js';
import type { History } from '../history/store.js';
import type { Accelerator, RunConfig } from '../project/config.js';
import { mlflowRun, mlflowSettings, type MlflowSettings } from '../project/mlflow.js';
import type { Project } from '../project/project.js';
import { ArielError } from '../errors.js';
import { gpuSlots, sweepDevices } from '../run/gpuSlots.js';
import { planJobs, runJobs, type Job, type JobResult } from '../run/jobs.js';
import { checkNotebookArgs, executedNotebookName, parametersWarnings } from '../run/notebook.js';
import { groupNameFor, recordLocalRun, trackLocalRun } from '../run/record.js';
import { resolveTarget, type Target } from '../run/target.js';
import type { AppDeps, Progress } from './deps.js';
import { imageFor, planFor, prepareImage, useGivenImage, type ImageRequest } from './images.js';

/** An experiment: a module, script or notebook of the project, run once per expanded experiment. */
export interface ExperimentRequest {
  project: Project;
  /** A module (trainer.train), a script or a notebook path, relative to `cwd` or the project. */
  target: string;
  /** The caller's folder, against which a script path is resolved. */
  cwd: string;
  /** Arguments every job gets first. */
  args: string[];
  /** Each experiment's flags (for a notebook, see `notebookArgs`); undefined runs one job with `args` alone. */
  experiments?: string[][];
  accelerator: Accelerator;
  extras?: string[];
  /** Build the image from scratch even where it exists (`--no-cache`). */
  noCache?: boolean;
  /** The run's name in the history; its jobs are NAME-1, NAME-2, … (default: project and time). */
  group?: string;
  /** Run-time settings over the project's and the user config's (the command line's flags). */
  settings?: RunConfig;
  /** A GPU sweep: jobs side by side, each on its own this many GPUs (see gpuSlots.ts). */
  gpusPerJob?: number;
  /** Add the jobs to the existing local group `group`, numbered after its last (Caliban's `--xgroup`). */
  append?: boolean;
  /** An existing image to run instead of the project's (`--image`): nothing is built. */
  image?: string;
}

export interface ExperimentPlan {
  target: Target;
  image: RunnableImage;
  jobs: Job[];
  /** The run's name (jobs are GROUP-1, GROUP-2, …). */
  group: string;
  /** What each job's container gets. */
  settings: ContainerSettings;
}

/** The target, checked, and the image request it needs (a notebook's image can execute notebooks). */
function resolveExperiment(request: ExperimentRequest): { target: Target; image: ImageRequest; group: string } {
  const { project, accelerator, extras, noCache } = request;
  const target = resolveTarget(project, request.target, request.cwd);
  if (target.kind === 'notebook') {
    checkNotebookArgs(request.args);
  }
  const notebookRunner = target.kind === 'notebook';
  const image = { project, mode: 'run' as const, accelerator, extras, notebookRunner, noCache };
  return { target, image, group: request.group ?? defaultGroupName(basename(project.root), new Date()) };
}

/**
 * Jobs in `image`, numbered after `after`; a notebook job writes its executed notebook to
 * `outputs/` beside the notebook.
 */
function jobsOf(
  request: ExperimentRequest,
  target: Target,
  image: RunnableImage,
  group: string,
  after = 0,
  mlflow?: MlflowSettings
): Job[] {
  const jobs = planJobs(image, request.args, request.experiments).map(job => {
    const index = job.index + after;
    return { ...job, index, ...(mlflow ? { mlflow: mlflowRun(mlflow, group, index) } : {}) };
  });
  if (target.kind !== 'notebook') {
    return jobs;
  }
  const folder = join(request.project.root, dirname(target.path), 'outputs');
  return jobs.map(job => ({
    ...job,
    output: join(folder, executedNotebookName(target.path, `${group}-${job.index}`))
  }));
}

/** What the caller should know before the experiment runs: a notebook without a `parameters` cell. */
export function experimentWarnings(request: ExperimentRequest): string[] {
  const target = resolveTarget(request.project, request.target, request.cwd);
  const hasValues = request.args.length > 0 || (request.experiments ?? []).some(flags => flags.length > 0);
  return target.kind === 'notebook' && hasValues
    ? parametersWarnings(join(request.project.root, target.path), target.path)
    : [];
}

/** The GPU slots of a sweep (`gpusPerJob`), checked before anything is built. */
function sweepSlots(request: ExperimentRequest, settings: ContainerSettings): string[][] | undefined {
  if (request.gpusPerJob === undefined) {
    return undefined;
  }
  if (request.accelerator !== 'gpu') {
    throw new ArielError('usage', '--gpus-per-job shares GPUs between jobs, and this run has none.', 'Add --gpu.');
  }
  return gpuSlots(sweepDevices(settings.gpus), request.gpusPerJob);
}

/** The jobs an experiment would run, and in which image; no engine needed. */
export async function planExperiment(deps: AppDeps, request: ExperimentRequest): Promise<ExperimentPlan> {
  const { target, image: imageRequest, group } = resolveExperiment(request);
  const settings = resolveSettings(request.project, { env: deps.env, overrides: request.settings });
  sweepSlots(request, settings);
  const mlflow = mlflowSettings(request.project, deps.env);
  const image = request.image ? givenImage(request.image, request.accelerator) : await imageFor(deps, imageRequest);
  return { target, image, jobs: jobsOf(request, target, image, group, 0, mlflow), group, settings };
}

export interface ExperimentResult {
  image: RunnableImage;
  results: JobResult[];
  group: string;
}

export interface RunProgress extends Progress {
  stdout: Writable;
  stderr: Writable;
  /** Records the run (platform local) and its jobs' states in this history. */
  history?: History;
}

/**
 * Runs an experiment's jobs one after another in the run-mode image (built first if needed),
 * each job's output prefixed by its number. Jobs that exit non-zero are results, not errors;
 * aborting stops the running job, removes its container and rejects with a CancelledError.
 * With a history, the run is recorded before its first job starts (image id, Dockerfile, the
 * image's package versions) and each job's state as it changes; a job stopped from elsewhere
 * (`stopJobs`) is skipped, or ends with `stopped` in its result.
 */
export async function runExperiment(
  deps: AppDeps,
  request: ExperimentRequest,
  options: RunProgress
): Promise<ExperimentResult> {
  const { project } = request;
  const { stdout, stderr, signal, history } = options;
  const resolved = resolveExperiment(request);
  const { target, image: imageRequest } = resolved;
  // Before the build: a bad mount or size is an error now, as is a name in use.
  const settings = resolveSettings(project, { env: deps.env, overrides: request.settings });
  const gpuSlots = sweepSlots(request, settings);
  const mlflow = mlflowSettings(project, deps.env);
  const group = history
    ? groupNameFor(history, resolved.group, request.group !== undefined, request.append)
    : resolved.group;
  const given = request.image ? givenImage(request.image, request.accelerator) : undefined;
  const image = given
    ? await useGivenImage(deps, given, options)
    : (await prepareImage(deps, { ...imageRequest, willRun: true }, options)).image;
  let jobs = jobsOf(request, target, image, group, request.append ? history?.lastExperiment(group) : 0, mlflow);
  let tracker: ReturnType<typeof trackLocalRun> | undefined;
  if (history && jobs.length > 0) {
    const imageId = (await deps.docker.getImage(image.name).inspect()).Id;
    const packages = history.packagesOf(imageId) ?? (await packageVersions(deps.docker, image.name, signal));
    const records = recordLocalRun(
      history,
      {
        group,
        project,
        targetText: request.target,
        target,
        imageId,
        // An image given with --image was not built from this project's Dockerfile.
        dockerfile: given ? '' : planFor(deps, imageRequest).dockerfile,
        packages,
        jobs
      },
      request.append
    );
    tracker = trackLocalRun(history, records);
    // Labels that let a stop from another process find each job's container.
    jobs = jobs.map((job, i) => ({
      ...job,
      labels: { [LABELS.group]: group, [LABELS.request]: records[i].requestId }
    }));
  }
  // Each job's output is kept in a log beside the history: a run's containers are removed.
  const logged = history && jobs.length > 0 ? history.folder : undefined;
  if (logged) {
    pruneLogs(logged, MAX_LOGS_BYTES, group);
  }
  try {
    const results = await runJobs(deps.docker, jobs, {
      project,
      target,
      env: deps.env,
      settings,
      gpuSlots,
      io: {
        stdout: logged ? teeJobLogs(stdout, logged, group) : stdout,
        stderr: logged ? teeJobLogs(stderr, logged, group) : stderr,
        signal
      },
      onJobStart: tracker?.onJobStart,
      onJobEnd: tracker?.onJobEnd,
      stopped: tracker?.stopped
    });
    return { image, results, group };
  } catch (error) {
    tracker?.settle(error);
    throw error;
  }
}
