import { ArielError } from '../errors.js';
import table from './machines.json' with { type: 'json' };

/** One row of the table: machine types that take the same accelerators in the same counts. */
export interface MachineFamily {
  family: string;
  machineTypes: string[];
  /** Accelerator type → the counts a machine of this row may carry. */
  accelerators: Record<string, number[]>;
  /** a2, a3 and g2 machines come with their GPUs attached. */
  acceleratorRequired: boolean;
}

/** What Vertex AI offers, as kept in machines.json. */
export interface Catalog {
  machineFamilies: MachineFamily[];
  /** Region → the accelerator types it has; CPU machines run in every listed region. */
  regions: Record<string, string[]>;
}

// JSON imports widen to unions of each row's keys; catalog.test.ts checks the table's shape.
export const VERTEX_CATALOG = table as unknown as Catalog;

export interface MachineRequest {
  machineType: string;
  region: string;
  acceleratorType?: string;
  acceleratorCount?: number;
}

/** A machine spec that passed the table, with the accelerator filled in where the machine fixes it. */
export interface MachineSpec {
  machineType: string;
  acceleratorType?: string;
  acceleratorCount?: number;
}

function invalid(message: string, hint: string): ArielError {
  return new ArielError('cloud-spec-invalid', message, hint);
}

function combos(row: MachineFamily): string {
  return Object.entries(row.accelerators)
    .map(([type, counts]) => `${type} × ${counts.join('|')}`)
    .join(', ');
}

/**
 * Checks a machine × accelerator × count × region against the table. Names the table does not
 * know are errors unless `force`, when they pass with a warning (Vertex AI adds types and regions
 * faster than any table). Known names in a combination the table rules out are always errors,
 * each listing the valid ones.
 */
export function validateMachine(
  request: MachineRequest,
  options: { force?: boolean; catalog?: Catalog } = {}
): { spec: MachineSpec; warnings: string[] } {
  const catalog = options.catalog ?? VERTEX_CATALOG;
  const warnings: string[] = [];
  const { machineType, region } = request;
  let { acceleratorType, acceleratorCount } = request;
  if (acceleratorCount !== undefined && (!Number.isInteger(acceleratorCount) || acceleratorCount < 1)) {
    throw invalid(`Accelerator count ${acceleratorCount} is not a positive whole number.`, 'Give e.g. 1, 2, 4 or 8.');
  }
  if (acceleratorCount !== undefined && acceleratorType === undefined) {
    throw invalid(
      `An accelerator count (${acceleratorCount}) needs an accelerator type.`,
      'Name the accelerator type as well.'
    );
  }
  const unknown = (what: string, known: string[]) => {
    if (!options.force) {
      throw new ArielError(
        'cloud-spec-unknown',
        `Vertex AI ${what}: not in Ariel's table.`,
        `Known: ${known.join(', ')}. Force the submission if it is new.`
      );
    }
    warnings.push(`${what} is not in Ariel's table; submitting anyway (forced).`);
  };

  const regionAccelerators = catalog.regions[region];
  if (!regionAccelerators) {
    unknown(`region ${region}`, Object.keys(catalog.regions));
  }
  const row = catalog.machineFamilies.find(r => r.machineTypes.includes(machineType));
  const allAccelerators = [...new Set(catalog.machineFamilies.flatMap(r => Object.keys(r.accelerators)))];
  if (acceleratorType !== undefined && !allAccelerators.includes(acceleratorType)) {
    unknown(`accelerator type ${acceleratorType}`, allAccelerators);
  }
  if (!row) {
    unknown(
      `machine type ${machineType}`,
      catalog.machineFamilies.map(r => `${r.family} (${r.machineTypes[0]}…)`).filter((v, i, a) => a.indexOf(v) === i)
    );
    return {
      spec: { machineType, acceleratorType, acceleratorCount: acceleratorCount ?? (acceleratorType ? 1 : undefined) },
      warnings
    };
  }

  const types = Object.keys(row.accelerators);
  if (acceleratorType === undefined && row.acceleratorRequired) {
    // a2-highgpu-4g and friends fix their GPUs: fill them in.
    acceleratorType = types[0];
    acceleratorCount = row.accelerators[acceleratorType][0];
  }
  if (acceleratorType !== undefined && allAccelerators.includes(acceleratorType)) {
    const counts = row.accelerators[acceleratorType];
    if (!counts) {
      throw invalid(
        `Machine type ${machineType} cannot carry ${acceleratorType}.`,
        types.length > 0
          ? `Valid for ${machineType}: ${combos(row)}. ${acceleratorCarriers(catalog, acceleratorType)}`
          : `${machineType} is CPU-only. ${acceleratorCarriers(catalog, acceleratorType)}`
      );
    }
    acceleratorCount ??= counts[0];
    if (!counts.includes(acceleratorCount)) {
      throw invalid(
        `Machine type ${machineType} cannot carry ${acceleratorCount} × ${acceleratorType}.`,
        `Valid counts of ${acceleratorType} on ${machineType}: ${counts.join(', ')}.`
      );
    }
    if (regionAccelerators && !regionAccelerators.includes(acceleratorType)) {
      const regions = Object.entries(catalog.regions)
        .filter(([, accelerators]) => accelerators.includes(acceleratorType!))
        .map(([name]) => name);
      throw invalid(
        `Region ${region} has no ${acceleratorType}.`,
        `Regions with ${acceleratorType}: ${regions.join(', ')}. Accelerators in ${region}: ${regionAccelerators.join(', ') || 'none'}.`
      );
    }
  }
  return { spec: { machineType, acceleratorType, acceleratorCount }, warnings };
}

