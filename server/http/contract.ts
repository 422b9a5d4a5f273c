/**
 * The companion server's HTTP and WebSocket contract, as the browser sees it under
 * `{baseUrl}ariel/`: requests, responses, events and error codes. Types only, and no imports,
 * so that the frontend (`src/`) can import it with `import type` without pulling server code into
 * its bundle, and the route handlers (`server/http/`) are typed against it: a change on one side
 * that breaks the other fails `tsc`. `contract.test.ts` checks that the server's own vocabulary
 * (error codes, modes, accelerators, kernel names, job states) equals the one spelled here.
 */

/**
 * The stable codes of Ariel's errors, on the wire and in the server (`server/errors.ts` takes
 * them from here): the server's ArielError codes and the ones the edges add.
 */
export type ErrorCode =
  /** A command, request or launcher was called with arguments it does not take. */
  | 'usage'
  /** A request to the companion server lacks its per-start secret. */
  | 'forbidden'
  /** The operation was cancelled (Ctrl-C, an aborted request); see CancelledError. */
  | 'cancelled'
  /** The request collides with work in progress, e.g. a job group that is being submitted. */
  | 'conflict'
  /** A file Ariel must read is missing, unreadable or of the wrong kind (a folder, a dangling link). */
  | 'file-unreadable'
  /** The project folder does not exist. */
  | 'project-not-found'
  /** `.ariel.json`, `.calibanconfig.json`, the user config or an ARIEL_* variable is malformed or breaks the schema. */
  | 'config-invalid'
  /** A value would add a line to a generated Dockerfile: a check before the generator missed it. */
  | 'dockerfile-unsafe'
  /** `requirements.txt`, `setup.py` or `pyproject.toml` cannot be honoured. */
  | 'dependencies-invalid'
  /** A feature Ariel does not have (yet), e.g. conda environments. */
  | 'unsupported'
  /** An experiment config is malformed. */
  | 'experiment-config-invalid'
  /** An experiment config expands to more jobs (or flags) than the caller allows. */
  | 'too-many-jobs'
  /** The module or script to run does not exist in the project. */
  | 'target-invalid'
  /** No Docker engine answers. */
  | 'engine-unreachable'
  /** A GPU container was asked for on a machine that cannot give one. */
  | 'gpu-unavailable'
  /** The base image cannot be found or pulled. */
  | 'base-image-unavailable'
  /** An image build failed; the message carries the failing step and its log's tail. */
  | 'build-failed'
  /** One or more jobs of a run exited non-zero. */
  | 'jobs-failed'
  /** Kernelspecs cannot be installed where asked, or their Python cannot be found. */
  | 'kernels-install-failed'
  /** A route, build, container or image named by id or reference does not exist or is not one of Ariel's. */
  | 'not-found'
  /** An image cannot be removed because a container still uses it. */
  | 'image-in-use'
  /** A cloud job's machine, accelerator, region, labels or name break Vertex AI's rules. */
  | 'cloud-spec-invalid'
  /** A machine type, accelerator or region Vertex AI's table in Ariel does not know; forcing accepts it. */
  | 'cloud-spec-unknown'
  /** A notebook cloud job was asked for without an output folder to keep the executed notebook in. */
  | 'cloud-output-missing'
  /** An image cannot be pushed to its registry (credentials, network, a refused push). */
  | 'push-failed'
  /** Vertex AI refused or did not answer a request after retries. */
  | 'cloud-request-failed'
  /** Some jobs of a submission were not created; the history says which. */
  | 'cloud-submit-incomplete'
  /** The job history has no group or job of that name, or cannot be opened. */
  | 'history-not-found'
  /** This Node.js cannot load a native module the installation carries: it was built for another Node.js major. */
  | 'node-version-mismatch'
  /** A failure that is a bug: the companion server answers it so, with the exception's message. */
  | 'internal'
  /** The server extension or the companion behind it does not answer (said by the server extension and the browser). */
  | 'companion-unavailable'
  /** A non-2xx answer without Ariel's error body, e.g. a proxy's page (said by the browser). */
  | 'http-error';

/** The body of every non-2xx answer, and an error inside a 2xx one (a build's, a preview's). */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** What to do about it. */
  hint?: string;
}

export type Accelerator = 'cpu' | 'gpu';
export type Mode = 'shell' | 'notebook' | 'run' | 'cloud';

