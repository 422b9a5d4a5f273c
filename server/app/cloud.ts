import { basename, join } from 'node:path';
import { needsGpuImage, validateMachine } from '../cloud/catalog.js';
import { newRequestId, type Connect } from '../cloud/jobs.js';
import { argLabels, checkGroupName, defaultGroupName, labelRoom, parseLabels } from '../cloud/labels.js';
import { packageVersions } from '../cloud/packages.js';
import { planPools, type DistributedRequest } from '../cloud/pools.js';
import {
  defaultRepository,
  imageByDigest,
  pushImage,
  registryAuth,
  registryHost,
  remoteImage,
  type PushEvent
} from '../cloud/registry.js';
import { planCloudJobs, type CloudJob } from '../cloud/spec.js';
import { submitJobs, type SubmitEvent, type SubmitResult } from '../cloud/submit.js';
import { parentOf } from '../cloud/vertex.js';
import { ArielError, CancelledError } from '../errors.js';
import type { LoadedExperiments } from '../experiments/load.js';
import { checkAppendable, groupExists, type GroupRecord, type History, type JobRecord } from '../history/store.js';
import { mlflowSettings } from '../project/mlflow.js';
import { findProject } from '../project/project.js';
import type { Project } from '../project/project.js';
import { checkNotebookArgs, jobArgsFor, parametersWarnings } from '../run/notebook.js';
import { resolveTarget, type Target } from '../run/target.js';
import type { AppDeps } from './deps.js';
import type { AppEvent } from './events.js';
import { imageFor, planFor, prepareImage, type ImageRequest } from './images.js';

/** The accelerator a GPU request gets when the machine type brings none of its own. */
const DEFAULT_GPU = 'NVIDIA_TESLA_T4';

/** A cloud experiment: one Vertex AI custom job per expanded experiment of a module, script or notebook. */
export interface CloudExperimentRequest {
  project: Project;
  /** A module (trainer.train), a script or a notebook path, relative to `cwd` or the project. */
  target: string;
  cwd: string;
  /** Arguments every job gets first (a notebook's: `--name value` pairs). */
  args: string[];
  /** The expanded experiment config; undefined runs one job with `args` alone. */
  experiments?: LoadedExperiments;
  projectId: string;
  region: string;
  machineType: string;
  acceleratorType?: string;
  acceleratorCount?: number;
  /** A GPU image: with DEFAULT_GPU when the machine type brings no accelerator and none is named. */
  gpu?: boolean;
  /** Accept machine types, accelerators and regions the table does not know. */
  force?: boolean;
  extras?: string[];
  /** Build the image from scratch even where it exists (`--no-cache`). */
  noCache?: boolean;
  /** `key=value` pairs, sanitised to Vertex AI's rules (changes come back as warnings). */
  labels: string[];
  /** The job group's name; jobs are NAME-1, NAME-2, … (default: project and time). */
  name?: string;
  /** Add the jobs to the existing group `name`, numbered after its last (Caliban's `--xgroup`). */
  append?: boolean;
  serviceAccount?: string;
  /** gs:// folder for the jobs' outputs; required for a notebook, whose executed copy goes there. */
  outputDir?: string;
  /** Where the image is pushed; Artifact Registry's REGION-docker.pkg.dev/PROJECT/ariel by default. */
  imageRepository?: string;
  /**
   * An image already in a registry (Caliban's `--image_tag`), best by digest: the jobs run it,
   * nothing is built or pushed, and the history records it as given.
   */
  imageTag?: string;
  /** Job creations in flight at once. */
  concurrency?: number;
  /** Worker pools beside the primary machine (distributed training); absent for one machine. */
  distributed?: DistributedRequest;
}

/** What the cloud operations need besides the engine: the job history and Vertex AI. */
export interface CloudDeps extends AppDeps {
  history: History;
  connect: Connect;
}

/** A request checked and its jobs planned, before anything is built or pushed. */
export interface CloudPlan {
  request: CloudExperimentRequest;
  group: string;
  target: Target;
  image: ImageRequest;
  /** The image's name in its registry, by tag: the jobs get it by digest once pushed. */
  remote: string;
  /** The jobs, with the image by tag (what a dry run shows). */
  jobs: CloudJob[];
  /** Label changes, unknown machines accepted by force, a notebook without a parameters cell, … */
  warnings: string[];
}

/**
 * Checks a cloud experiment and plans its jobs; no engine needed, nothing built or pushed.
 * Machine × accelerator × region against the table, labels, the group's name (unused in
 * `history` when given), the target with a notebook's rules (its args, an output folder),
 * and at least one job.
 */
