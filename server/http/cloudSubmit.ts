import { basename } from 'node:path';
import { planFor, prepareImage, type AppDeps, type ImageRequest } from '../app/index.js';
import { validateMachine, type MachineSpec } from '../cloud/catalog.js';
import { newRequestId, type Connect } from '../cloud/jobs.js';
import { checkGroupName, defaultGroupName, parseLabels } from '../cloud/labels.js';
import { packageVersions } from '../cloud/packages.js';
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
import { submitJobs, type SubmitEvent } from '../cloud/submit.js';
import { parentOf } from '../cloud/vertex.js';
import type { BuildEvent } from '../docker/build.js';
import { ArielError, CancelledError } from '../errors.js';
import { expandExperiments, experimentArgs } from '../experiments/expand.js';
import type { History } from '../history/store.js';
import { parseJsoncExact } from '../project/jsonc.js';
import { findProject, type Project } from '../project/project.js';
import { resolveTarget, type Target } from '../run/target.js';

/** What the sidebar sends to submit an experiment (the JSON body of POST /cloud/submissions). */
export interface CloudRequest {
  /** The project's folder, resolved by the caller inside Jupyter's root. */
  folder: string;
  /** A module (trainer.train) or a script path from the project root. */
  target: string;
  /** Arguments every job gets first, as after `--` on the command line. */
  args: string[];
  /** The experiment config's text (JSON with # and // comments); empty for one job. */
  experimentConfig: string;
  projectId: string;
  region: string;
  machineType: string;
  acceleratorType?: string;
  acceleratorCount?: number;
  /** `key=value` pairs, sanitised to Vertex AI's rules (changes come back as warnings). */
  labels: string[];
  name?: string;
  serviceAccount?: string;
  outputDir?: string;
  /** Where the image is pushed; Artifact Registry's REGION-docker.pkg.dev/PROJECT/ariel by default. */
  imageRepository?: string;
}

/** Experiment configs are expanded in the browser's name for them. */
const CONFIG_NAME = 'the experiment config';

/** One argument list per job from the config's text; no text is one job without flags. */
export function expandConfigText(text: string): { experiments: string[][] | undefined; warnings: string[] } {
  if (!text.trim()) {
    return { experiments: undefined, warnings: [] };
  }
  const { value, warnings } = parseJsoncExact(text, CONFIG_NAME, {
    hashComments: true,
    code: 'experiment-config-invalid'
  });
  return { experiments: expandExperiments(value, { where: CONFIG_NAME }).map(experimentArgs), warnings };
}

/** Every job's arguments, in `ariel run`'s order (planJobs): the common args, then the experiment's flags. */
export function jobArgs(args: string[], experiments: string[][] | undefined): { index: number; args: string[] }[] {
  return (experiments ?? [[]]).map((flags, i) => ({ index: i + 1, args: [...args, ...flags] }));
}

/** A request checked against the table, the project and the config, before anything is built. */
export interface CheckedRequest {
  request: CloudRequest;
  project: Project;
  target: Target;
  machine: MachineSpec;
  labels: Record<string, string>;
  group: string;
  experiments: string[][] | undefined;
  image: ImageRequest;
  warnings: string[];
  /** The jobs with their image: planned once at the check, so that a spec error comes before any build. */
  plan(image: string): CloudJob[];
}

export function checkRequest(request: CloudRequest, history: History): CheckedRequest {
  const machine = validateMachine({
    machineType: request.machineType,
    region: request.region,
    acceleratorType: request.acceleratorType,
    acceleratorCount: request.acceleratorCount
  });
  const labels = parseLabels(request.labels);
  const project = findProject(request.folder);
  const target = resolveTarget(project, request.target, project.root);
  const { experiments, warnings } = expandConfigText(request.experimentConfig);
  if (experiments?.length === 0) {
    throw new ArielError(
      'experiment-config-invalid',
      'The experiment config expands to no jobs: nothing to submit.',
      'Give every key at least one value.'
    );
  }
  const group = request.name ? checkGroupName(request.name) : defaultGroupName(basename(project.root), new Date());
  if (history.group(group)) {
    throw new ArielError(
      'cloud-spec-invalid',
      `A job group named ${group} exists already.`,
      'Choose another name for this experiment.'
    );
  }
  const plan = (image: string) =>
    planCloudJobs(jobArgs(request.args, experiments), {
      group,
      projectName: basename(project.root),
      image,
      target,
      machine: machine.spec,
      userLabels: labels.labels,
      serviceAccount: request.serviceAccount,
      outputDirectory: request.outputDir
    });
  plan('');
  return {
    request,
    project,
    target,
    machine: machine.spec,
    labels: labels.labels,
    group,
    experiments,
    image: { project, mode: 'cloud', accelerator: machine.spec.acceleratorType ? 'gpu' : 'cpu' },
    warnings: [...machine.warnings, ...labels.warnings, ...project.warnings, ...warnings],
    plan
  };
}

