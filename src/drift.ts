import { KERNEL_NAMES, type AddToProjectResult, type KernelDrift, type RunSettings } from './api';
import type { IArielModel } from './tokens';

/** A count with its noun: "1 package", "2 packages". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** One distribution as the sidebar names it: `tqdm 4.66.4`. */
function named(d: { name: string; version: string }): string {
  return `${d.name} ${d.version}`;
}

/** What a kernel's drift means to the user, one sentence per kind; empty when it has none. */
export interface IDriftWords {
  /** Installed or upgraded here, not in the project: what "Add to the project" writes. */
  notInProject: string | null;
  /** Removed or downgraded here: reported, never written. */
  reported: string[];
  /** Whether "Add to the project" has something to write. */
  addable: boolean;
}

/**
 * The sentences the Running section shows for a drifted kernel:
 * "2 packages installed here are not in the project: tqdm 4.66.4, einops 0.8.0".
 */
export function describeDrift(kernel: KernelDrift): IDriftWords {
  const { added, removed, changed } = kernel.drift;
  const upgraded = changed.filter(d => d.direction === 'upgraded');
  const downgraded = changed.filter(d => d.direction === 'downgraded');
  const parts = [...added.map(named), ...upgraded.map(d => `${named(d)} (image: ${d.recorded})`)];
  const n = parts.length;
  const notInProject =
    n === 0
      ? null
      : `${count(n, 'package')} installed here ${n === 1 ? 'is' : 'are'} not in the project: ${parts.join(', ')}`;
  const reported: string[] = [];
  if (removed.length > 0) {
    reported.push(
      `${count(removed.length, 'package')} of the image ${removed.length === 1 ? 'was' : 'were'} removed here: ${removed
        .map(named)
        .join(', ')}; the project keeps ${removed.length === 1 ? 'it' : 'them'}.`
    );
  }
  if (downgraded.length > 0) {
    reported.push(
      `${count(downgraded.length, 'package')} downgraded here: ${downgraded
        .map(d => `${named(d)} (image: ${d.recorded})`)
        .join(', ')}; not written to the project.`
    );
  }
  return { notInProject, reported, addable: n > 0 };
}

/** Whether a kernel differs from its image at all. */
export function hasDrift(kernel: KernelDrift): boolean {
  const { added, removed, changed } = kernel.drift;
  return kernel.recorded && added.length + removed.length + changed.length > 0;
}

/** What "Add to the project" did, in words: a headline and, when nothing was written, the lines to add by hand. */
export function describeAddResult(result: AddToProjectResult): { message: string; lines: string[]; ok: boolean } {
  const reported = result.notWritten.map(d =>
    d.reason === 'removed'
      ? `${d.name} (${d.recorded}) was removed in the kernel`
      : `${d.name} was downgraded to ${d.version} (image: ${d.recorded})`
  );
  const notWritten = reported.length > 0 ? ` Not written: ${reported.join('; ')}.` : '';
  if (result.written) {
    return {
      ok: true,
      lines: result.lines,
      message:
        `Added ${count(result.lines.length, 'line')} to ${result.file}: ${result.lines.join(', ')}. ` +
        `The kernel's image is now outdated: the next start or restart builds the new one.${notWritten}`
    };
  }
  if (result.lines.length > 0) {
    return {
      ok: false,
      lines: result.lines,
      message: `This project's dependencies live in ${result.file}: add these lines to ${result.where ?? 'it'}, then restart the kernel.${notWritten}`
    };
  }
  return { ok: false, lines: [], message: `Nothing to add to the project.${notWritten}` };
}

/** Bytes as Docker's flags write them: 8g, 512m. */
export function dockerSize(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 4, 't'],
    [1024 ** 3, 'g'],
    [1024 ** 2, 'm'],
    [1024, 'k']
  ];
  for (const [size, unit] of units) {
    if (bytes >= size && bytes % size === 0) {
      return `${bytes / size}${unit}`;
    }
  }
  for (const [size, unit] of units) {
    if (bytes >= size) {
      return `${(bytes / size).toFixed(1)}${unit}`;
    }
  }
  return `${bytes}b`;
}