export async function planCloudExperiment(
  deps: AppDeps & { history?: History },
  request: CloudExperimentRequest
): Promise<CloudPlan> {
  const { project } = request;
  const asked = {
    machineType: request.machineType,
    region: request.region,
    acceleratorType: request.acceleratorType,
    acceleratorCount: request.acceleratorCount
  };
  let machine = validateMachine(asked, { force: request.force });
  if (request.gpu && !machine.spec.acceleratorType) {
    machine = validateMachine({ ...asked, acceleratorType: DEFAULT_GPU }, { force: request.force });
  }
  const pools = planPools(request.distributed, machine.spec, { region: request.region, force: request.force });
  const labels = parseLabels(request.labels);
  const group = request.name ? checkGroupName(request.name) : defaultGroupName(basename(project.root), new Date());
  const existing = request.name ? deps.history?.group(group) : undefined;
  if (existing && request.append) {
    checkAppendable(existing, { platform: 'vertex', cloudProject: request.projectId, region: request.region });
  } else if (existing) {
    throw groupExists(group);
  }
  const after = existing ? deps.history!.lastExperiment(group) : 0;
  const target = resolveTarget(project, request.target, request.cwd);
  const warnings = [...machine.warnings, ...pools.warnings, ...labels.warnings, ...project.warnings];
  const experiments = request.experiments && jobArgsFor(request.target, request.experiments);
  warnings.push(...(request.experiments?.warnings ?? []));
  if (experiments?.length === 0) {
    throw new ArielError(
      'experiment-config-invalid',
      'The experiment config expands to no jobs: nothing to build, push or submit.',
      'Give every key at least one value.'
    );
  }
  if (target.kind === 'notebook') {
    checkNotebookArgs(request.args);
    if (request.args.length > 0 || experiments?.some(flags => flags.length > 0)) {
      warnings.push(...parametersWarnings(join(project.root, target.path), target.path));
    }
  }
  const image: ImageRequest = {
    project,
    mode: 'cloud',
    accelerator:
      needsGpuImage(machine.spec.acceleratorType) || needsGpuImage(pools.workers?.machine.acceleratorType)
        ? 'gpu'
        : 'cpu',
    extras: request.extras,
    notebookRunner: target.kind === 'notebook',
    noCache: request.noCache
  };
  const remote = request.imageTag
    ? request.imageTag
    : remoteImage(
        String(await imageFor(deps, image)),
        request.imageRepository || defaultRepository(request.projectId, request.region)
      );
  if (request.imageTag && !request.imageTag.includes('@sha256:')) {
    warnings.push(
      `${request.imageTag} is a tag, which can move: the jobs run what it names when they start, and the history keeps the tag. Give the image by digest (…@sha256:…) to pin it.`
    );
  }
  // As planJobs orders them for `ariel run`: arguments after `--` first, then the experiment's flags.
  const planned = (experiments ?? [[]]).map((flags, i) => ({
    index: after + i + 1,
    args: [...request.args, ...flags]
  }));
  const jobs = planCloudJobs(planned, {
    group,
    projectName: basename(project.root),
    image: remote,
    target,
    machine: machine.spec,
    userLabels: labels.labels,
    serviceAccount: request.serviceAccount,
    outputDirectory: request.outputDir,
    mlflow: mlflowSettings(project, deps.env),
    pools
  });
  const dropped = new Set(
    jobs.flatMap(job => argLabels(job.args, labelRoom(Object.keys(labels.labels).length)).dropped)
  );
  if (dropped.size > 0) {
    warnings.push(
      `Vertex AI takes 64 labels per job: the arguments ${[...dropped].map(k => `--${k}`).join(', ')} are not among the labels of every job.`
    );
  }
  return { request, group, target, image, remote, jobs, warnings };
}

/** The jobs' image, as the history records it. */
interface SubmittedImage {
  image: string;
  digest: string;
  packages: Record<string, string>;
  dockerfile: string;
}

/** Builds the planned image and pushes it; the jobs get it by digest. */
async function buildAndPush(
  deps: CloudDeps,
  plan: CloudPlan,
  { onEvent, signal }: { onEvent: (event: CloudEvent) => void; signal: AbortSignal }
): Promise<SubmittedImage> {
  const { request } = plan;
  onEvent({ type: 'phase', phase: 'build', detail: 'Building the cloud image' });
  const built = await prepareImage(deps, plan.image, { signal, onEvent });
  const localImage = built.image.name;
  const packages = await packageVersions(deps.docker, localImage, signal);
  const remote = remoteImage(
    localImage,
    request.imageRepository || defaultRepository(request.projectId, request.region)
  );
  onEvent({ type: 'phase', phase: 'push', detail: `Pushing ${remote}` });
  const digest = await pushImage(deps.docker, localImage, remote, {
    auth: await registryAuth(registryHost(remote)),
    signal,
    onEvent
  });
  return { image: imageByDigest(remote, digest), digest, packages, dockerfile: planFor(deps, plan.image).dockerfile };
}

