import type Docker from 'dockerode';
import type { Project } from '../project/project.js';
import { runToCompletion } from '../docker/containers.js';
import { translateGpuError } from '../docker/gpu.js';
import type { RunnableImage } from '../docker/imageRef.js';
import { interactiveContainer } from '../docker/interactive.js';
import type { ContainerSettings } from '../docker/settings.js';

/** The shells `ariel shell --shell` offers, as Caliban's `--shell` does (bash by default). */
export const SHELLS = ['bash', 'zsh', 'sh'] as const;
export type ShellName = (typeof SHELLS)[number];

/**
 * The container's command: the shell, or a message naming the way out when the image lacks it
 * (zsh is in few base images). `sh` finds the shell on PATH and then becomes it.
 */
export function shellCommand(shell: ShellName): string[] {
  const missing =
    'echo "ariel: $0 is not installed in the shell image. Add it to apt_packages in the project config' +
    ' (\\"apt_packages\\": [\\"$0\\"]), or open another shell (bash or sh)." >&2; exit 127';
  return ['/bin/sh', '-c', `command -v "$0" >/dev/null 2>&1 || { ${missing}; }; exec "$0"`, shell];
}

export interface ShellOptions {
  project: Project;
  /** A shell-mode image; a GPU image gets the GPUs. */
  image: RunnableImage;
  cwd: string;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Run-time settings; by default the project's and the user config's (see settings.ts). */
  settings?: ContainerSettings;
  /** Default bash. */
  shell?: ShellName;
}

/**
 * An interactive shell in the shell-mode image with the project live-mounted, on this
 * process's terminal. On a terminal it attaches a TTY in raw mode; otherwise it pipes
 * standard input through. Resolves to the shell's exit code.
 */
export async function openShell(docker: Docker, options: ShellOptions): Promise<number> {
  const { project, image, cwd, signal, env = process.env, settings, shell = 'bash' } = options;
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const create = interactiveContainer({
    project,
    image,
    role: 'shell',
    cwd,
    cmd: shellCommand(shell),
    env,
    settings
  });
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