/** The kernelspec names `ariel kernels install` writes, by accelerator. */
export interface KernelNames {
  cpu: 'ariel-cpu';
  gpu: 'ariel-gpu';
}

/** A job Ariel has not (yet) created on its platform. */
export type SubmittingState = 'SUBMITTING';
/** A job never created: its submission failed for good or was interrupted. */
export type NotSubmittedState = 'NOT_SUBMITTED';
/** States after which a job changes no more. */
export type FinalJobState =
  | NotSubmittedState
  | 'JOB_STATE_SUCCEEDED'
  | 'JOB_STATE_FAILED'
  | 'JOB_STATE_CANCELLED'
  | 'JOB_STATE_EXPIRED'
  | 'JOB_STATE_PARTIALLY_SUCCEEDED';
/**
 * A job's state: Ariel's own before creation, then Vertex AI's `JOB_STATE_…` (local runs use the
 * same names). Vertex AI may add states, so any other string may come too.
 */
export type JobState = SubmittingState | FinalJobState | 'JOB_STATE_QUEUED' | 'JOB_STATE_RUNNING' | (string & {});

/** `GET ariel/handshake` (answered by the server extension itself). */
export interface Handshake {
  /** The Python package (server extension) version. */
  python: string;
  /** The Node companion server version; null when the companion answered without one. */
  companion: string | null;
}

/** `GET /project?path=`: what Ariel makes of the project a folder belongs to. */
export interface ProjectSummary {
  /** The project root, relative to Jupyter's root ("" for the root itself). */
  root: string;
  name: string;
  /** The config file, relative to Jupyter's root. */
  configFile?: string;
  /** Dependency files the images install from, relative to the project root. */
  dependencyFiles: string[];
  /**
   * The config as Ariel reads it (credentials in index URLs masked); the defaults when it is
   * invalid. Its shape is schema/project-config.schema.json's.
   */
  config: object;
  warnings: string[];
  /** The run-time settings its containers get (kernels, runs, shells); absent when the config is invalid. */
  runSettings?: RunSettings;
  /** Why the project cannot be built as it is, e.g. an invalid config with its file and line. */
  error?: ErrorBody;
}

/**
 * The run-time settings in force for a project's containers, from `.ariel.json`'s `"run"` key and
 * the user config (`describeSettings` of `server/docker/settings.ts`). Never part of an image.
 */
export interface RunSettings {
  /** The host's IPC namespace, instead of a private /dev/shm. */
  ipc?: 'host';
  /** Bytes of /dev/shm (when not `ipc: host`). */
  shm_size?: number;
  /** Host folders mounted (sources absolute), read-only unless said. */
  mounts: { source: string; target: string; readonly: boolean }[];
  /** Bytes. */
  memory?: number;
  cpus?: number;
  /** -1 for none. */
  pids_limit: number;
  /** What a GPU image's container gets. */
  gpus: 'all' | number | string[];
  /** Names of the variables set inside (values not shown). */
  env: string[];
  ports?: string[];
  /** Whether the user's Application Default Credentials are mounted read-only. */
  cloud_credentials: boolean;
}

/** `GET /dockerfile?path=&mode=&accelerator=`. */
export interface DockerfileResponse {
  dockerfile: string;
  /** The image reference (content-hashed tag) it builds. */
  image: string;
  mode: Mode;
  accelerator: Accelerator;
}

/** The body of `POST /builds`. */
export interface BuildRequest {
  /** The project's folder, relative to Jupyter's root (or absolute, inside it). */
  path?: string;
  mode: Mode;
  accelerator?: Accelerator;
  /** The image is to run on this machine, so a GPU image first checks for a GPU. */
  run?: boolean;
}

export type BuildState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Build {
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
  error?: ErrorBody;
}

/**
 * One message of the WebSocket `/builds/:id/events`: the replay of the (bounded) log so far, the
 * outcome if there is one and the build's state; then, while it runs, live messages up to the
 * final state.
 */
export type BuildMessage =
  | { type: 'step'; index: number; total: number; instruction: string }
  | { type: 'cached' }
  | { type: 'output'; line: string }
  | { type: 'done'; image: string; reused: boolean }
  | { type: 'error'; error: ErrorBody }
  | { type: 'state'; build: Build };

