import { Token } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import type {
  Accelerator,
  AddToProjectResult,
  Build,
  BuildState,
  CloudCatalog,
  CloudCheck,
  CloudGroup,
  CloudPreview,
  CloudPreviewRequest,
  CloudRequest,
  Container,
  DockerfileResponse,
  ErrorBody,
  Handshake,
  ImageRecord,
  ImageSummary,
  KernelDrift,
  ProjectSummary,
  PruneResult,
  Mode,
  Submission
} from './api';

/** The commands Ariel adds; each is in the command palette too. */
export namespace CommandIDs {
  /** Args: `{ accelerator: 'cpu' | 'gpu' }`. Builds the notebook image if needed, then opens a notebook on it. */
  export const newNotebook = 'ariel:new-notebook';
  /** Opens a terminal with a shell in the project's shell-mode container. */
  export const openShell = 'ariel:open-shell';
  /** Args: `{ mode?, accelerator? }`. Builds an image of the current project. */
  export const buildImage = 'ariel:build-image';
  /** Switches the current notebook to the CPU container kernel. */
  export const switchToCpu = 'ariel:switch-to-cpu';
  /** Switches the current notebook to the GPU container kernel. */
  export const switchToGpu = 'ariel:switch-to-gpu';
  /** Switches the current notebook between the CPU and the GPU container kernels. */
  export const toggleAccelerator = 'ariel:toggle-accelerator';
  /** Shows the Ariel sidebar. */
  export const showSidebar = 'ariel:show-sidebar';
  /** Removes the project's images that are no longer current. */
  export const pruneImages = 'ariel:prune-images';
  /** Args: `{ mode?, accelerator?, compare? }`. Opens the Dockerfile inspector in the main area. */
  export const openDockerfile = 'ariel:open-dockerfile';
  /** Args: `{ ref }`. Opens "Dockerfile as built" of an image; an outdated one beside the current Dockerfile. */
  export const openImageDockerfile = 'ariel:open-image-dockerfile';
  /** Args: `{ id }`. Opens a build's live log in the main area. */
  export const openBuildLog = 'ariel:open-build-log';
  /** Args: `{ id, name? }`. Opens a local job's kept log in the main area, following it while the job runs. */
  export const openJobLog = 'ariel:open-job-log';
  /**
   * Args: `{ path?, isDirectory? }`. Opens "Submit as cloud experiment" in the main area, with the
   * notebook, script or module folder at `path` (relative to Jupyter's root) as its target.
   */
  export const openCloudForm = 'ariel:open-cloud-form';
}

/** The one way the frontend talks to the companion server: `{baseUrl}ariel/<path>` with Jupyter's auth. */
export interface IArielClient {
  /** Emitted when the server extension or the companion server cannot be reached (404, 503, network). */
  readonly connectionFailure: ISignal<IArielClient, Error>;
  /** Emitted on the first answer after a failure. */
  readonly connectionRestored: ISignal<IArielClient, void>;
  /**
   * The JSON answer of `ariel/<path>`; rejects with an ArielRequestError (the server's code and
   * hint) for a non-2xx answer, with a NetworkError when Jupyter Server does not answer.
   */
  request<T>(path: string, init?: IArielClient.IRequestInit): Promise<T>;
  /** A WebSocket under `ariel/`, authenticated as Jupyter's own sockets are. */
  socket(...path: string[]): WebSocket;
}

export namespace IArielClient {
  export interface IRequestInit extends RequestInit {
    /** Query parameters; undefined ones are left out. */
    query?: Record<string, string | undefined>;
    /** A body sent as JSON. */
    json?: unknown;
  }
}

/** The live log of one build: the server's replay, then its stream, the last `maxLines` lines kept. */
export interface IBuildLog extends IDisposable {
  readonly id: string;
  /** Emitted on every event (new lines, progress, state). */
  readonly changed: ISignal<IBuildLog, void>;
  readonly lines: readonly string[];
  readonly state: BuildState;
  /** Steps done and steps in all, once the first step began. */
  readonly progress: { step: number; total: number } | null;
  /** The build as the last state message described it. */
  readonly build: Build | null;
  readonly error: ErrorBody | null;
  readonly finished: boolean;
  /** Resolves when the build succeeds; rejects with its error when it fails or is cancelled. */
  readonly done: Promise<void>;
  maxLines: number;
}

/** Why the builds, images or containers could not be listed, each with what to do. */
export interface IListErrors {
  builds?: string;
  images?: string;
  containers?: string;
  drift?: string;
}

