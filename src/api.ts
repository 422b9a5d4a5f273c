/**
 * The companion server's HTTP and WebSocket contract under `{baseUrl}ariel/`, as the browser sees it.
 * The server side lives in `server/http/`; the browser bundle must not import it (it pulls in Docker's client).
 */

export type Accelerator = 'cpu' | 'gpu';
export const ACCELERATORS: readonly Accelerator[] = ['cpu', 'gpu'];

export type Mode = 'shell' | 'notebook' | 'run' | 'cloud';
export const MODES: readonly Mode[] = ['notebook', 'shell', 'run', 'cloud'];

/** The kernelspec names `ariel kernels install` writes. */
export const KERNEL_NAMES: Record<Accelerator, string> = { cpu: 'ariel-cpu', gpu: 'ariel-gpu' };

/** The error body of every non-2xx answer. */
export interface IErrorBody {
  code: string;
  message: string;
  hint?: string;
}

export interface IHandshake {
  /** The Python package (server extension) version. */
  python: string;
  /** The Node companion server version. */
  companion: string;
}

export interface IProjectSummary {
  root: string;
  name: string;
  configFile?: string;
  dependencyFiles: string[];
  config: Record<string, unknown>;
  warnings: string[];
  /** Set when the config is invalid: what is wrong and where. */
  error?: IErrorBody;
}

export interface IDockerfile {
  dockerfile: string;
  image: string;
  mode: Mode;
  accelerator: Accelerator;
}

export type BuildState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface IBuild {
  id: string;
  /** The image reference the build produces (content-hashed tag). */
  image: string;
  /** The project root, relative to Jupyter's root. */
  project: string;
  mode: Mode;
  accelerator: Accelerator;
  state: BuildState;
  step?: { index: number; total: number; instruction: string };
  startedAt: string;
  finishedAt?: string;
  error?: IErrorBody;
}

/**
 * One message of `ariel/builds/:id/events`: the replay of the (bounded) log so far, the outcome
 * if there is one and the build's state; then, while it runs, live messages up to the final state.
 */
export type BuildEvent =
  | { type: 'step'; index: number; total: number; instruction: string }
  | { type: 'cached' }
  | { type: 'output'; line: string }
  | { type: 'done'; image: string; reused: boolean }
  | { type: 'error'; error: IErrorBody }
  | { type: 'state'; build: IBuild };

export interface IImage {
  reference: string;
  id: string;
  project: string;
  mode: Mode;
  accelerator: Accelerator;
  size: number;
  created: string;
  /** Whether its content hash is the project's current one (old ones are what prune removes). */
  current: boolean;
}

/** What prune did: the tags it removed, and the outdated ones it kept with why (e.g. a container uses one). */
export interface IPruneResult {
  removed: string[];
  failed: { reference: string; error: IErrorBody }[];
}

export interface IContainer {
  id: string;
  /** What it is for: a kernel, a shell, a job. */
  role: string;
  project: string;
  image: string;
  state: string;
  created: string;
}

/** One row of Vertex AI's machine table: machine types that take the same accelerators in the same counts. */
export interface IMachineFamily {
  family: string;
  machineTypes: string[];
  /** Accelerator type → the counts a machine of this row may carry. */
  accelerators: Record<string, number[]>;
  /** a2, a3 and g2 machines come with their GPUs attached. */
  acceleratorRequired: boolean;
}

/** `ariel/cloud/catalog`: the table the server validates submissions against. */
export interface ICloudCatalog {
  machineFamilies: IMachineFamily[];
  /** Region → the accelerator types it has; CPU machines run in every region listed. */
  regions: Record<string, string[]>;
}

/** `ariel/cloud/preview`: the experiment config's expansion; a config error is data, not a failure. */
export interface ICloudPreview {
  count: number;
  /** The first jobs (at most 200) with their args: the common args first, then the experiment's flags. */
  jobs: { index: number; args: string[] }[];
  warnings: string[];
  /** The command the target runs with, when it was given and found. */
  command?: string[];
  targetError?: IErrorBody;
  error?: IErrorBody;
}

/** The body of `POST ariel/cloud/submissions`. */
export interface ICloudRequest {
  /** The folder whose project is submitted, relative to Jupyter's root. */
  path: string;
  target: string;
  args: string[];
  experimentConfig: string;
  projectId: string;
  region: string;
  machineType: string;
  acceleratorType?: string;
  acceleratorCount?: number;
  /** `key=value` pairs. */
  labels: string[];
  name?: string;
  serviceAccount?: string;
  outputDir?: string;
  imageRepository?: string;
}

export type SubmissionState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface ISubmission {
  id: string;
  group: string;
  state: SubmissionState;
  jobs: number;
  warnings: string[];
  startedAt: string;
  finishedAt?: string;
  outcome?: { group: string; created: number; failed: number; skipped: number };
  error?: IErrorBody;
}

/** One message of `ariel/cloud/submissions/:id/events`, replayed from the start for late subscribers. */
export type SubmissionEvent =
  | { type: 'phase'; phase: 'build' | 'push' | 'submit'; detail: string }
  | { type: 'step'; index: number; total: number; instruction: string }
  | { type: 'push'; layer: string; status: string }
  | { type: 'planned'; group: string; image: string; jobs: { index: number; displayName: string; args: string[] }[] }
  | { type: 'created'; index: number; name: string; adopted: boolean }
  | { type: 'retry'; index: number; attempt: number; delayMs: number; error: string }
  | { type: 'failed'; index: number; error: string }
  | { type: 'state'; submission: ISubmission };

export interface ICloudJob {
  id: number;
  group: string;
  experiment: number;
  attempt: number;
  displayName: string;
  args: string[];
  /** Vertex AI's state (JOB_STATE_…), or SUBMITTING / NOT_SUBMITTED. */
  state: string;
  /** Whether the state is final. */
  final: boolean;
  remoteName: string | null;
  /** The job's page in the Cloud console. */
  console: string | null;
  error: string | null;
  updatedAt: string;
}

export interface ICloudGroup {
  name: string;
  platform: 'vertex' | 'local';
  target: string;
  cloudProject: string | null;
  region: string | null;
  image: string;
  createdAt: string;
  /** Jobs are being created right now. */
  submitting: boolean;
  /** The latest attempt of each experiment. */
  jobs: ICloudJob[];
}

/** `ariel/cloud/jobs`: recent job groups, newest first, with states just asked of Vertex AI. */
export interface ICloudJobs {
  groups: ICloudGroup[];
  warnings: string[];
}