/** One of `GET /images`. */
export interface ImageSummary {
  reference: string;
  id: string;
  /** The project root, relative to Jupyter's root, where it is known. */
  project?: string;
  mode: Mode;
  accelerator: Accelerator;
  /** Extras it was built with besides the config's. */
  extras: string[];
  /** Bytes, shared layers counted in full. */
  size: number;
  created: string;
  /**
   * Whether its content hash is the project's current one (old ones are what prune removes);
   * null when that cannot be told (the project folder is gone or its config is invalid).
   */
  current: boolean | null;
  /** How many distributions the image records; null for one built before images recorded them. */
  packageCount: number | null;
}

/** One installed Python distribution, as `pip list --format=freeze` names it. */
export interface Distribution {
  name: string;
  version: string;
}

/** `GET /images/:reference/record`: what an image holds and the Dockerfile it was built from. */
export interface ImageRecord {
  image: string;
  packages: Distribution[];
  packageCount: number;
  dockerfile: string;
  /**
   * For an outdated image, the image its request builds now, that Dockerfile and a unified diff
   * from this one's (empty when only the copied files changed); null when current or unknown.
   */
  current: { image: string; dockerfile: string; diff: string } | null;
}

/** One running container kernel of `GET /kernels/drift`: what differs from its image's record. */
export interface KernelDrift {
  container: string;
  name: string;
  /** The project root, relative to Jupyter's root, where it is known. */
  project?: string;
  image: string;
  /** False for an image without a record: its drift cannot be told. */
  recorded: boolean;
  drift: {
    added: Distribution[];
    removed: Distribution[];
    changed: (Distribution & { recorded: string; direction: 'upgraded' | 'downgraded' })[];
  };
}

/** `POST /kernels/drift/add`: the pinned lines written, or for a pyproject-only project, where to add them. */
export interface AddToProjectResult {
  file: string;
  written: boolean;
  lines: string[];
  where?: string;
  notWritten: { name: string; version: string | null; recorded: string; reason: 'removed' | 'downgraded' }[];
}

/** `POST /images/prune`: the tags it removed, and the outdated ones it kept with why (e.g. a container uses one). */
export interface PruneResult {
  removed: string[];
  failed: { reference: string; error: ErrorBody }[];
}

/** One of `GET /containers` (the warm pool's spares are not listed). */
export interface Container {
  id: string;
  /** The engine's name, without the leading slash. */
  name: string;
  /** What it is for: a kernel, a shell, a job. */
  role: string;
  /** The project root, relative to Jupyter's root, where the container has one. */
  project?: string;
  image: string;
  mode?: Mode;
  accelerator?: Accelerator;
  /** The engine's state: created, running, exited, ... */
  state: string;
  /** The engine's words, e.g. "Up 3 minutes". */
  status: string;
  created: string;
}

/** A kernel container the companion started (`POST /kernels`, `GET /kernels/:id`). */
export interface Kernel {
  id: string;
  image: string;
}

/** The error body of a failed `POST /kernels`: the lines Jupyter shows come with it. */
export interface KernelStartError extends ErrorBody {
  explanation: string[];
}

/** One row of Vertex AI's machine table: machine types that take the same accelerators in the same counts. */
export interface MachineFamily {
  family: string;
  machineTypes: string[];
  /** Accelerator type → the counts a machine of this row may carry. */
  accelerators: Record<string, number[]>;
  /** a2, a3 and g2 machines come with their GPUs attached. */
  acceleratorRequired: boolean;
}

/** `GET /cloud/catalog`: the table the server validates submissions against. */
export interface CloudCatalog {
  machineFamilies: MachineFamily[];
  /** Region → the accelerator types it has; CPU machines run in every region listed. */
  regions: Record<string, string[]>;
}

/** The body of `POST /cloud/preview`. */
export interface CloudPreviewRequest {
  path?: string;
  target?: string;
  args?: string[];
  experimentConfig?: string;
}

/** `POST /cloud/preview`: the experiment config's expansion; a config error is data, not a failure. */
export interface CloudPreview {
  count: number;
  /** The first jobs (at most 200) with their args: the common args first, then the experiment's flags. */
  jobs: { index: number; args: string[] }[];
  warnings: string[];
  /** The command the target runs with, when it was given and found (none for a notebook). */
  command?: string[];
  targetError?: ErrorBody;
  error?: ErrorBody;
}

