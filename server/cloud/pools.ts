import { ArielError } from '../errors.js';
import type { DistributedRequest } from '../http/contract.js';
import { validateMachine, type Catalog, type MachineSpec } from './catalog.js';
import data from './pools.json' with { type: 'json' };

export type { DistributedRequest };

/** Vertex AI's Reduction Server: its image and machine type, as kept in pools.json. */
export const REDUCTION_SERVER: { imageUri: string; machineType: string } = data.reductionServer;

/** The worker pools of a distributed job, checked: what `planCloudJobs` puts beside the primary. */
export interface PoolsPlan {
  /** Workers (workerPoolSpecs[1]); undefined for a one-machine job. */
  workers?: { replicaCount: number; machine: MachineSpec };
  /** Reduction Server replicas (workerPoolSpecs[2]); 0 for none. */
  reductionServers: number;
  warnings: string[];
}

function invalid(message: string, hint: string): ArielError {
  return new ArielError('cloud-spec-invalid', message, hint);
}

function count(value: number | undefined, what: string, { min }: { min: number }): number {
  const n = value ?? 0;
  if (!Number.isInteger(n) || n < min) {
    throw invalid(`${what} ${n} is not a whole number of at least ${min}.`, `Give e.g. ${Math.max(min, 1)}, 2 or 4.`);
  }
  return n;
}

/**
 * Checks the pools beside an already checked primary machine. Workers run the primary's machine
 * (and its accelerator) unless a worker machine type is given; a worker machine type without a
 * worker accelerator gets only what that machine type fixes. The workers' machine goes through
 * the same table checks, with the same errors, as the primary's; a worker accelerator count alone
 * counts the primary's accelerator type. A Reduction Server needs workers to reduce between, and
 * helps only NCCL's all-reduce between GPUs.
 */
export function planPools(
  distributed: DistributedRequest | undefined,
  primary: MachineSpec,
  options: { region: string; force?: boolean; catalog?: Catalog }
): PoolsPlan {
  if (!distributed) {
    return { reductionServers: 0, warnings: [] };
  }
  const replicas = count(distributed.replicas, 'The number of workers', { min: 0 });
  const reductionServers = count(distributed.reductionServers, 'The number of Reduction Server replicas', {
    min: 0
  });
  const { workerMachineType, workerAcceleratorType, workerAcceleratorCount } = distributed;
  const workerSpec = workerMachineType ?? workerAcceleratorType ?? workerAcceleratorCount;
  if (replicas === 0) {
    if (workerSpec !== undefined) {
      throw invalid(
        "The workers' machine was given, and no workers.",
        'Give the number of workers beside the primary (--replicas N), or drop the worker machine.'
      );
    }
    if (reductionServers > 0) {
      throw invalid(
        'A Reduction Server reduces gradients between workers, and the job has none.',
        'Give the number of workers beside the primary (--replicas N) as well.'
      );
    }
    return { reductionServers: 0, warnings: [] };
  }
  const sameMachine = workerMachineType === undefined || workerMachineType === primary.machineType;
  const inherits = sameMachine && workerAcceleratorType === undefined && workerAcceleratorCount === undefined;
  const asked = inherits
    ? { ...primary }
    : {
        machineType: workerMachineType ?? primary.machineType,
        // A count alone counts the primary's accelerator type.
        acceleratorType:
          workerAcceleratorType ?? (workerAcceleratorCount !== undefined ? primary.acceleratorType : undefined),
        acceleratorCount: workerAcceleratorCount
      };
  let checked: { spec: MachineSpec; warnings: string[] };
  try {
    checked = validateMachine({ ...asked, region: options.region }, options);
  } catch (error) {
    if (error instanceof ArielError) {
      throw new ArielError(error.code, `The workers' machine: ${error.message}`, error.hint);
    }
    throw error;
  }
  const warnings = checked.warnings.map(warning => `The workers' machine: ${warning}`);
  const gpus = (spec: MachineSpec) => spec.acceleratorType !== undefined && !spec.acceleratorType.startsWith('TPU_');
  if (reductionServers > 0 && !(gpus(primary) && gpus(checked.spec))) {
    warnings.push(
      "A Reduction Server speeds up only NCCL's all-reduce between GPU machines; on these machines it idles."
    );
  }
  return { workers: { replicaCount: replicas, machine: checked.spec }, reductionServers, warnings };
}

/** The `distributed` field of a request body (POST /cloud/submissions), every field checked for its type. */
export function distributedOf(value: unknown): DistributedRequest | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ArielError(
      'usage',
      '"distributed" must be an object.',
      'Send e.g. "distributed": {"replicas": 1}, or leave it out for one machine.'
    );
  }
  const body = value as Record<string, unknown>;
  const number = (key: string): number | undefined => {
    const v = body[key];
    if (v === undefined || v === null) {
      return undefined;
    }
    if (typeof v !== 'number') {
      throw new ArielError('usage', `"distributed.${key}" must be a number.`, `Send e.g. "${key}": 1.`);
    }
    return v;
  };
  const string = (key: string): string | undefined => {
    const v = body[key];
    if (v === undefined || v === null || v === '') {
      return undefined;
    }
    if (typeof v !== 'string') {
      throw new ArielError('usage', `"distributed.${key}" must be a string.`, `Send "${key}" as a JSON string.`);
    }
    return v.trim() || undefined;
  };
  const unknown = Object.keys(body).filter(
    key =>
      ![
        'replicas',
        'workerMachineType',
        'workerAcceleratorType',
        'workerAcceleratorCount',
        'reductionServers'
      ].includes(key)
  );
  if (unknown.length > 0) {
    throw new ArielError(
      'usage',
      `"distributed" has unknown fields: ${unknown.join(', ')}.`,
      'Send replicas, workerMachineType, workerAcceleratorType, workerAcceleratorCount and reductionServers only.'
    );
  }
  return {
    replicas: number('replicas') ?? 0,
    workerMachineType: string('workerMachineType'),
    workerAcceleratorType: string('workerAcceleratorType'),
    workerAcceleratorCount: number('workerAcceleratorCount'),
    reductionServers: number('reductionServers')
  };
}
