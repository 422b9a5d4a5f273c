/** `ariel cloud`'s distributed-training flags and how the CLI shows a job's worker pools. */
import { type Command, Option } from 'commander';
import type { DistributedRequest } from '../cloud/pools.js';
import type { CloudJob } from '../cloud/spec.js';
import { ArielError } from '../errors.js';

export interface PoolOptions {
  replicas?: number;
  workerMachineType?: string;
  workerAccelerator?: string;
  workerAcceleratorCount?: number;
  reductionServer?: number;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new ArielError('usage', `"${value}" is not a whole number.`, 'Give e.g. 0, 1, 2 or 4.');
  }
  return n;
}

function positive(value: string): number {
  const n = wholeNumber(value);
  if (n < 1) {
    throw new ArielError('usage', `"${value}" is not a positive whole number.`, 'Give e.g. 1, 2, 4 or 8.');
  }
  return n;
}

/** Adds `--replicas` and the worker pools' flags to `ariel cloud`. */
export function addPoolOptions(command: Command): Command {
  return command
    .option(
      '--replicas <n>',
      'workers beside the primary machine (Vertex AI worker pool 1), same machine unless told',
      wholeNumber
    )
    .option('--worker-machine-type <type>', "the workers' machine type (default: the primary's)")
    .option(
      '--worker-accelerator <type>',
      "the workers' accelerator (default: the primary's, on the primary's machine type)"
    )
    .option('--worker-accelerator-count <n>', 'accelerators per worker', positive)
    .addOption(
      new Option(
        '--reduction-server <n>',
        "Vertex AI's Reduction Server replicas (worker pool 2) to speed up NCCL's all-reduce between GPU workers"
      ).argParser(wholeNumber)
    );
}

/** The request's `distributed` object from the flags; undefined when none was given. */
export function distributedOptions(options: PoolOptions): DistributedRequest | undefined {
  const given = [
    options.replicas,
    options.workerMachineType,
    options.workerAccelerator,
    options.workerAcceleratorCount,
    options.reductionServer
  ].some(value => value !== undefined);
  return given
    ? {
        replicas: options.replicas ?? 0,
        workerMachineType: options.workerMachineType,
        workerAcceleratorType: options.workerAccelerator,
        workerAcceleratorCount: options.workerAcceleratorCount,
        reductionServers: options.reductionServer
      }
    : undefined;
}

/** `n1-standard-4 + 1 × NVIDIA_TESLA_T4` */
export function machineText(pool: {
  machineType: string;
  acceleratorType: string | null;
  acceleratorCount: number;
}): string {
  return `${pool.machineType}${pool.acceleratorType ? ` + ${pool.acceleratorCount} × ${pool.acceleratorType}` : ''}`;
}

/** `, with 2 workers on … and 1 Reduction Server replica(s) on …`; empty for one machine. */
export function poolsText(job: CloudJob): string {
  if (!job.workers) {
    return '';
  }
  const reduction = job.reductionServers
    ? ` and ${job.reductionServers.replicaCount} Reduction Server replica(s) on ${job.reductionServers.machineType}`
    : '';
  return `, with ${job.workers.replicaCount} worker(s) on ${machineText(job.workers)}${reduction}`;
}

/** A Vertex AI job's pools as `ariel status --json` lists them: what the history records. */
export function poolsView(job: CloudJob): Record<string, unknown> {
  return job.workers
    ? { workers: job.workers, ...(job.reductionServers ? { reductionServers: job.reductionServers } : {}) }
    : {};
}
