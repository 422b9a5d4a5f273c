import { Token } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import type {
  Accelerator,
  Build,
  Container,
  DockerfileResponse,
  Handshake,
  ImageSummary,
  ProjectSummary,
  PruneResult,
  Mode
} from './api';
import type { BuildLog } from './buildLog';
import type { ArielClient } from './request';

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
}

/** Why the builds, images or containers could not be listed, each with what to do. */
export interface IListErrors {
  builds?: string;
  images?: string;
  containers?: string;
}

/** Ariel's state for the folder the file browser shows, and the actions on it. */
export interface IArielModel extends IDisposable {
  readonly client: ArielClient;
  /** Emitted when anything shown changes. */
  readonly changed: ISignal<IArielModel, void>;
  /** Emitted with each build started through the model. */
  readonly buildStarted: ISignal<IArielModel, BuildLog>;
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
  /** Why lists could not be loaded, with what to do. */
  readonly listErrors: IListErrors;
  handshake(): Promise<Handshake>;
  refreshProject(): Promise<void>;
  refresh(): Promise<void>;
  dockerfile(mode: Mode, accelerator: Accelerator, path?: string): Promise<DockerfileResponse>;
  build(mode: Mode, accelerator: Accelerator, path?: string, run?: boolean): Promise<BuildLog>;
  follow(id: string): BuildLog;
  cancelBuild(id: string): Promise<void>;
  removeImage(reference: string): Promise<void>;
  prune(): Promise<PruneResult>;
  stopContainer(id: string): Promise<void>;
}

/** Ariel's model, for plugins that add to the sidebar (e.g. cloud experiments). */
export const IArielModel = new Token<IArielModel>(
  'jupyterlab-ariel:IArielModel',
  'The state of Ariel for the folder the file browser shows: project, builds, images, containers.'
);
