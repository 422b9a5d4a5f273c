import { relative, resolve } from 'node:path';
import type Docker from 'dockerode';
import { hostUser } from '../dockerfile/plan.js';
import type { Project } from '../project/project.js';
import { passthroughEnv } from './containers.js';
import type { RunnableImage } from './imageRef.js';
import { LABELS, type Role } from './labels.js';
import { hostConfigOf, publishedPorts, resolveSettings, type ContainerSettings } from './settings.js';

/**
 * What interactive containers (kernels and shells) share: the project live-mounted at its own
 * path, the host user's ids, the caller's folder as working directory, the interactive
 * environment, Ariel's labels, and the run-time settings (settings.ts): confinement, shared
 * memory, limits, mounts, the GPUs a GPU image gets, cloud credentials.
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
  image: RunnableImage;
  role: Extract<Role, 'shell' | 'kernel'>;
  /** The caller's folder; the container starts there when it is inside the project. */
  cwd: string;
  cmd: string[];
  env?: NodeJS.ProcessEnv;
  /** Run-time settings; by default the project's and the user config's (see settings.ts). */
  settings?: ContainerSettings;
}

/** Create options every interactive container starts from; callers add their I/O and extra mounts. */
export function interactiveContainer(options: InteractiveOptions): Docker.ContainerCreateOptions & {
  Labels: Record<string, string>;
  Env: string[];
  HostConfig: Docker.HostConfig & { Mounts: Docker.MountSettings[] };
} {
  const { project, image, role, cwd, cmd, env } = options;
  const settings = options.settings ?? resolveSettings(project, { env });
  const { uid, gid } = hostUser();
  const hostConfig = hostConfigOf(settings, image);
  // Kernels use their own ports (kernelContainer); a shell publishes what it is asked to.
  const published = role === 'shell' ? publishedPorts(settings) : undefined;
  return {
    Image: image.name,
    Cmd: cmd,
    WorkingDir: workingDirIn(project, cwd),
    User: `${uid}:${gid}`,
    Env: [...interactiveEnv(project, env), ...settings.env],
    Labels: { [LABELS.role]: role, [LABELS.project]: project.root },
    ...(published ? { ExposedPorts: published.exposed } : {}),
    HostConfig: {
      Init: true,
      ...hostConfig,
      ...(published ? { PortBindings: published.bindings } : {}),
      Mounts: [liveMount(project), ...hostConfig.Mounts]
    }
  };
}
