import type { CloudCatalog, MachineFamily } from './api';

/** What the pickers offer for a region: only combinations the server's table accepts. */
export interface IMachineChoice {
  machineType: string;
  family: string;
  /** Accelerator type → counts, limited to the region's accelerators. */
  accelerators: Record<string, number[]>;
  /** The machine comes with its GPUs: one of `accelerators` must be chosen. */
  acceleratorRequired: boolean;
}

function rowIn(row: MachineFamily, available: string[]): Record<string, number[]> {
  return Object.fromEntries(Object.entries(row.accelerators).filter(([type]) => available.includes(type)));
}

/** The machine types that can run in `region`, each with the accelerators it can carry there. */
export function machinesIn(catalog: CloudCatalog, region: string): IMachineChoice[] {
  const available = catalog.regions[region] ?? [];
  return catalog.machineFamilies.flatMap(row => {
    const accelerators = rowIn(row, available);
    if (row.acceleratorRequired && Object.keys(accelerators).length === 0) {
      return [];
    }
    return row.machineTypes.map(machineType => ({
      machineType,
      family: row.family,
      accelerators,
      acceleratorRequired: row.acceleratorRequired
    }));
  });
}
