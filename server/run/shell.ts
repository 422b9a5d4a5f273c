import type Docker from 'dockerode';
import type { Project } from '../project/project.js';
import { runToCompletion } from '../docker/containers.js';
import { translateGpuError } from '../docker/gpu.js';
import type { ImageRef } from '../docker/imageRef.js';
import { interactiveContainer } from '../docker/interactive.js';
import type { ContainerSettings } from '../docker/settings.js';

export interface ShellOptions {
  project: Project;
  /** A shell-mode image; a GPU image gets the GPUs. */
  image: ImageRef;
  cwd: string;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Run-time settings; by default the project's and the user config's (see settings.ts). */
  settings?: ContainerSettings;
}

/**
 * An interactive shell in the shell-mode image with the project live-mounted, on this
 * process's terminal. On a terminal it attaches a TTY in raw mode; otherwise it pipes
 * standard input through. Resolves to the shell's exit code.
 */
export async function openShell(docker: Docker, options: ShellOptions): Promise<number> {
  const { project, image, cwd, signal, env = process.env, settings } = options;
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const create = interactiveContainer({ project, image, role: 'shell', cwd, cmd: ['/bin/bash'], env, settings });
  Object.assign(create, { Tty: tty, OpenStdin: true, StdinOnce: true, AttachStdin: true });
  if (tty) {
    create.Env.push(`TERM=${env.TERM ?? 'xterm'}`);
    process.stdin.setRawMode(true);
  }
  try {
    return await runToCompletion(docker, create, {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      signal,
      // The terminal follows the user's window size.
      onStart: container => {
        if (tty) {
          const resize = () =>
            void container.resize({ h: process.stdout.rows, w: process.stdout.columns }).catch(() => undefined);
          resize();
          process.stdout.on('resize', resize);
        }
      }
    });
  } catch (error) {
    throw translateGpuError(error);
  } finally {
    if (tty) {
      process.stdin.setRawMode(false);
    }
    process.stdin.pause();
  }
}
