import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { platform, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type Docker from 'dockerode';
import type { Project } from '../project/project.js';
import type { ImageRef } from '../docker/imageRef.js';
import { interactiveContainer, workingDirIn } from '../docker/interactive.js';
import { LABELS, labelFilter } from '../docker/labels.js';
import { isAdoptable, isOrphanKernel, launcherLabels, SPARE_PREFIX, type LauncherIdentity } from './lifetime.js';

export { currentLauncher, SPARE_PREFIX, type LauncherIdentity } from './lifetime.js';

/** A running kernel container. */
export interface KernelHandle {
  /** The container's id: stable for the container's life, so a restarted companion finds the kernel by it. */
  id: string;
  image: ImageRef;
  /** Resolves to the kernel's exit code when the container exits. */
  exited: Promise<number>;
  /** Passes a signal (SIGINT for an interrupt) to the kernel. */
  kill(signal: string): Promise<void>;
  /** Removes the container and what was made for it; safe to call more than once. */
  remove(): Promise<void>;
}

async function kernelContainers(docker: Docker): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [labelFilter(LABELS.role, 'kernel')] } });
}

const summary = (c: Docker.ContainerInfo) => ({ labels: c.Labels, name: c.Names[0] ?? '' });

/**
 * Removes kernel containers whose launcher or Jupyter Server is gone (killed outright, so
 * nothing could clean up). The rule, in lifetime.ts, leaves other hosts' and users' alone.
 */
export async function removeOrphanKernels(docker: Docker): Promise<string[]> {
  const orphans = (await kernelContainers(docker)).filter(c => isOrphanKernel(summary(c)));
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

/**
 * The running kernel containers that the companion server `launcher` takes over from an earlier
 * companion of the same Jupyter Server (see `isAdoptable`): their ids.
 */
export async function adoptableKernels(docker: Docker, launcher: LauncherIdentity): Promise<string[]> {
  return (await kernelContainers(docker))
    .filter(c => c.State === 'running' && isAdoptable(summary(c), launcher))
    .map(c => c.Id);
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
  const connectionMount: Docker.MountSettings = {
    Type: 'bind',
    Source: connectionFile,
    Target: connectionFile,
    ReadOnly: true
  };
  hostConfig.Mounts.push(connectionMount);
  if (network === 'host') {
    hostConfig.NetworkMode = 'host';
  } else {
    const info = JSON.parse(readFileSync(connectionFile, 'utf8')) as ConnectionInfo;
    const dir = mkdtempSync(join(tmpdir(), 'ariel-kernel-'));
    const mountedFile = join(dir, 'connection.json');
    writeFileSync(mountedFile, JSON.stringify({ ...info, ip: '0.0.0.0' }), { mode: 0o644 });
    cleanup = () => rmSync(dir, { recursive: true, force: true });
    connectionMount.Source = mountedFile;
    const ports = PORT_KEYS.map(key => `${info[key]}/tcp`);
    create.ExposedPorts = Object.fromEntries(ports.map(port => [port, {}]));
    hostConfig.PortBindings = Object.fromEntries(
      ports.map(port => [port, [{ HostIp: '127.0.0.1', HostPort: port.split('/')[0] }]])
    );
  }
  return { create, cleanup };
}

/**
 * What a spare kernel container runs: Python that imports ipykernel at once, then waits for one
 * JSON line on stdin (the kernel's connection info and working directory), writes the
 * connection file inside the container and becomes the kernel, as `python -m ipykernel_launcher
 * -f FILE` would in that folder (which is then first on sys.path, as with `-m`).
 */
const SPARE_BOOT = `import json, os, sys
from ipykernel import kernelapp
line = sys.stdin.readline()
if not line:
    sys.exit(0)
request = json.loads(line)
path = os.path.join('/tmp', request['name'])
with open(path, 'w') as file:
    json.dump(request['connection'], file)
os.chdir(request['cwd'])
sys.path[0] = request['cwd']
sys.argv = [sys.argv[0], '-f', path]
kernelapp.launch_new_instance()
`;

/**
 * Create options for a spare kernel container (the warm pool, host networking only): a kernel
 * container in every respect (image, user, environment, mounts, GPUs, labels) but its command,
 * which waits on stdin for the kernel it is to become; see `spareRequest`.
 */
export function spareKernelContainer(
  options: Omit<KernelContainerOptions, 'connectionFile' | 'cwd' | 'network'>
): Docker.ContainerCreateOptions {
  const { project, image, launcher, env } = options;
  const create = interactiveContainer({
    project,
    image,
    role: 'kernel',
    cwd: project.root,
    cmd: ['python', '-c', SPARE_BOOT],
    env
  });
  Object.assign(create.Labels, launcherLabels(launcher));
  create.HostConfig.AutoRemove = true;
  create.HostConfig.NetworkMode = 'host';
  return { ...create, name: `${SPARE_PREFIX}${randomUUID()}`, OpenStdin: true, StdinOnce: true, AttachStdin: true };
}

/** The line a spare kernel container reads to become the kernel of `connectionFile`, started in `cwd`. */
export function spareRequest(project: Project, connectionFile: string, cwd: string): string {
  const connection = JSON.parse(readFileSync(connectionFile, 'utf8')) as ConnectionInfo;
  return `${JSON.stringify({ name: basename(connectionFile), connection, cwd: workingDirIn(project, cwd) })}\n`;
}

/** The name a spare container takes when handed out: it names the kernel's connection file, as a kernel's command does. */
export function handedOutName(connectionFile: string): string {
  return `ariel-${basename(connectionFile, '.json')}-${randomUUID().slice(0, 8)}`;
}
