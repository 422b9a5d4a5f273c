import { ArielError } from '../errors.js';
import { mlflowEnv, mlflowRun, type MlflowSettings } from '../project/mlflow.js';
import type { Job } from '../run/jobs.js';
import { targetCommand, type Target } from '../run/target.js';
import type { MachineSpec } from './catalog.js';
import { ARIEL_LABELS, argLabels, labelRoom, sanitizeLabel } from './labels.js';
import { REDUCTION_SERVER, type PoolsPlan } from './pools.js';

/** The workers of a distributed job (workerPoolSpecs[1]): the primary's image, command, args and labels. */
export interface WorkerPool {
  replicaCount: number;
  machineType: string;
  acceleratorType: string | null;
  acceleratorCount: number;
}

/** Vertex AI's Reduction Server (workerPoolSpecs[2]): its own image on CPU machines. */
export interface ReductionServerPool {
  replicaCount: number;
  machineType: string;
  image: string;
}

/** One Vertex AI CustomJob as Ariel plans it: what `--dry-run --json` prints, and what the history keeps. */
export interface CloudJob {
  index: number;
  displayName: string;
  /** The container's command (`python -m module` or `python script.py`). */
  command: string[];
  /** Arguments after the command: `-- ARGS` first, then the experiment's flags, as `ariel run` orders them. */
  args: string[];
  image: string;
  machineType: string;
  acceleratorType: string | null;
  acceleratorCount: number;
  labels: Record<string, string>;
  serviceAccount: string | null;
  /** gs:// folder for the job's outputs (Vertex AI sets AIP_MODEL_DIR etc. from it). */
  outputDirectory: string | null;
  /** A notebook job: the notebook it executes and where the executed notebook goes. */
  notebook?: { path: string; output: string };
  /** The container's environment (the MLFLOW_* variables of its MLflow run). */
  env?: Record<string, string>;
  /** Workers beside the primary (the machine above); absent for a one-machine job. */
  workers?: WorkerPool;
  /** Reduction Server replicas; absent without them. */
  reductionServers?: ReductionServerPool;
}

export interface CloudJobOptions {
  group: string;
  /** The image in its registry: by digest once pushed, by tag in a dry run. */
  image: string;
  projectName: string;
  target: Target;
  machine: MachineSpec;
  userLabels: Record<string, string>;
  serviceAccount?: string;
  outputDirectory?: string;
  /** The MLflow tracking server the jobs log to; each job is a run named GROUP-INDEX. */
  mlflow?: MlflowSettings;
  /** Worker pools beside the primary, checked (see planPools); none for one machine. */
  pools?: Omit<PoolsPlan, 'warnings'>;
}

/** Vertex AI jobs for the jobs `ariel run` would run, one per expanded experiment. */
export function planCloudJobs(jobs: Pick<Job, 'index' | 'args'>[], options: CloudJobOptions): CloudJob[] {
  const { target } = options;
  if (target.kind === 'notebook' && !options.outputDirectory) {
    throw new ArielError(
      'cloud-output-missing',
      `A notebook job keeps the executed notebook in its output folder, and no output folder was given for ${target.path}.`,
      'Give a Cloud Storage folder for the outputs, e.g. gs://my-bucket/ariel (each job writes NAME/INDEX/ below it).'
    );
  }
  return jobs.map(job => {
    const outputDirectory = options.outputDirectory
      ? `${options.outputDirectory.replace(/\/+$/, '')}/${options.group}/${job.index}`
      : null;
    // Within the job's output folder, the executed notebook keeps its name.
    const notebook =
      target.kind === 'notebook' && outputDirectory
        ? { path: target.path, output: `${outputDirectory}/${target.path.split('/').pop()}` }
        : undefined;
    return cloudJob(job, options, outputDirectory, notebook);
  });
}