/** The run-time settings in force, compact: one [label, value] row each. */
export function describeRunSettings(settings: RunSettings): [string, string][] {
  const rows: [string, string][] = [
    [
      'Shared memory',
      settings.ipc === 'host' ? 'host IPC' : settings.shm_size !== undefined ? dockerSize(settings.shm_size) : 'default'
    ],
    [
      'Mounts',
      settings.mounts.length === 0
        ? 'none'
        : settings.mounts.map(m => `${m.source} → ${m.target}${m.readonly ? ' (ro)' : ' (rw)'}`).join(', ')
    ]
  ];
  const limits = [
    settings.memory !== undefined ? `memory ${dockerSize(settings.memory)}` : null,
    settings.cpus !== undefined ? `${settings.cpus} CPUs` : null,
    settings.pids_limit === -1 ? 'no pids limit' : `pids ${settings.pids_limit}`
  ].filter((part): part is string => part !== null);
  rows.push(['Limits', limits.join(', ')]);
  rows.push([
    'GPUs',
    settings.gpus === 'all'
      ? 'all'
      : typeof settings.gpus === 'number'
        ? String(settings.gpus)
        : `devices ${settings.gpus.join(', ')}`
  ]);
  if (settings.env.length > 0) {
    rows.push(['Environment', settings.env.join(', ')]);
  }
  if (settings.ports && settings.ports.length > 0) {
    rows.push(['Ports', settings.ports.join(', ')]);
  }
  rows.push(['Cloud credentials', settings.cloud_credentials ? 'on (read-only)' : 'off']);
  return rows;
}

/** The settings in one line for the project summary: "shm 1g · 2 mounts · GPUs all · cloud credentials off". */
export function runSettingsSummary(settings: RunSettings): string {
  const mounts = settings.mounts.length;
  return [
    settings.ipc === 'host'
      ? 'host IPC'
      : settings.shm_size !== undefined
        ? `shm ${dockerSize(settings.shm_size)}`
        : null,
    mounts === 0 ? 'no mounts' : `${mounts} mount${mounts === 1 ? '' : 's'}`,
    settings.memory !== undefined ? `memory ${dockerSize(settings.memory)}` : null,
    settings.cpus !== undefined ? `${settings.cpus} CPUs` : null,
    `GPUs ${settings.gpus === 'all' ? 'all' : typeof settings.gpus === 'number' ? settings.gpus : settings.gpus.join(',')}`,
    `cloud credentials ${settings.cloud_credentials ? 'on' : 'off'}`
  ]
    .filter((part): part is string => part !== null)
    .join(' · ');
}

/**
 * Whether a cell's source changes the kernel's packages: a `%pip`/`!pip` (or `pip3`, `python -m
 * pip`) install or uninstall, or `%conda`/`%mamba` likewise.
 */
export function changesPackages(source: string): boolean {
  return /^\s*(?:%|!)\s*(?:(?:python3?\s+-m\s+)?pip3?|conda|mamba)\s+(?:install|uninstall|remove)\b/m.test(source);
}

const CONTAINER_KERNELS = new Set<string>(Object.values(KERNEL_NAMES));

/**
 * Asks the running kernels' drift again when a cell that installs or removes packages
 * (`%pip install`, `!pip uninstall`, …) has run in a container kernel: the Running section then
 * shows what that kernel now holds beyond its image, without waiting for the next poll.
 */
export class PipWatcher {
  constructor(private readonly model: Pick<IArielModel, 'refreshDrift'>) {}

  /** A cell ran in a kernel of that kernelspec name; resolves once the drift is asked again, if it was. */
  async cellExecuted(kernelName: string | undefined, source: string): Promise<boolean> {
    if (!kernelName || !CONTAINER_KERNELS.has(kernelName) || !changesPackages(source)) {
      return false;
    }
    await this.model.refreshDrift();
    return true;
  }
}
