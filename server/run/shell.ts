import { relative, resolve } from 'node:path';
import type Docker from 'dockerode';
import { hostUser } from '../dockerfile/plan.js';
import type { Accelerator } from '../project/config.js';
import type { Project } from '../project/project.js';
import { passthroughEnv, ROLE_LABEL, runToCompletion } from '../docker/containers.js';
import { ALL_GPUS, translateGpuError } from '../docker/gpu.js';

/** Where the project appears inside interactive containers: at its own path, like on the host. */
export function liveMount(project: Project): Docker.MountSettings {
  return { Type: 'bind', Source: project.root, Target: project.root };
}

/**
 * Environment of interactive containers: the project root on PYTHONPATH, so a notebook in
 * a subfolder imports the project's packages as `python -m` does from the root; then the
 * configured host variables (a PYTHONPATH among them wins).
 */
export function interactiveEnv(project: Project): string[] {
  return [`PYTHONPATH=${project.root}`, ...passthroughEnv(project.config)];
}

/** The working directory inside the container: the caller's, when it is inside the project. */
export function workingDirIn(project: Project, cwd: string): string {
  const inside = !relative(project.root, resolve(cwd)).startsWith('..');
  return inside ? resolve(cwd) : project.root;
}

export interface ShellOptions {
  project: Project;
  image: string;
  accelerator: Accelerator;
  cwd: string;
  signal?: AbortSignal;
}

/**
 * An interactive shell in the shell-mode image with the project live-mounted.
 * On a terminal it attaches a TTY in raw mode; otherwise it pipes standard input through.
 */
export async function openShell(docker: Docker, options: ShellOptions): Promise<number> {
  const { project, image, accelerator, cwd, signal } = options;
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const { uid, gid } = hostUser();
  const create: Docker.ContainerCreateOptions = {
    Image: image,
    Cmd: ['/bin/bash'],
    WorkingDir: workingDirIn(project, cwd),
    User: `${uid}:${gid}`,
    Env: [...interactiveEnv(project), ...(tty ? [`TERM=${process.env.TERM ?? 'xterm'}`] : [])],
    Tty: tty,
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
    Labels: { [ROLE_LABEL]: 'shell', 'org.ariel.project': project.root },
    HostConfig: {
      Init: true,
      Mounts: [liveMount(project)],
      DeviceRequests: accelerator === 'gpu' ? ALL_GPUS : undefined
    }
  };
  if (tty) {
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
    throw translateGpuError(error, 'ariel shell --cpu');
  } finally {
    if (tty) {
      process.stdin.setRawMode(false);
    }
    process.stdin.pause();
  }
}
