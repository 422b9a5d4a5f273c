import { resolveSettings } from '../docker/settings.js';
import type { Accelerator, RunConfig } from '../project/config.js';
import type { Project } from '../project/project.js';
import { openShell as runShell } from '../run/shell.js';
import type { AppDeps, Progress } from './deps.js';
import { prepareImage } from './images.js';

export interface ShellRequest {
  project: Project;
  accelerator: Accelerator;
  extras?: string[];
  /** The caller's folder; the shell starts there when it is inside the project. */
  cwd: string;
  /** Run-time settings over the project's and the user config's (the command line's flags). */
  settings?: RunConfig;
}

/**
 * An interactive shell on this process's terminal, in the project's shell-mode image (built
 * first if needed) with the project live-mounted. Resolves to the shell's exit code.
 */
export async function openShell(deps: AppDeps, request: ShellRequest, progress: Progress = {}): Promise<number> {
  const { project, accelerator, extras, cwd } = request;
  // Before the build: a bad mount or size is an error now.
  const settings = resolveSettings(project, { env: deps.env, overrides: request.settings });
  const { image } = await prepareImage(deps, { project, mode: 'shell', accelerator, extras, willRun: true }, progress);
  return runShell(deps.docker, { project, image, cwd, signal: progress.signal, env: deps.env, settings });
}