/** The body of `POST /cloud/submissions`. */
export interface CloudRequest {
  /** The folder whose project is submitted, relative to Jupyter's root. */
  path: string;
  /** A module (trainer.train), a script or a notebook path from the project root. */
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
  /** `key=value` pairs. */
  labels: string[];
  name?: string;
  serviceAccount?: string;
  /** Required for a notebook: its executed copy goes there. */
  outputDir?: string;
  /** Where the image is pushed; Artifact Registry's REGION-docker.pkg.dev/PROJECT/ariel by default. */
  imageRepository?: string;
  /** Distributed training: worker pools beside the primary machine; absent for one machine. */
  distributed?: DistributedRequest;
}

/**
 * Vertex AI's worker pools beside the primary replica (`ariel cloud --replicas …`). Every pool
 * runs the same image, command, args and labels; each machine is checked like the primary's.
 */
export interface DistributedRequest {
  /** Workers beside the primary (workerPoolSpecs[1]); 0 for none. */
  replicas: number;
  /** The workers' machine type; default: the primary's. */
  workerMachineType?: string;
  /** The workers' accelerator; default: the primary's (when the machine type is the primary's too). */
  workerAcceleratorType?: string;
  workerAcceleratorCount?: number;
  /** Reduction Server replicas (workerPoolSpecs[2]), which run Vertex AI's own image; 0 for none. */
  reductionServers?: number;
}

/**
 * How the cloud image a submission would ship compares with the project's current notebook image
 * and with what its running kernels installed (`EnvironmentCheck` of `server/app/drift.ts`).
 */
export interface EnvironmentCheck {
  /** The cloud image, built or found by its content hash: the submission that follows ships it. */
  cloudImage: string;
  /** The project's current notebook image; null when it was never built (nothing to compare). */
  notebookImage: string | null;
  /** How many packages the cloud image records. */
  count: number;
  /** In both images at other versions: `version` in the cloud image, `recorded` in the notebook's. */
  otherVersions: { name: string; version: string; recorded: string }[];
  /** Only in the notebook image (for a script job, the notebook's kernel is expected here). */
  onlyNotebook: Distribution[];
  /** Only in the cloud image (e.g. nbclient for a notebook job). */
  onlyCloud: Distribution[];
  /** The project's running kernels that installed or changed packages their image does not hold. */
  kernels: KernelDrift[];
  /** True when the cloud job runs with what the notebook ran: same versions, no drifted kernel. */
  same: boolean;
}

/**
 * `POST /cloud/check`, body: the `CloudRequest` a submission takes. The check and its words: each
 * warning lists the packages on each side with the way out; `ok` says when all is the same.
 */
export interface CloudCheck {
  check: EnvironmentCheck;
  warnings: string[];
  ok?: string;
}

export type SubmissionState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** How many jobs a submission created, and how many it did not. */
export interface SubmissionOutcome {
  group: string;
  created: number;
  failed: number;
  skipped: number;
}

export interface Submission {
  id: string;
  group: string;
  state: SubmissionState;
  /** Jobs the experiment expands to. */
  jobs: number;
  warnings: string[];
  startedAt: string;
  finishedAt?: string;
  outcome?: SubmissionOutcome;
  error?: ErrorBody;
}

/** One message of the WebSocket `/cloud/submissions/:id/events`, replayed from the start for late subscribers. */
export type SubmissionMessage =
  | { type: 'phase'; phase: 'build' | 'push' | 'submit'; detail: string }
  | { type: 'step'; index: number; total: number; instruction: string }
  /** A layer's push status when it changes (Preparing, Pushing, Pushed, Layer already exists). */
  | { type: 'push'; layer: string; status: string; current?: number; total?: number }
  /** The image is pushed and the group recorded with these jobs; their creation starts. */
  | { type: 'planned'; group: string; image: string; jobs: { index: number; displayName: string; args: string[] }[] }
  | { type: 'created'; index: number; name: string; adopted: boolean }
  | { type: 'retry'; index: number; attempt: number; delayMs: number; error: string }
  | { type: 'failed'; index: number; error: string }
  | { type: 'state'; submission: Submission };

/** A job of the history as the jobs list shows it (its latest attempt). */
export interface CloudJob {
  id: number;
  group: string;
  experiment: number;
  attempt: number;
  displayName: string;
  args: string[];
  state: JobState;
  /** Whether the state is final. */
  final: boolean;
  remoteName: string | null;
  /** The job's page in the Cloud console. */
  console: string | null;
  error: string | null;
  updatedAt: string;
}

