import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Project } from '../project/project.js';
import type { ImageRef } from '../docker/imageRef.js';
import { interactiveContainer } from '../docker/interactive.js';
import { LABELS, labelFilter } from '../docker/labels.js';
import { isOrphanKernel, launcherLabels, type LauncherIdentity } from './lifetime.js';

export { currentLauncher, type LauncherIdentity } from './lifetime.js';

/**
 * Removes kernel containers whose launcher or Jupyter Server is gone (killed outright, so
 * nothing could clean up). The rule, in lifetime.ts, leaves other hosts' and users' alone.
 */
export async function removeOrphanKernels(docker: Docker): Promise<string[]> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [labelFilter(LABELS.role, 'kernel')] }
  });
  const orphans = containers.filter(({ Labels }) => isOrphanKernel(Labels));
  await Promise.all(
    orphans.map(c =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined)
    )
  );
  return orphans.map(c => c.Id);
}

export type KernelNetwork = 'host' | 'ports';

/** Host networking where the engine shares the host's network (Linux); published loopback ports elsewhere. */
export function defaultKernelNetwork(): KernelNetwork {
  return platform() === 'linux' ? 'host' : 'ports';
}

interface ConnectionInfo {
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
}

const PORT_KEYS = ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'] as const;

export interface KernelContainerOptions {
  project: Project;
  /** A notebook-mode image; a GPU image gets the GPUs. */
  image: ImageRef;
  connectionFile: string;
  cwd: string;
  network: KernelNetwork;
  launcher: LauncherIdentity;
  env?: NodeJS.ProcessEnv;
}

/**
 * Create options for the kernel container: ipykernel with the project mounted at its own
 * path, the notebook's folder as working directory and the host user's ids.
 * With published ports, the kernel must listen on all of the container's interfaces,
 * so it gets a copy of the connection file with ip 0.0.0.0; `cleanup` removes that copy.
 */
export function kernelContainer(options: KernelContainerOptions): {
  create: Docker.ContainerCreateOptions;
  cleanup: () => void;
} {
  const { project, image, connectionFile, cwd, network, launcher, env } = options;
  let cleanup = () => undefined as void;
  const create = interactiveContainer({
    project,
    image,
    role: 'kernel',
    cwd,
    cmd: ['python', '-m', 'ipykernel_launcher', '-f', connectionFile],
    env
  });
  Object.assign(create.Labels, launcherLabels(launcher));
  const hostConfig = create.HostConfig;
  hostConfig.AutoRemove = true;
  hostConfig.Mounts.push({ Type: 'bind', Source: connectionFile, Target: connectionFile, ReadOnly: true });
  if (network === 'host') {
    hostConfig.NetworkMode = 'host';
  } else {
    const info = JSON.parse(readFileSync(connectionFile, 'utf8')) as ConnectionInfo;
    const dir = mkdtempSync(join(tmpdir(), 'ariel-kernel-'));
    const mountedFile = join(dir, 'connection.json');
    writeFileSync(mountedFile, JSON.stringify({ ...info, ip: '0.0.0.0' }), { mode: 0o644 });
    cleanup = () => rmSync(dir, { recursive: true, force: true });
    hostConfig.Mounts[1].Source = mountedFile;
    const ports = PORT_KEYS.map(key => `${info[key]}/tcp`);
    create.ExposedPorts = Object.fromEntries(ports.map(port => [port, {}]));
    hostConfig.PortBindings = Object.fromEntries(
      ports.map(port => [port, [{ HostIp: '127.0.0.1', HostPort: port.split('/')[0] }]])
    );
  }
  return { create, cleanup };
}
