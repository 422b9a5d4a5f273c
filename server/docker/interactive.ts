import { relative, resolve } from 'node:path';
import type Docker from 'dockerode';
import { hostUser } from '../dockerfile/plan.js';
import type { Project } from '../project/project.js';
import { confinement, passthroughEnv } from './containers.js';
import { deviceRequestsFor } from './gpu.js';
import type { ImageRef } from './imageRef.js';
import { LABELS, type Role } from './labels.js';

/**
 * What interactive containers (kernels and shells) share: the project live-mounted at its own
 * path, the host user's ids, the caller's folder as working directory, the interactive
 * environment, Ariel's labels, the GPU requests the image calls for, and confinement (no
 * capabilities, no privilege gain, a pids limit).
 */

/** Where the project appears inside interactive containers: at its own path, like on the host. */
export function liveMount(project: Project): Docker.MountSettings {
  return { Type: 'bind', Source: project.root, Target: project.root };
}

/**
 * Environment of interactive containers: the project root on PYTHONPATH, so a notebook in
 * a subfolder imports the project's packages as `python -m` does from the root; then the
 * configured host variables (a PYTHONPATH among them wins).
 */
export function interactiveEnv(project: Project, env: NodeJS.ProcessEnv = process.env): string[] {
  return [`PYTHONPATH=${project.root}`, ...passthroughEnv(project.config, env)];
}

/** The working directory inside the container: the caller's, when it is inside the project. */
export function workingDirIn(project: Project, cwd: string): string {
  const inside = !relative(project.root, resolve(cwd)).startsWith('..');
  return inside ? resolve(cwd) : project.root;
}

export interface InteractiveOptions {
  project: Project;
  image: ImageRef;
  role: Extract<Role, 'shell' | 'kernel'>;
  /** The caller's folder; the container starts there when it is inside the project. */
  cwd: string;
  cmd: string[];
  env?: NodeJS.ProcessEnv;
}

/** Create options every interactive container starts from; callers add their I/O and extra mounts. */
export function interactiveContainer(options: InteractiveOptions): Docker.ContainerCreateOptions & {
  Labels: Record<string, string>;
  Env: string[];
  HostConfig: Docker.HostConfig & { Mounts: Docker.MountSettings[] };
} {
  const { project, image, role, cwd, cmd, env } = options;
  const { uid, gid } = hostUser();
  return {
    Image: image.name,
    Cmd: cmd,
    WorkingDir: workingDirIn(project, cwd),
    User: `${uid}:${gid}`,
    Env: interactiveEnv(project, env),
    Labels: { [LABELS.role]: role, [LABELS.project]: project.root },
    HostConfig: {
      Init: true,
      ...confinement(project.config.run.pids_limit),
      Mounts: [liveMount(project)],
      DeviceRequests: deviceRequestsFor(image)
    }
  };
}
