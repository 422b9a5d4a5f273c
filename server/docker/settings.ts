import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, posix, resolve } from 'node:path';
import type Docker from 'dockerode';
import { VENV_DIR, CODE_DIR } from '../dockerfile/generate.js';
import { ArielError } from '../errors.js';
import { isInside } from '../paths.js';
import type { RunConfig } from '../project/config.js';
import type { Project } from '../project/project.js';
import { loadUserRunConfig, userConfigPath } from '../project/user-config.js';
import { confinement, DEFAULT_PIDS_LIMIT } from './containers.js';
import { parseDockerRunArgs, type DockerRunSettings } from './runArgs.js';
import type { RunnableImage } from './imageRef.js';
import type { RunSettings } from '../http/contract.js';

/**
 * Run-time settings of Ariel's local containers (kernels and their spares, runs, shells): shared
 * memory, mounts, limits, GPUs, cloud credentials. They come from the project's `"run"` key, then
 * the user config's entry for the project root, then the command line, each overriding the one
 * before (mounts add up). Nothing here reaches an image or a cloud job.
 */

/** `/dev/shm` of a container unless the settings say otherwise: enough for PyTorch DataLoader workers. */
export const DEFAULT_SHM_SIZE = 1024 ** 3;

/** Where the user's Application Default Credentials appear inside a container. */
export const CREDENTIALS_TARGET = '/run/ariel/application_default_credentials.json';

export type GpuChoice = 'all' | number | string[];

export interface MountEntry {
  source: string;
  target: string;
  readonly?: boolean;
}

/** One layer of settings and where it was written, for messages. */
export interface SettingsLayer {
  /** e.g. `.ariel.json "run"`, `the user config`, `the command line`. */
  origin: string;
  run: RunConfig;
}

/** A mount as the container gets it; `origin` names the entry it came from. */
export interface ResolvedMount {
  source: string;
  target: string;
  readonly: boolean;
  origin: string;
}

/** What a container is given; equal settings give equal create options (the warm pool relies on it). */
export interface ContainerSettings {
  /** Bytes of /dev/shm; undefined with the host's IPC namespace. */
  shmSize?: number;
  ipc?: 'host';
  mounts: ResolvedMount[];
  /** Bytes. */
  memory?: number;
  cpus?: number;
  /** -1 for none. */
  pidsLimit: number;
  /** What a GPU image's container gets; CPU images get none. */
  gpus: GpuChoice;
  /** `NAME=value` set inside (from `-e` and the credentials). */
  env: string[];
  /** Published ports, `[HOSTIP:]HOSTPORT:CONTAINERPORT[/PROTO]` (runs and shells; kernels use their own). */
  ports: string[];
  /** The credentials file mounted (its host path), when there is one. */
  credentials?: string;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes of a size as Docker writes it (`512m`, `8g`, `1.5GiB`); undefined when it is not one. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(?:([bkmgt])(?:i?b)?)?$/i.exec(text.trim());
  if (!match) {
    return undefined;
  }
  const bytes = Math.floor(Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()]);
  return bytes > 0 ? bytes : undefined;
}

function sizeOf(text: string, key: string, origin: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) {
    throw new ArielError(
      'config-invalid',
      `${origin}: ${key} "${text}" is not a size.`,
      'Write a number of bytes, or one with a unit: "512m", "8g".'
    );
  }
  return bytes;
}

/** `~`, `~/x`, `$VAR` and `${VAR}` as a shell would expand them; an unset variable is an error. */
export function expandPath(text: string, env: NodeJS.ProcessEnv, origin: string): string {
  const home = env.HOME || homedir();
  const tilded = text === '~' ? home : text.startsWith('~/') ? join(home, text.slice(2)) : text;
  return tilded.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, braced, plain) => {
    const name = (braced ?? plain) as string;
    const value = env[name];
    if (value === undefined) {
      throw new ArielError(
        'config-invalid',
        `${origin}: mount source "${text}" names $${name}, which is not set.`,
        `Set ${name} in the environment, or write the path out.`
      );
    }
    return value;
  });
}