/** Ariel's state for the folder the file browser shows, and the actions on it. */
export interface IArielModel extends IDisposable {
  readonly client: IArielClient;
  /** Emitted when anything shown changes. */
  readonly changed: ISignal<IArielModel, void>;
  /** Emitted with each build started through the model. */
  readonly buildStarted: ISignal<IArielModel, IBuildLog>;
  /** The folder (relative to Jupyter's root) whose project is shown. */
  path: string;
  /** Whether something shows the model; polling stands by otherwise. */
  active: boolean;
  /** Settings: the accelerator pickers start with, log lines kept, what a container shell terminal runs. */
  defaultAccelerator: Accelerator;
  maxLogLines: number;
  shellCommand: string;
  readonly project: ProjectSummary | null;
  readonly projectError: string | null;
  readonly builds: readonly Build[];
  readonly images: readonly ImageSummary[];
  readonly containers: readonly Container[];
  /** Per running container kernel, what differs from its image's record (refreshed with the lists). */
  readonly drift: readonly KernelDrift[];
  /** Why lists could not be loaded, with what to do. */
  readonly listErrors: IListErrors;
  handshake(): Promise<Handshake>;
  refreshProject(): Promise<void>;
  refresh(): Promise<void>;
  dockerfile(mode: Mode, accelerator: Accelerator, path?: string): Promise<DockerfileResponse>;
  build(mode: Mode, accelerator: Accelerator, path?: string, run?: boolean): Promise<IBuildLog>;
  follow(id: string): IBuildLog;
  cancelBuild(id: string): Promise<void>;
  removeImage(reference: string): Promise<void>;
  prune(): Promise<PruneResult>;
  stopContainer(id: string): Promise<void>;
  /** Asks the running kernels' drift again now (after a `%pip` cell), without the other lists. */
  refreshDrift(): Promise<void>;
  /**
   * Pins what a kernel installed into its project's requirements.txt (or, for a pyproject-only
   * project, answers the lines and where they go); the drift and images are refreshed after.
   */
  addToProject(kernel: KernelDrift): Promise<AddToProjectResult>;
  /** What an image holds (its packages) and the Dockerfile it was built from. */
  imageRecord(reference: string): Promise<ImageRecord>;
}

/** Ariel's model, for plugins that add to the sidebar (e.g. cloud experiments). */
export const IArielModel = new Token<IArielModel>(
  'jupyterlab-ariel:IArielModel',
  'The state of Ariel for the folder the file browser shows: project, builds, images, containers.'
);

/** A job of the submission being followed, as its events describe it. */
export interface ISubmittedJob {
  index: number;
  displayName: string;
  args: string[];
  /** waiting → created, or retrying → created | failed. */
  status: 'waiting' | 'retrying' | 'created' | 'failed';
  name?: string;
  error?: string;
}

/** The submission being followed: its phase, build step and each job's creation. */
export interface ISubmissionProgress {
  submission: Submission;
  phase: string;
  step?: { index: number; total: number; instruction: string };
  /** Layer → its push status. */
  layers: Record<string, string>;
  jobs: ISubmittedJob[];
}

/** Cloud experiments and local runs: the machine table, the submission being followed, the job groups. */
export interface ICloudModel extends IDisposable {
  readonly client: IArielClient;
  /** Emitted when anything shown changes. */
  readonly changed: ISignal<ICloudModel, void>;
  /** Emitted once for a group that was seen unfinished and has now ended, with its jobs' final states. */
  readonly groupEnded: ISignal<ICloudModel, CloudGroup>;
  /** Emitted when the submission being followed fails, with the group it was for and why. */
  readonly submissionFailed: ISignal<ICloudModel, { group: string; error: ErrorBody }>;
  /** Whether the cloud section is shown: polling stands by otherwise. */
  active: boolean;
  readonly catalog: CloudCatalog | null;
  readonly groups: readonly CloudGroup[];
  /** Why the jobs could not be listed, or Vertex AI's warnings; with what to do. */
  readonly jobsError: string | null;
  readonly progress: ISubmissionProgress | null;
  loadCatalog(): Promise<void>;
  preview(request: CloudPreviewRequest): Promise<CloudPreview>;
  /** Builds (or finds) the cloud image the request would ship and compares it with the notebook's (the submit check). */
  checkEnvironment(request: CloudRequest): Promise<CloudCheck>;
  /** Starts a submission and follows its events; rejects with the server's error when the request is invalid. */
  submit(request: CloudRequest): Promise<Submission>;
  cancelSubmission(): Promise<void>;
  refresh(): Promise<void>;
  /** Cancels a group's unfinished jobs, or one job (by its id). */
  stop(which: { group: string } | { job: number }): Promise<void>;
  /** Submits a group's failed, cancelled and unsubmitted jobs again; resolves with how many were created. */
  resubmit(group: string): Promise<number>;
}

/** Cloud experiments' model, for the sidebar's cloud sections and for plugins that add to them. */
export const ICloudModel = new Token<ICloudModel>(
  'jupyterlab-ariel:ICloudModel',
  'Cloud experiments and local runs: the machine table, the submission being followed, the job groups with their states.'
);
