import type Docker from 'dockerode';
import { BuildService } from '../docker/build.js';
import { connectDocker } from '../docker/engine.js';
import type { AppListener } from './events.js';

/** What every operation of the application layer needs from the outside world, handed in. */
export interface AppDeps {
  docker: Docker;
  /** Shared by all callers in one process, so concurrent requests for one image share its build. */
  builds: BuildService;
  /** Machine-wide settings (ARIEL_* variables) and the variables passed through to containers. */
  env?: NodeJS.ProcessEnv;
}

/** The dependencies of a real process: the engine DOCKER_HOST names and this process's environment. */
export function createAppDeps(env: NodeJS.ProcessEnv = process.env): AppDeps {
  const docker = connectDocker();
  return { docker, builds: new BuildService(docker), env };
}

/** How a caller follows and stops a long operation. */
export interface Progress {
  onEvent?: AppListener;
  /** Aborting stops the operation; it then rejects with a CancelledError and leaves nothing behind. */
  signal?: AbortSignal;
}
