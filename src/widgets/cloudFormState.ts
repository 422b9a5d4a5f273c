import type { CloudCheck, CloudRequest, DistributedRequest } from '../api';
import { splitArgs } from '../format';

export const DEFAULT_REGION = 'us-central1';
export const DEFAULT_MACHINE = 'n1-standard-4';

/** What the "Submit as cloud experiment" form holds: its fields as typed. */
export interface ICloudFormValues {
  target: string;
  args: string;
  experimentConfig: string;
  projectId: string;
  region: string;
  machineType: string;
  /** '' for none (CPU). */
  acceleratorType: string;
  acceleratorCount: number;
  labels: string;
  name: string;
  imageRepository: string;
  outputDir: string;
  serviceAccount: string;
  /** Distributed: workers beside the primary machine (0: one machine). */
  replicas: number;
  /** '' for the primary's machine. */
  workerMachineType: string;
  /** '' for the primary's accelerator (or none when the workers' machine differs). */
  workerAcceleratorType: string;
  workerAcceleratorCount: number;
  reductionServers: number;
}

export const EMPTY_FORM: Readonly<ICloudFormValues> = {
  target: '',
  args: '',
  experimentConfig: '',
  projectId: '',
  region: DEFAULT_REGION,
  machineType: DEFAULT_MACHINE,
  acceleratorType: '',
  acceleratorCount: 1,
  labels: '',
  name: '',
  imageRepository: '',
  outputDir: '',
  serviceAccount: '',
  replicas: 0,
  workerMachineType: '',
  workerAcceleratorType: '',
  workerAcceleratorCount: 1,
  reductionServers: 0
};

/** The state database's key for a project's last form values ('' is the project at Jupyter's root). */
export function stateKey(projectRoot: string): string {
  return `jupyterlab-ariel:cloud-form:${projectRoot}`;
}

/**
 * Form values read back from the state database: the fields of the right type are taken, the
 * rest (a value saved by another version, say) are the empty form's. A target asked for (from
 * the file browser or a notebook's toolbar) wins over the saved one.
 */
export function restoreValues(saved: unknown, target?: string | null): ICloudFormValues {
  const values: ICloudFormValues = { ...EMPTY_FORM };
  if (saved && typeof saved === 'object' && !Array.isArray(saved)) {
    const record = saved as Record<string, unknown>;
    for (const key of Object.keys(EMPTY_FORM) as (keyof ICloudFormValues)[]) {
      const value = record[key];
      if (typeof value === typeof EMPTY_FORM[key] && (typeof value !== 'number' || Number.isFinite(value))) {
        (values as unknown as Record<string, unknown>)[key] = value;
      }
    }
  }
  if (target) {
    values.target = target;
  }
  return values;
}

/**
 * The target a file or folder stands for, relative to the project root: a notebook or a script
 * by its path, a module folder (a package with `__main__.py`) by its dotted name. Null for a
 * path outside the project, or a file that is none of these.
 */
export function targetOf(path: string, projectRoot: string, isDirectory = false): string | null {
  const clean = path.replace(/\/+$/, '');
  let relative: string;
  if (!projectRoot) {
    relative = clean;
  } else if (clean.startsWith(`${projectRoot}/`)) {
    relative = clean.slice(projectRoot.length + 1);
  } else {
    return null;
  }
  if (!relative) {
    return null;
  }
  if (isDirectory) {
    return relative.split('/').join('.');
  }
  return /\.(ipynb|py)$/.test(relative) ? relative : null;
}

/** The workers' pools, or undefined for one machine. */
export function distributedOf(values: ICloudFormValues): DistributedRequest | undefined {
  const replicas = Math.max(0, Math.floor(values.replicas));
  const reductionServers = Math.max(0, Math.floor(values.reductionServers));
  if (!replicas && !reductionServers) {
    return undefined;
  }
  return {
    replicas,
    ...(replicas && values.workerMachineType ? { workerMachineType: values.workerMachineType } : {}),
    ...(replicas && values.workerAcceleratorType
      ? { workerAcceleratorType: values.workerAcceleratorType, workerAcceleratorCount: values.workerAcceleratorCount }
      : {}),
    ...(reductionServers ? { reductionServers } : {})
  };
}

/** The request the form submits (and checks first) for the folder `path`. */
export function requestOf(values: ICloudFormValues, path: string): CloudRequest {
  const trimmed = (text: string) => text.trim() || undefined;
  const distributed = distributedOf(values);
  return {
    path,
    target: values.target.trim(),
    args: splitArgs(values.args),
    experimentConfig: values.experimentConfig,
    projectId: values.projectId.trim(),
    region: values.region,
    machineType: values.machineType,
    ...(values.acceleratorType
      ? { acceleratorType: values.acceleratorType, acceleratorCount: values.acceleratorCount }
      : {}),
    labels: values.labels.split(/[\s,]+/).filter(Boolean),
    name: trimmed(values.name),
    imageRepository: trimmed(values.imageRepository),
    outputDir: trimmed(values.outputDir),
    serviceAccount: trimmed(values.serviceAccount),
    ...(distributed ? { distributed } : {})
  };
}

/** What the submit check's answer asks of the user: confirm its warnings, or go on (with its ok line). */
export type CheckDecision = { confirm: true; warnings: string[] } | { confirm: false; ok: string | null };

export function decide(answer: CloudCheck): CheckDecision {
  if (answer.warnings.length) {
    return { confirm: true, warnings: answer.warnings };
  }
  return { confirm: false, ok: answer.ok ?? null };
}