/** "NVIDIA_L4 runs on: g2-standard-4 (1), …" for a hint. */
function acceleratorCarriers(catalog: Catalog, acceleratorType: string): string {
  const carriers = catalog.machineFamilies
    .filter(r => r.accelerators[acceleratorType])
    .map(r =>
      r.machineTypes.length > 3
        ? `${r.family} machines (${r.machineTypes[0]}…) with ${r.accelerators[acceleratorType].join('|')}`
        : `${r.machineTypes.join(', ')} with ${r.accelerators[acceleratorType].join('|')}`
    );
  return `${acceleratorType} runs on: ${carriers.join('; ')}.`;
}

/** A TPU request as the table takes it: machine type, TPU type and count. */
export interface TpuMachine {
  machineType: string;
  acceleratorType: string;
  acceleratorCount: number;
}

const isTpu = (accelerator: string) => accelerator.startsWith('TPU_');

/** The table's TPU machine types, as a hint lists them. */
function tpuChoices(catalog: Catalog): string {
  return catalog.machineFamilies
    .filter(row => Object.keys(row.accelerators).some(isTpu))
    .map(row =>
      row.machineTypes.includes('cloud-tpu')
        ? `${Object.keys(row.accelerators)
            .flatMap(type => row.accelerators[type].map(count => `${count}x${type.slice('TPU_'.length)}`))
            .join(', ')} (cloud-tpu)`
        : row.machineTypes.join(', ')
    )
    .join(', ');
}

/**
 * `--tpu-spec`: a TPU machine type of the table (`ct5lp-hightpu-4t`, its TPUs filled in), or
 * Caliban's `COUNTxVERSION` (`8xV3`: a `cloud-tpu` machine with 8 × TPU_V3). The result still
 * goes through `validateMachine`, which checks the count and the region.
 */
export function tpuMachine(spec: string, catalog: Catalog = VERTEX_CATALOG): TpuMachine {
  const caliban = /^(\d+)x(v\d+\w*)$/i.exec(spec);
  if (caliban) {
    return {
      machineType: 'cloud-tpu',
      acceleratorType: `TPU_${caliban[2].toUpperCase()}`,
      acceleratorCount: Number(caliban[1])
    };
  }
  const row = catalog.machineFamilies.find(r => r.machineTypes.includes(spec));
  const tpu = row && Object.keys(row.accelerators).find(isTpu);
  if (!row || !tpu) {
    throw invalid(
      `${spec} is not a TPU machine type of Vertex AI${row ? '' : " that Ariel's table knows"}.`,
      `TPU machine types: ${tpuChoices(catalog)}.`
    );
  }
  return { machineType: spec, acceleratorType: tpu, acceleratorCount: row.accelerators[tpu][0] };
}

/** Whether jobs on this accelerator run the GPU (CUDA) image: TPUs and CPUs take the CPU one. */
export function needsGpuImage(acceleratorType: string | undefined): boolean {
  return acceleratorType !== undefined && !isTpu(acceleratorType);
}
