import { spawnSync } from 'node:child_process';
import { ArielError } from '../errors.js';
import type { GpuChoice } from '../docker/settings.js';

/**
 * A local sweep on GPUs: the machine's GPUs cut into slots of K devices, one job per slot at a
 * time, never two jobs on one device (Caliban runs local jobs one after another instead).
 */

/** The host's GPU indexes as nvidia-smi lists them; undefined where it cannot run. */
export function hostGpus(): string[] | undefined {
  const listed = spawnSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], { encoding: 'utf8' });
  if (listed.status !== 0) {
    return undefined;
  }
  return listed.stdout
    .split('\n')
    .map(line => line.trim())
    .filter(Boolean);
}

/** The devices a sweep may use: the ids chosen, else the host's (all, or the first N). */
export function sweepDevices(gpus: GpuChoice, discover: () => string[] | undefined = hostGpus): string[] {
  if (Array.isArray(gpus)) {
    return gpus;
  }
  const found = discover();
  if (!found || found.length === 0) {
    throw new ArielError(
      'gpu-unavailable',
      'Ariel cannot tell which GPUs this machine has (nvidia-smi does not answer here).',
      'Name the devices to share between the jobs: --gpus 0,1,2,3 (or "gpus": ["0", "1"] in the "run" settings).'
    );
  }
  return gpus === 'all' ? found : found.slice(0, gpus);
}

/** Slots of `perJob` devices each; devices left over are not used. */
export function gpuSlots(devices: string[], perJob: number): string[][] {
  if (!Number.isInteger(perJob) || perJob < 1) {
    throw new ArielError(
      'usage',
      `--gpus-per-job ${perJob} is not a whole number of at least 1.`,
      'Write --gpus-per-job 1.'
    );
  }
  if (devices.length < perJob) {
    throw new ArielError(
      'usage',
      `Each job is to get ${perJob} GPUs, but only ${devices.length} are given to the sweep (${devices.join(', ') || 'none'}).`,
      'Lower --gpus-per-job, or give more devices with --gpus.'
    );
  }
  const slots: string[][] = [];
  for (let i = 0; i + perJob <= devices.length; i += perJob) {
    slots.push(devices.slice(i, i + perJob));
  }
  return slots;
}