function cloudJob(
  job: Pick<Job, 'index' | 'args'>,
  options: CloudJobOptions,
  outputDirectory: string | null,
  notebook: CloudJob['notebook']
): CloudJob {
  return {
    index: job.index,
    displayName: `${options.group}-${job.index}`,
    command: targetCommand(options.target, notebook?.output),
    args: job.args,
    image: options.image,
    machineType: options.machine.machineType,
    acceleratorType: options.machine.acceleratorType ?? null,
    acceleratorCount: options.machine.acceleratorType ? (options.machine.acceleratorCount ?? 1) : 0,
    labels: {
      // Labels given with --label win over those made from the job's arguments.
      ...argLabels(job.args, labelRoom(Object.keys(options.userLabels).length)).labels,
      ...options.userLabels,
      [ARIEL_LABELS.project]: sanitizeLabel(options.projectName),
      [ARIEL_LABELS.group]: options.group,
      [ARIEL_LABELS.experiment]: String(job.index)
    },
    serviceAccount: options.serviceAccount ?? null,
    outputDirectory,
    ...(notebook ? { notebook } : {}),
    ...(options.mlflow ? { env: mlflowEnv(mlflowRun(options.mlflow, options.group, job.index)) } : {}),
    ...poolsOf(options.pools)
  };
}

function poolsOf(pools: CloudJobOptions['pools']): Pick<CloudJob, 'workers' | 'reductionServers'> {
  if (!pools?.workers) {
    return {};
  }
  const { machine, replicaCount } = pools.workers;
  return {
    workers: {
      replicaCount,
      machineType: machine.machineType,
      acceleratorType: machine.acceleratorType ?? null,
      acceleratorCount: machine.acceleratorType ? (machine.acceleratorCount ?? 1) : 0
    },
    ...(pools.reductionServers > 0
      ? {
          reductionServers: {
            replicaCount: pools.reductionServers,
            machineType: REDUCTION_SERVER.machineType,
            image: REDUCTION_SERVER.imageUri
          }
        }
      : {})
  };
}

function machineSpec(pool: { machineType: string; acceleratorType: string | null; acceleratorCount: number }) {
  return {
    machineType: pool.machineType,
    ...(pool.acceleratorType ? { acceleratorType: pool.acceleratorType, acceleratorCount: pool.acceleratorCount } : {})
  };
}

/** The CustomJob message for `JobServiceClient.createCustomJob`, tagged with its request label. */
export function customJobMessage(job: CloudJob, requestId: string): Record<string, unknown> {
  return {
    displayName: job.displayName,
    labels: { ...job.labels, [ARIEL_LABELS.request]: requestId },
    jobSpec: {
      workerPoolSpecs: workerPoolSpecs(job),
      ...(job.serviceAccount ? { serviceAccount: job.serviceAccount } : {}),
      ...(job.outputDirectory ? { baseOutputDirectory: { outputUriPrefix: job.outputDirectory } } : {})
    }
  };
}

/**
 * Vertex AI's worker pools of a job: [0] the primary, [1] the workers, [2] the Reduction Server.
 * The training pools run the same image (by digest), command and args; the Reduction Server runs
 * its own image with the arguments it chooses itself.
 */
export function workerPoolSpecs(job: CloudJob): Record<string, unknown>[] {
  const containerSpec = {
    imageUri: job.image,
    command: job.command,
    args: job.args,
    ...(job.env ? { env: Object.entries(job.env).map(([name, value]) => ({ name, value })) } : {})
  };
  const pools: Record<string, unknown>[] = [{ replicaCount: 1, machineSpec: machineSpec(job), containerSpec }];
  if (job.workers) {
    pools.push({ replicaCount: job.workers.replicaCount, machineSpec: machineSpec(job.workers), containerSpec });
  }
  if (job.reductionServers) {
    const { replicaCount, machineType, image } = job.reductionServers;
    // Vertex AI skips a pool given as an empty value: a Reduction Server is always the third.
    pools.length = Math.max(pools.length, 2);
    pools.push({ replicaCount, machineSpec: { machineType }, containerSpec: { imageUri: image } });
  }
  return Array.from(pools, pool => pool ?? {});
}