/** What a submission reports while it runs; the sidebar renders it. */
export type SubmissionEvent =
  | { type: 'phase'; phase: 'build' | 'push' | 'submit'; detail: string }
  | Extract<BuildEvent, { type: 'step' }>
  /** A layer's push status when it changes (Preparing, Pushing, Pushed, Layer already exists). */
  | PushEvent
  | { type: 'planned'; group: string; jobs: { index: number; displayName: string; args: string[] }[] }
  | SubmitEvent;

export interface SubmissionOutcome {
  group: string;
  created: number;
  failed: number;
  skipped: number;
}

/**
 * Builds the cloud image, pushes it, records the group and creates its jobs, as `ariel cloud`
 * does: the image by digest, every job recorded before it is created. Resolves when every job
 * has been created or given up on; an interruption leaves the history consistent.
 */
export async function submitExperiment(
  deps: { app: AppDeps; history: History; connect: Connect },
  checked: CheckedRequest,
  { onEvent, signal }: { onEvent: (event: SubmissionEvent) => void; signal: AbortSignal }
): Promise<SubmissionOutcome> {
  const { app, history, connect } = deps;
  const { request, group } = checked;
  onEvent({ type: 'phase', phase: 'build', detail: 'Building the cloud image' });
  const built = await prepareImage(app, checked.image, {
    signal,
    onEvent: event => {
      if (event.type === 'step') {
        onEvent(event);
      }
    }
  });
  const localImage = built.image.name;
  const packages = await packageVersions(app.docker, localImage, signal);
  const remote = remoteImage(
    localImage,
    request.imageRepository || defaultRepository(request.projectId, request.region)
  );
  onEvent({ type: 'phase', phase: 'push', detail: `Pushing ${remote}` });
  const statuses = new Map<string, string>();
  const digest = await pushImage(app.docker, localImage, remote, {
    auth: await registryAuth(registryHost(remote)),
    signal,
    onEvent: event => {
      // The engine repeats "Pushing" with each chunk's progress; a change of status is news.
      if (statuses.get(event.layer) !== event.status) {
        statuses.set(event.layer, event.status);
        onEvent(event);
      }
    }
  });
  const image = imageByDigest(remote, digest);
  const jobs = checked.plan(image);
  if (signal.aborted) {
    throw new CancelledError('The submission was cancelled before any job was recorded.');
  }
  const records = history.recordGroup(
    {
      name: group,
      platform: 'vertex',
      projectRoot: checked.project.root,
      target: request.target,
      cloudProject: request.projectId,
      region: request.region,
      image,
      imageDigest: digest,
      dockerfile: planFor(app, checked.image).dockerfile,
      packages,
      createdAt: new Date().toISOString()
    },
    jobs.map(job => ({
      experiment: job.index,
      args: job.args,
      spec: job as unknown as Record<string, unknown>,
      requestId: newRequestId()
    }))
  );
  onEvent({ type: 'planned', group, jobs: jobs.map(({ index, displayName, args }) => ({ index, displayName, args })) });
  onEvent({ type: 'phase', phase: 'submit', detail: `Creating ${jobs.length} Vertex AI job(s)` });
  const api = await connect(request.region);
  try {
    const result = await submitJobs(api, history, records, {
      parent: parentOf(request.projectId, request.region),
      signal,
      onEvent
    });
    return { group, created: result.created.length, failed: result.failed.length, skipped: result.skipped.length };
  } finally {
    await api.close();
  }
}