/** Folders a mount must not hide: the system's, the image's Python environment and code. */
const SYSTEM_FOLDERS = ['/', '/bin', '/sbin', '/lib', '/lib64', '/usr', '/etc', '/dev', '/proc', '/sys', '/run'];

/** Whether `inner` is `outer` or inside it (container paths). */
function within(inner: string, outer: string): boolean {
  return isInside(outer, inner, posix);
}

/** The engine's socket on the host: DOCKER_HOST's unix path, or the default one. */
function engineSocket(env: NodeJS.ProcessEnv): string {
  const host = env.DOCKER_HOST;
  const path = host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function describeMount(entry: MountEntry): string {
  return `${entry.source} → ${entry.target}`;
}

/**
 * Checks and resolves mounts: sources expanded and taken from the project root when relative, and
 * existing; no target hiding the project or a system folder, no engine socket, one mount per target.
 */
export function resolveMounts(
  project: Pick<Project, 'root'>,
  entries: { entry: MountEntry; origin: string }[],
  env: NodeJS.ProcessEnv
): ResolvedMount[] {
  const socket = engineSocket(env);
  const protectedTargets = [...SYSTEM_FOLDERS, VENV_DIR, CODE_DIR, project.root];
  const resolved: ResolvedMount[] = [];
  for (const { entry, origin } of entries) {
    const where = `${origin}: mount ${describeMount(entry)}`;
    const expanded = expandPath(entry.source, env, origin);
    const source = isAbsolute(expanded) ? resolve(expanded) : resolve(project.root, expanded);
    if (!existsSync(source)) {
      throw new ArielError(
        'config-invalid',
        `${where}: the source ${source} does not exist.`,
        relativeHint(entry.source, source)
      );
    }
    const real = realpathSync(source);
    if (within(socket, real) || statSync(real).isSocket()) {
      throw new ArielError(
        'config-invalid',
        `${where}: the source is or holds the Docker engine's socket, which would give the container root on the host.`,
        'Mount only the data the code needs.'
      );
    }
    if (!posix.isAbsolute(entry.target)) {
      throw new ArielError(
        'config-invalid',
        `${where}: the target "${entry.target}" is not an absolute path.`,
        'Write the path inside the container from /: "/data/mnist".'
      );
    }
    const target = posix.resolve(entry.target);
    const hidden = protectedTargets.find(folder => within(folder, target));
    if (hidden) {
      throw new ArielError(
        'config-invalid',
        `${where}: the target ${target} would hide ${hidden === project.root ? `the project (${hidden})` : hidden} in the container.`,
        'Mount data under a folder of its own, such as /data/NAME or /mnt/NAME.'
      );
    }
    const clash = resolved.find(other => other.target === target);
    if (clash) {
      throw new ArielError(
        'config-invalid',
        `${where}: ${target} is already the target of ${clash.origin}: mount ${clash.source} → ${clash.target}.`,
        'Give each mount its own target.'
      );
    }
    resolved.push({ source: real, target, readonly: entry.readonly !== false, origin });
  }
  return resolved;
}

function relativeHint(written: string, source: string): string {
  return isAbsolute(written) || written.startsWith('~') || written.startsWith('$')
    ? `Create ${source}, or fix the path.`
    : `A relative source is taken from the project root; create ${source} or fix the path.`;
}

/** The user's Application Default Credentials file: GOOGLE_APPLICATION_CREDENTIALS, else gcloud's. */
export function credentialsFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GOOGLE_APPLICATION_CREDENTIALS) {
    return existsSync(env.GOOGLE_APPLICATION_CREDENTIALS) ? resolve(env.GOOGLE_APPLICATION_CREDENTIALS) : undefined;
  }
  const file = join(gcloudConfigDir(env), 'application_default_credentials.json');
  return existsSync(file) ? file : undefined;
}

function gcloudConfigDir(env: NodeJS.ProcessEnv): string {
  return env.CLOUDSDK_CONFIG || join(env.HOME || homedir(), '.config', 'gcloud');
}