/** An image given as it is (`--image-tag`): neither built nor pushed, so its Dockerfile and packages are unknown. */
function givenImage(image: string): SubmittedImage {
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1] ?? image;
  return {
    image,
    digest,
    packages: {},
    dockerfile: `# ${image} was given with --image-tag: Ariel did not build it.\n`
  };
}

/**
 * Caliban's resubmission: today's code in a new image. Builds the cloud image of the group's
 * project as it is now (CPU or GPU, notebook runner or not, as its jobs were), pushes it to the
 * repository of the group's image, and resolves to it by digest, for the new attempts.
 */
export async function rebuildGroupImage(
  deps: AppDeps,
  group: GroupRecord,
  jobs: JobRecord[],
  { onEvent, signal }: { onEvent: (event: CloudEvent) => void; signal: AbortSignal }
): Promise<string> {
  const first = jobs[0];
  const spec = first?.platform === 'vertex' ? first.spec : undefined;
  const image: ImageRequest = {
    project: findProject(group.projectRoot),
    mode: 'cloud',
    accelerator:
      needsGpuImage(spec?.acceleratorType ?? undefined) || needsGpuImage(spec?.workers?.acceleratorType ?? undefined)
        ? 'gpu'
        : 'cpu',
    notebookRunner: spec?.notebook !== undefined
  };
  onEvent({ type: 'phase', phase: 'build', detail: 'Building the cloud image from the code as it is now' });
  const built = await prepareImage(deps, image, { signal, onEvent });
  const localImage = built.image.name;
  const repository = group.image.replace(/@sha256:[0-9a-f]{64}$/, '').replace(/:[^/:]+$/, '');
  const remote = `${repository}:${localImage.slice(localImage.lastIndexOf(':') + 1)}`;
  onEvent({ type: 'phase', phase: 'push', detail: `Pushing ${remote}` });
  const digest = await pushImage(deps.docker, localImage, remote, {
    auth: await registryAuth(registryHost(remote)),
    signal,
    onEvent
  });
  return imageByDigest(remote, digest);
}

/** What a submission reports while it runs: the CLI renders it on a terminal, the companion streams it. */
export type CloudEvent =
  | { type: 'phase'; phase: 'build' | 'push' | 'submit'; detail: string }
  | AppEvent
  /** A layer's push status (Preparing, Pushing with progress, Pushed, Layer already exists). */
  | PushEvent
  /** The image is pushed and the group recorded with these jobs; their creation starts. */
  | { type: 'planned'; group: string; image: string; jobs: { index: number; displayName: string; args: string[] }[] }
  | SubmitEvent;

export interface CloudOutcome {
  group: string;
  /** The jobs as recorded, the image by digest. */
  jobs: CloudJob[];
  result: SubmitResult;
}

/**
 * Builds the planned image (a notebook runner for a notebook), pushes it, records the group with
 * the image by digest and every job before it is created, then creates the jobs. Resolves when
 * every job has been created or given up on (the result says which); an interruption leaves the
 * history consistent with what exists in the cloud.
 */
export async function submitCloudExperiment(
  deps: CloudDeps,
  plan: CloudPlan,
  { onEvent, signal }: { onEvent: (event: CloudEvent) => void; signal: AbortSignal }
): Promise<CloudOutcome> {
  const { history, connect } = deps;
  const { request, group } = plan;
  const { image, digest, packages, dockerfile } = request.imageTag
    ? givenImage(request.imageTag)
    : await buildAndPush(deps, plan, { signal, onEvent });
  const jobs = plan.jobs.map(job => ({ ...job, image }));
  if (signal.aborted) {
    throw new CancelledError('The submission was cancelled before any job was recorded.');
  }
  const records = history.recordGroup(
    {
      name: group,
      platform: 'vertex',
      projectRoot: request.project.root,
      target: request.target,
      cloudProject: request.projectId,
      region: request.region,
      image,
      imageDigest: digest,
      dockerfile,
      packages,
      createdAt: new Date().toISOString()
    },
    jobs.map(job => ({
      experiment: job.index,
      args: job.args,
      spec: job,
      requestId: newRequestId()
    })),
    { append: request.append }
  );
  onEvent({
    type: 'planned',
    group,
    image,
    jobs: jobs.map(({ index, displayName, args }) => ({ index, displayName, args }))
  });
  onEvent({ type: 'phase', phase: 'submit', detail: `Creating ${jobs.length} Vertex AI job(s)` });
  const api = await connect(request.region);
  try {
    const result = await submitJobs(api, history, records, {
      parent: parentOf(request.projectId, request.region),
      concurrency: request.concurrency,
      signal,
      onEvent
    });
    return { group, jobs, result };
  } finally {
    await api.close();
  }
}
