import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseSize } from '../docker/settings.js';
import type { RunConfig } from '../project/config.js';

/**
 * The flags of `ariel run` and `ariel shell` that set run-time settings: they override the
 * project's `"run"` key and the user config's entry for the project; `--mount`s add to theirs.
 */
export interface RunSettingsOptions {
  mount?: { source: string; target: string; readonly: boolean }[];
  shmSize?: string;
  ipc?: 'host' | 'private';
  memory?: string;
  cpus?: number;
  pidsLimit?: number;
  gpus?: RunConfig['gpus'];
  cloudCredentials?: boolean;
  dockerRunArgs?: string;
}

/** `SRC:DST[:rw|ro]`: read-only unless `rw`. */
export function parseMountFlag(value: string): { source: string; target: string; readonly: boolean } {
  const parts = value.split(':');
  if (
    parts.length < 2 ||
    parts.length > 3 ||
    !parts[0] ||
    !parts[1] ||
    (parts[2] && !['rw', 'ro'].includes(parts[2]))
  ) {
    throw new InvalidArgumentError('Expected SOURCE:TARGET or SOURCE:TARGET:rw (read-only unless :rw).');
  }
  return { source: parts[0], target: parts[1], readonly: parts[2] !== 'rw' };
}

function size(value: string): string {
  if (parseSize(value) === undefined) {
    throw new InvalidArgumentError('Expected a size: a number of bytes, or one with a unit (512m, 8g).');
  }
  return value;
}

/** `all`, a count, or device ids (`0,1` or `device=0,1`). */
export function parseGpusFlag(value: string): RunConfig['gpus'] {
  if (value === 'all') {
    return 'all';
  }
  if (/^[1-9]\d*$/.test(value)) {
    return Number(value);
  }
  const ids = value.replace(/^device=/, '');
  if (/^[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*$/.test(ids)) {
    return ids.split(',');
  }
  throw new InvalidArgumentError('Expected all, a count (2) or device ids (0,1 or device=0,1).');
}

/** `--gpus-per-job K`: a whole number of at least 1. */
export function parseGpusPerJob(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) {
    throw new InvalidArgumentError('Expected a whole number of at least 1.');
  }
  return Number(value);
}

/** `--replicas N`, `--reduction-server N`: a whole number of at least 1. */
export function parseReplicaCount(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) {
    throw new InvalidArgumentError('Expected a whole number of replicas of at least 1.');
  }
  return Number(value);
}

export function runSettingsOptions(command: Command): Command {
  return command
    .option(
      '--mount <src:dst[:rw]>',
      'mount a host folder or file into the container, read-only unless :rw (repeatable)',
      (value: string, all: RunSettingsOptions['mount'] = []) => [...all, parseMountFlag(value)]
    )
    .option('--shm-size <size>', 'size of /dev/shm (default 1g)', size)
    .addOption(
      new Option('--ipc <mode>', "IPC namespace: host shares the host's shared memory").choices(['host', 'private'])
    )
    .option('--memory <size>', 'memory limit of the container (8g)', size)
    .option('--cpus <n>', 'CPUs the container may use (1.5)', (value: string) => {
      const cpus = Number(value);
      if (!(cpus > 0)) {
        throw new InvalidArgumentError('Expected a positive number.');
      }
      return cpus;
    })
    .option('--pids-limit <n>', 'most processes in the container (default 4096, -1 for none)', (value: string) => {
      if (!/^(-1|[1-9]\d*)$/.test(value)) {
        throw new InvalidArgumentError('Expected a whole number of at least 1, or -1 for no limit.');
      }
      return Number(value);
    })
    .option('--gpus <which>', 'GPUs a GPU container gets: all (default), a count, or device ids (0,1)', parseGpusFlag)
    .option('--no-cloud-credentials', "do not mount the user's Application Default Credentials")
    .option(
      '--docker-run-args <args>',
      "Caliban's --docker_run_args: docker run flags for mounts, shared memory, GPUs, variables, ports, limits"
    );
}

/** The command line's settings, as a layer over the configs'. */
export function runSettingsFrom(options: RunSettingsOptions): RunConfig {
  const settings: RunConfig = {};
  if (options.dockerRunArgs !== undefined) {
    settings.docker_run_args = options.dockerRunArgs;
  }
  if (options.mount) {
    settings.mounts = options.mount;
  }
  if (options.shmSize !== undefined) {
    settings.shm_size = options.shmSize;
  }
  if (options.ipc !== undefined) {
    settings.ipc = options.ipc;
  }
  if (options.memory !== undefined) {
    settings.memory = options.memory;
  }
  if (options.cpus !== undefined) {
    settings.cpus = options.cpus;
  }
  if (options.pidsLimit !== undefined) {
    settings.pids_limit = options.pidsLimit;
  }
  if (options.gpus !== undefined) {
    settings.gpus = options.gpus;
  }
  // Commander sets true by default; only the flag's false overrides the configs.
  if (options.cloudCredentials === false) {
    settings.cloud_credentials = false;
  }
  return settings;
}
