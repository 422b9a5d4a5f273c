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

export interface IContainer {
  id: string;
  /** What it is for: a kernel, a shell, a job. */
  role: string;
  project: string;
  image: string;
  state: string;
  created: string;
}