/** GOOGLE_CLOUD_PROJECT from the environment, else gcloud's configured project. */
export function cloudProject(env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = env.GOOGLE_CLOUD_PROJECT || env.CLOUDSDK_CORE_PROJECT;
  if (fromEnv) {
    return fromEnv;
  }
  const dir = gcloudConfigDir(env);
  let active = 'default';
  try {
    active = readFileSync(join(dir, 'active_config'), 'utf8').trim() || 'default';
  } catch {
    // gcloud's default configuration.
  }
  try {
    const ini = readFileSync(join(dir, 'configurations', `config_${active}`), 'utf8');
    let section = '';
    for (const line of ini.split('\n')) {
      const header = /^\s*\[(.+)\]\s*$/.exec(line);
      if (header) {
        section = header[1];
        continue;
      }
      const pair = /^\s*project\s*=\s*(\S+)\s*$/.exec(line);
      if (section === 'core' && pair) {
        return pair[1];
      }
    }
  } catch {
    // No gcloud configuration.
  }
  return undefined;
}

/** The layers of settings for a project: its `"run"` key, then the user config's entry for its root. */
export function settingsLayers(project: Project, env: NodeJS.ProcessEnv = process.env): SettingsLayer[] {
  const file = project.configFile ?? '.ariel.json';
  const user = loadUserRunConfig(project.root, env);
  return [
    { origin: `${file} "run"`, run: project.config.run },
    ...(user ? [{ origin: `${userConfigPath(env)} "projects"."${project.root}"."run"`, run: user }] : [])
  ];
}

/**
 * The settings a container of `project` gets, from its layers and the command line's (`overrides`),
 * checked: every error names the entry at fault and where it was written.
 */
export function resolveSettings(
  project: Project,
  options: { env?: NodeJS.ProcessEnv; overrides?: RunConfig } = {}
): ContainerSettings {
  const env = options.env ?? process.env;
  const layers = settingsLayers(project, env);
  if (options.overrides) {
    layers.push({ origin: 'the command line', run: options.overrides });
  }
  const merged: Omit<RunConfig, 'mounts' | 'docker_run_args'> = {};
  const mounts: { entry: MountEntry; origin: string }[] = [];
  const extraEnv: string[] = [];
  const ports: string[] = [];
  for (const { origin, run } of layers) {
    // Caliban's --docker_run_args first; the typed keys of the same layer win over it.
    const fromArgs = run.docker_run_args === undefined ? {} : parseDockerRunArgs(run.docker_run_args, origin, env);
    const sources: [DockerRunSettings, (i: number) => string][] = [
      [fromArgs, i => `${origin} docker_run_args (mount ${i + 1})`],
      [run, i => `${origin} mounts[${i}]`]
    ];
    for (const [source, mountOrigin] of sources) {
      for (const [key, value] of Object.entries(source)) {
        if (value !== undefined && !['mounts', 'env', 'ports', 'docker_run_args'].includes(key)) {
          Object.assign(merged, { [key]: value as unknown });
        }
      }
      mounts.push(...(source.mounts ?? []).map((entry, i) => ({ entry, origin: mountOrigin(i) })));
      extraEnv.push(...(source.env ?? []));
      ports.push(...(source.ports ?? []));
    }
  }
  const origin = layers.map(l => l.origin).join(', ');
  const settings: ContainerSettings = {
    mounts: resolveMounts(project, mounts, env),
    pidsLimit: merged.pids_limit ?? DEFAULT_PIDS_LIMIT,
    gpus: merged.gpus ?? 'all',
    env: extraEnv,
    ports
  };
  if (merged.ipc === 'host') {
    settings.ipc = 'host';
  } else {
    settings.shmSize = merged.shm_size === undefined ? DEFAULT_SHM_SIZE : sizeOf(merged.shm_size, 'shm_size', origin);
  }
  if (merged.memory !== undefined) {
    settings.memory = sizeOf(merged.memory, 'memory', origin);
  }
  if (merged.cpus !== undefined) {
    settings.cpus = merged.cpus;
  }
  const credentials = merged.cloud_credentials === false ? undefined : credentialsFile(env);
  if (credentials) {
    settings.credentials = credentials;
    settings.env.push(`GOOGLE_APPLICATION_CREDENTIALS=${CREDENTIALS_TARGET}`);
  }
  const cloud = merged.cloud_credentials === false ? undefined : cloudProject(env);
  if (cloud) {
    settings.env.push(`GOOGLE_CLOUD_PROJECT=${cloud}`);
  }
  return settings;
}