export type Platform = 'vertex' | 'local';

export interface CloudGroup {
  name: string;
  platform: Platform;
  target: string;
  cloudProject: string | null;
  region: string | null;
  image: string;
  createdAt: string;
  /** Jobs are being created right now. */
  submitting: boolean;
  /** The latest attempt of each experiment. */
  jobs: CloudJob[];
}

/** `GET /cloud/jobs[?group=]`: recent job groups, newest first, with states just asked of Vertex AI. */
export interface CloudJobs {
  groups: CloudGroup[];
  warnings: string[];
}

/** `POST /cloud/groups/:name/stop`, `POST /cloud/jobs/:id/stop`. */
export interface StopResult {
  /** The jobs this request stopped. */
  stopped: CloudJob[];
  /** The selected jobs that had already ended. */
  ended: CloudJob[];
  /** Selected jobs still being created by a submission: they are recorded as cancelled once it gets to them. */
  submitting: CloudJob[];
  warnings: string[];
}

/**
 * `GET /cloud/jobs/:id/log[?offset=]`: a local run's job's kept log from `offset` (bytes), in whole
 * lines, or its last part without an offset; ask again from `offset` to follow it while it grows.
 */
export interface JobLog {
  /** The job's display name, e.g. `sweep-2`. */
  job: string;
  /** Whole lines of the log from the offset asked for (or its last part when none was given). */
  text: string;
  /** Where `text` starts in the log, in bytes (more than 0: earlier output is left out). */
  start: number;
  /** Where the next part starts. */
  offset: number;
  /** The log's size now, in bytes. */
  size: number;
  /** The job's state in the job history. */
  state: string;
  /** The log can grow no more: the job ended, or its run is gone. */
  final: boolean;
}

/** `POST /cloud/groups/:name/resubmit`: the group's failed, cancelled and unsubmitted jobs, submitted again. */
export interface ResubmitResult {
  created: CloudJob[];
  failed: CloudJob[];
  skipped: CloudJob[];
}

/**
 * Every route of the companion server, by `METHOD /path` (`:name` a URL-encoded segment), with
 * the body of its 2xx answer. The server's route table is typed by these keys, so each handler
 * must answer what is written here; the frontend reads its answers as these types.
 */
export interface Routes {
  'GET /version': { version: string };
  'GET /project': ProjectSummary;
  'GET /dockerfile': DockerfileResponse;
  'GET /builds': { builds: Build[] };
  'POST /builds': { build: Build };
  'GET /builds/:id': { build: Build };
  'DELETE /builds/:id': { build: Build };
  'GET /images': { images: ImageSummary[] };
  'POST /images/prune': PruneResult;
  'DELETE /images/:reference': { removed: string[] };
  'GET /images/:reference/record': ImageRecord;
  'GET /kernels/drift': { kernels: KernelDrift[] };
  'POST /kernels/drift/add': AddToProjectResult;
  'GET /containers': { containers: Container[] };
  'DELETE /containers/:id': { stopped: string };
  /** A failure answers KernelStartError with the error's status. */
  'POST /kernels': { kernel: Kernel } | KernelStartError;
  'GET /kernels/:id': { kernel: Kernel & { exitCode: number | null } };
  'POST /kernels/:id/signal': { signalled: string };
  'DELETE /kernels/:id': { removed: string };
  'GET /cloud/catalog': CloudCatalog;
  'POST /cloud/preview': CloudPreview;
  /** Builds (or finds) the cloud image the request would ship and compares it; see CloudCheck. */
  'POST /cloud/check': CloudCheck;
  'GET /cloud/submissions': { submissions: Submission[] };
  'POST /cloud/submissions': { submission: Submission };
  'GET /cloud/submissions/:id': { submission: Submission };
  'DELETE /cloud/submissions/:id': { submission: Submission };
  'GET /cloud/jobs': CloudJobs;
  'POST /cloud/groups/:name/stop': StopResult;
  'POST /cloud/jobs/:id/stop': StopResult;
  'GET /cloud/jobs/:id/log': JobLog;
  'POST /cloud/groups/:name/resubmit': ResubmitResult;
}

export type RouteKey = keyof Routes;
