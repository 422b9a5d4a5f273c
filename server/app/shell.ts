import { givenImage } from '../docker/existing.js';
import { resolveSettings } from '../docker/settings.js';
import type { Accelerator, RunConfig } from '../project/config.js';
import type { Project } from '../project/project.js';
import { openShell as runShell, type ShellName } from '../run/shell.js';
import type { AppDeps, Progress } from './deps.js';
import { prepareImage, useGivenImage } from './images.js';

export interface ShellRequest {
  project: Project;
  accelerator: Accelerator;
  extras?: string[];
  /** Build the image from scratch even where it exists (`--no-cache`). */
  noCache?: boolean;
  /** The caller's folder; the shell starts there when it is inside the project. */
  cwd: string;
  /** Run-time settings over the project's and the user config's (the command line's flags). */
  settings?: RunConfig;
  /** The shell to run (default bash). */
  shell?: ShellName;
  /** An existing image to open the shell in instead of the project's (`--image`): nothing is built. */
  image?: string;
}

/**
 * An interactive shell on this process's terminal, in the project's shell-mode image (built
 * first if needed) with the project live-mounted. Resolves to the shell's exit code.
 */
export async function openShell(deps: AppDeps, request: ShellRequest, progress: Progress = {}): Promise<number> {
  const { project, accelerator, extras, noCache, cwd, shell } = request;
  // Before the build: a bad mount or size is an error now.
  const settings = resolveSettings(project, { env: deps.env, overrides: request.settings });
  const image = request.image
    ? await useGivenImage(deps, givenImage(request.image, accelerator), progress)
    : (await prepareImage(deps, { project, mode: 'shell', accelerator, extras, noCache, willRun: true }, progress))
        .image;
  return runShell(deps.docker, { project, image, cwd, shell, signal: progress.signal, env: deps.env, settings });
}