/** Docker's device request for the chosen GPUs (`docker run --gpus`). */
export function gpuRequest(gpus: GpuChoice): Docker.DeviceRequest {
  if (Array.isArray(gpus)) {
    return { Driver: '', DeviceIDs: gpus, Capabilities: [['gpu']] };
  }
  return { Driver: '', Count: gpus === 'all' ? -1 : gpus, Capabilities: [['gpu']] };
}

/** The HostConfig part the settings make: confinement, shared memory, limits, mounts, GPUs. */
export function hostConfigOf(
  settings: ContainerSettings,
  image: RunnableImage
): Docker.HostConfig & { Mounts: Docker.MountSettings[] } {
  const hostConfig: Docker.HostConfig & { Mounts: Docker.MountSettings[] } = {
    ...confinement(settings.pidsLimit),
    Mounts: [
      ...settings.mounts.map(m => ({
        Type: 'bind' as const,
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readonly
      })),
      ...(settings.credentials
        ? [{ Type: 'bind' as const, Source: settings.credentials, Target: CREDENTIALS_TARGET, ReadOnly: true }]
        : [])
    ]
  };
  if (settings.ipc === 'host') {
    hostConfig.IpcMode = 'host';
  } else {
    hostConfig.ShmSize = settings.shmSize;
  }
  if (settings.memory !== undefined) {
    hostConfig.Memory = settings.memory;
  }
  if (settings.cpus !== undefined) {
    hostConfig.NanoCpus = Math.round(settings.cpus * 1e9);
  }
  if (image.accelerator === 'gpu') {
    hostConfig.DeviceRequests = [gpuRequest(settings.gpus)];
  }
  return hostConfig;
}

/** ExposedPorts and PortBindings for the published ports; undefined when there are none. */
export function publishedPorts(
  settings: ContainerSettings
): { exposed: Record<string, object>; bindings: Docker.PortMap } | undefined {
  if (settings.ports.length === 0) {
    return undefined;
  }
  const exposed: Record<string, object> = {};
  const bindings: Docker.PortMap = {};
  for (const spec of settings.ports) {
    const [ports, proto = 'tcp'] = spec.split('/');
    const parts = ports.split(':');
    const key = `${parts[parts.length - 1]}/${proto}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({
      HostIp: parts.length === 3 ? parts[0] : '',
      HostPort: parts.length >= 2 ? parts[parts.length - 2] : ''
    });
  }
  return { exposed, bindings };
}

/** The settings as `--dry-run --json` and the project summary show them (no credential path): the wire's `RunSettings`. */
export type SettingsDescription = RunSettings;

/** The settings as `--dry-run --json` and the project summary show them (no credential path). */
export function describeSettings(settings: ContainerSettings): SettingsDescription {
  return {
    ...(settings.ipc ? { ipc: settings.ipc } : { shm_size: settings.shmSize }),
    mounts: settings.mounts.map(({ source, target, readonly }) => ({ source, target, readonly })),
    ...(settings.memory !== undefined ? { memory: settings.memory } : {}),
    ...(settings.cpus !== undefined ? { cpus: settings.cpus } : {}),
    pids_limit: settings.pidsLimit,
    gpus: settings.gpus,
    env: settings.env.map(pair => pair.split('=')[0]),
    ...(settings.ports.length > 0 ? { ports: settings.ports } : {}),
    cloud_credentials: settings.credentials !== undefined
  };
}
